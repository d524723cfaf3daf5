"""The notices page and the bell's unread count in every page's header."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.auth import current_principal
from tracker.services import notices
from tracker.web import bp

PAGE = 20


@bp.app_context_processor
def unread_notices() -> dict[str, Any]:
    """The header's bell: how many of the user's notices are unread."""
    if not current_user.is_authenticated:
        return {}
    return {"unread_notices": notices.unread_count(current_principal())}


def _page_number() -> int:
    text = request.args.get("page", "1")
    return min(int(text), 10_000) if text.isdigit() and int(text) > 0 else 1


def _link(kind: str, params: dict[str, Any]) -> str | None:
    """Where the page about a notice's subject is."""
    if "record_id" in params:
        return url_for("web.external_learning")
    if "training_id" in params:
        return url_for("web.training_page", training_id=params["training_id"])
    if kind == "target_at_risk":
        return url_for("web.archive_page")
    return None


@bp.get("/notices")
@login_required
def notices_page() -> Any:
    number = _page_number()
    page = notices.list_notices(current_principal(), PAGE, (number - 1) * PAGE)
    return render_template(
        "notices.html",
        page=page,
        number=number,
        pages=max(1, -(-page.total // PAGE)),
        link=_link,
    )


@bp.post("/notices/<int:notice_id>/read")
@login_required
def notice_read(notice_id: int) -> Any:
    notices.mark_read(current_principal(), notice_id)
    return redirect(url_for("web.notices_page", page=_page_number()))


@bp.post("/notices/read")
@login_required
def notices_all_read() -> Any:
    notices.mark_all_read(current_principal())
    return redirect(url_for("web.notices_page"))

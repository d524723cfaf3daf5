"""Pages for flags: the reviewer's queue beside the claims, and one's own flags."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker.api.schemas_flags import FlagDecisionIn
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.models import FLAG_STATUSES
from tracker.services import flags
from tracker.services.flag_rules import rule_title
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import Problems, error_problems, form_values, validated

PAGE = 50


def _queue_page(problems: Problems | None = None, status: int = 200) -> Any:
    shown = request.args.get("status", "open")
    shown = shown if shown in FLAG_STATUSES else "open"
    items, total = flags.review_queue(current_principal(), shown, None, PAGE, 0)
    return render_template(
        "learning/flags.html",
        shown=shown,
        statuses=FLAG_STATUSES,
        items=items,
        total=total,
        problems=problems or Problems(),
        me=current_principal().id,
    ), status


@bp.app_template_global()
def flag_rule_title(rule: str) -> str:
    """A flag rule's name in the current language (for the pages)."""
    return rule_title(rule)


@bp.get("/learning/flags")
@admin_page
def flag_queue() -> Any:
    return _queue_page()


@bp.post("/learning/flags/<int:flag_id>")
@admin_page
def flag_decide(flag_id: int) -> Any:
    values = form_values(request.form)
    if values.get("decision") != "deduct":
        values.pop("hours", None)
        values.pop("kind", None)
    body, problems = validated(FlagDecisionIn, values, f"flag-{flag_id}")
    if problems:
        return _queue_page(problems, status=400)
    try:
        view = flags.decide(
            current_principal(), flag_id, body.decision, body.note, body.hours, body.kind
        )
    except TrackerError as error:
        if error.status == 404:
            raise
        return _queue_page(error_problems(error, f"flag-{flag_id}"), status=error.status)
    message = _("Deducted.") if view.status == "deducted" else _("Dismissed.")
    flash(f"{message} {view.display_name or view.username}", "ok")
    return redirect(url_for("web.flag_queue"))


@bp.get("/learning/my-flags")
@login_required
def my_flags() -> Any:
    return render_template(
        "learning/my_flags.html", items=flags.my_flags(current_principal(), None)
    )

"""Pages for self-reported learning: filing a claim with its preview, and the review queue."""

from __future__ import annotations

from typing import Any, get_args

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker import clock
from tracker.api.schemas_records import RecordCreate, RecordKind, ReviewIn
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.security import large_body
from tracker.services import records
from tracker.services.uploads import DOCUMENTS, max_bytes, send_stored
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import error_lines, form_values, optional_upload, validated

RECORD_KINDS: tuple[str, ...] = get_args(RecordKind)


def _kind() -> str:
    kind = request.values.get("kind", "")
    return kind if kind in RECORD_KINDS else "external_training"


def _external_page(
    problems: list[str] | None = None, preview: Any = None, status: int = 200
) -> Any:
    principal = current_principal()
    return render_template(
        "learning/external.html",
        kind=_kind(),
        kinds=RECORD_KINDS,
        values=request.form if request.method == "POST" else None,
        problems=problems or [],
        preview=preview,
        year=records.year_so_far(principal),
        mine=records.list_records(principal, {"user_id": principal.id}),
        today=clock.today(),
        max_mb=max_bytes() // (1024 * 1024),
    ), status


@bp.get("/learning/external")
@login_required
def external_learning() -> Any:
    return _external_page()


@bp.post("/learning/external")
@login_required
@large_body("UPLOAD_MAX_BYTES")
def external_learning_submit() -> Any:
    values = form_values(request.form)
    body, problems = validated(RecordCreate, values)
    if problems:
        return _external_page(problems, status=400)
    principal = current_principal()
    if request.form.get("action") == "preview":
        result = records.preview(principal, body.kind, body.hours, body.end_date)
        return _external_page(preview=result)
    try:
        record = records.create_record(principal, body.model_dump(), optional_upload(DOCUMENTS))
    except TrackerError as error:
        return _external_page(error_lines(error), status=error.status)
    flash(_("Your record “%(title)s” was submitted for review.", title=record.title), "ok")
    return redirect(url_for("web.external_learning", kind=record.kind))


@bp.get("/learning/records/<int:record_id>/evidence/<int:evidence_id>")
@login_required
def record_evidence(record_id: int, evidence_id: int) -> Any:
    item = records.get_evidence(current_principal(), record_id, evidence_id)
    return send_stored(item.stored_name, item.filename, item.content_type)


# --- review ---------------------------------------------------------------------------------


def _review_page(problems: list[str] | None = None, status: int = 200) -> Any:
    shown = request.args.get("status", "pending")
    shown = shown if shown in ("pending", "approved", "rejected") else "pending"
    return render_template(
        "learning/review.html",
        shown=shown,
        items=records.list_records(current_principal(), {"status": shown}),
        problems=problems or [],
        me=current_principal().id,
    ), status


@bp.get("/learning/review")
@admin_page
def review_queue() -> Any:
    return _review_page()


@bp.post("/learning/review/<int:record_id>")
@admin_page
def review_submit(record_id: int) -> Any:
    values = form_values(request.form)
    if values.get("decision") == "reject" and not values.get("note"):
        return _review_page([_("Give the reason for the rejection.")], status=400)
    if values.get("decision") == "reject":
        values.pop("hours", None)
    body, problems = validated(ReviewIn, values)
    if problems:
        return _review_page(problems, status=400)
    try:
        view = records.review_record(
            current_principal(), record_id, body.decision, body.hours, body.note
        )
    except TrackerError as error:
        if error.status == 404:
            raise
        return _review_page(error_lines(error), status=error.status)
    message = _("Approved.") if view.status == "approved" else _("Rejected.")
    flash(f"{message} {view.title}", "ok")
    return redirect(url_for("web.review_queue"))

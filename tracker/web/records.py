"""Pages for self-reported learning: filing a claim with its preview, and the review queue."""

from __future__ import annotations

from typing import Any, get_args

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker import clock
from tracker.api.schemas_records import RecordCreate, RecordKind, RecordPatch, ReviewIn, RevokeIn
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.security import large_body
from tracker.services import records
from tracker.services.uploads import DOCUMENTS, max_bytes, send_stored
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import Problems, error_problems, form_values, optional_upload, validated

RECORD_KINDS: tuple[str, ...] = get_args(RecordKind)
REVIEW_TABS = ("pending", "approved", "rejected", "revoked", "withdrawn")


def _kind() -> str:
    kind = request.values.get("kind", "")
    return kind if kind in RECORD_KINDS else "external_training"


def _external_page(
    problems: Problems | None = None,
    preview: Any = None,
    status: int = 200,
    editing: Any = None,
    values: Any = None,
) -> Any:
    principal = current_principal()
    if values is None and request.method == "POST":
        values = request.form
    # A re-shown form cannot refill a file input (browsers forbid it): name the dropped file.
    chosen = request.files.get("file") if request.method == "POST" else None
    return render_template(
        "learning/external.html",
        kind=editing.kind if editing is not None else _kind(),
        kinds=RECORD_KINDS,
        editing=editing,
        values=values,
        problems=problems or Problems(),
        preview=preview,
        year=records.year_so_far(principal),
        mine=records.list_records(principal, {"user_id": principal.id}),
        today=clock.today(),
        max_mb=max_bytes() // (1024 * 1024),
        dropped_file=chosen.filename if chosen is not None and chosen.filename else None,
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
        return _external_page(error_problems(error), status=error.status)
    flash(_("Your record “%(title)s” was submitted for review.", title=record.title), "ok")
    return redirect(url_for("web.external_learning", kind=record.kind))


def _record_values(record: records.RecordView) -> dict[str, Any]:
    """A record's fields as its edit form shows them."""
    return {
        "title": record.title,
        "organizer": record.organizer,
        "location": record.location,
        "content": record.content,
        "subject": record.subject or "",
        "start_date": record.start_date.isoformat(),
        "end_date": record.end_date.isoformat(),
        "days": _number(record.days),
        "absent_fraction": _number(record.absent_fraction),
        "assessment": record.assessment or "",
    }


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@bp.get("/learning/records/<int:record_id>/edit")
@login_required
def record_edit(record_id: int) -> Any:
    record = records.get_own_record(current_principal(), record_id)
    if record.status not in records.EDITABLE:
        refused = TrackerError("record_not_editable")
        return _external_page(error_problems(refused), status=refused.status)
    return _external_page(editing=record, values=_record_values(record))


@bp.post("/learning/records/<int:record_id>/edit")
@login_required
def record_update(record_id: int) -> Any:
    principal = current_principal()
    record = records.get_own_record(principal, record_id)
    values = form_values(request.form)
    values["kind"] = record.kind
    for optional in ("subject", "days", "absent_fraction", "assessment"):
        values.setdefault(optional, None)  # a field left blank clears it
    for text in ("organizer", "location", "content"):
        values.setdefault(text, "")
    body, problems = validated(RecordPatch, values)
    if problems:
        return _external_page(problems, status=400, editing=record)
    try:
        fields = body.model_dump(exclude_unset=True)
        view = records.update_record(principal, record_id, fields, optional_upload(DOCUMENTS))
    except TrackerError as error:
        if error.status == 404:
            raise
        return _external_page(error_problems(error), status=error.status, editing=record)
    flash(_("Your record “%(title)s” was resubmitted for review.", title=view.title), "ok")
    return redirect(url_for("web.external_learning", kind=view.kind))


@bp.post("/learning/records/<int:record_id>/withdraw")
@login_required
def record_withdraw(record_id: int) -> Any:
    try:
        view = records.withdraw_record(current_principal(), record_id)
    except TrackerError as error:
        if error.status == 404:
            raise
        return _external_page(error_problems(error, "withdraw"), status=error.status)
    flash(_("Your record “%(title)s” was withdrawn.", title=view.title), "ok")
    return redirect(url_for("web.external_learning", kind=view.kind))


@bp.get("/learning/records/<int:record_id>/evidence/<int:evidence_id>")
@login_required
def record_evidence(record_id: int, evidence_id: int) -> Any:
    item = records.get_evidence(current_principal(), record_id, evidence_id)
    return send_stored(item.stored_name, item.filename, item.content_type)


# --- review ---------------------------------------------------------------------------------


def _review_page(
    problems: Problems | None = None, status: int = 200, shown: str | None = None
) -> Any:
    shown = shown or request.args.get("status", "pending")
    shown = shown if shown in REVIEW_TABS else "pending"
    return render_template(
        "learning/review.html",
        shown=shown,
        items=records.list_records(current_principal(), {"status": shown}),
        problems=problems or Problems(),
        tabs=REVIEW_TABS,
        me=current_principal().id,
    ), status


@bp.get("/learning/review")
@admin_page
def review_queue() -> Any:
    return _review_page()


@bp.post("/learning/review/<int:record_id>")
@admin_page
def review_submit(record_id: int) -> Any:
    which = f"record-{record_id}"  # the claim's own form: its problems show beside it
    values = form_values(request.form)
    rejecting = values.get("decision") == "reject"
    if rejecting:
        values.pop("hours", None)
    body, problems = validated(ReviewIn, values, which)
    if rejecting and not values.get("note"):
        problems.add(_("Give the reason for the rejection."), "note")
    if body is None or problems:
        return _review_page(problems, status=400)
    try:
        view = records.review_record(
            current_principal(), record_id, body.decision, body.hours, body.note
        )
    except TrackerError as error:
        if error.status == 404:
            raise
        return _review_page(error_problems(error, which), status=error.status)
    message = _("Approved.") if view.status == "approved" else _("Rejected.")
    flash(f"{message} {view.title}", "ok")
    return redirect(url_for("web.review_queue"))


@bp.post("/learning/review/<int:record_id>/revoke")
@admin_page
def review_revoke(record_id: int) -> Any:
    which = f"revoke-{record_id}"
    body, problems = validated(RevokeIn, {"reason": request.form.get("reason", "")}, which)
    if body is None:
        problems = Problems(which).add(_("Give the reason for the revocation."), "reason")
        return _review_page(problems, status=400, shown="approved")
    try:
        view = records.revoke_record(current_principal(), record_id, body.reason)
    except TrackerError as error:
        if error.status == 404:
            raise
        return _review_page(error_problems(error, which), status=error.status, shown="approved")
    flash(f"{_('Revoked.')} {view.title}", "ok")
    return redirect(url_for("web.review_queue", status="revoked"))

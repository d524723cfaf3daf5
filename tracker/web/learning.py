"""Pages for trainings, attendance, self-reported learning and its review."""

from __future__ import annotations

from typing import Any, get_args

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from tracker.api.schemas_learning import (
    MaterialKind,
    RecordCreate,
    RecordKind,
    ReviewIn,
    TrainingCreate,
    TrainingQuery,
)
from tracker.auth import current_principal
from tracker.errors import TrackerError, fail
from tracker.services import records, trainings
from tracker.services.trainings import PARTICIPANT_CATEGORIES, today
from tracker.services.uploads import (
    CSV,
    DOCUMENTS,
    MATERIALS,
    Upload,
    max_bytes,
    read_upload,
    send_stored,
)
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import error_lines, validated

RECORD_KINDS: tuple[str, ...] = get_args(RecordKind)
MATERIAL_KINDS: tuple[str, ...] = get_args(MaterialKind)
_NUMBERS = frozenset({"days", "hours", "capacity", "budget", "actual_spend", "absent_fraction"})
_COUNTS = frozenset({"capacity", *(f"participants_{c}" for c in PARTICIPANT_CATEGORIES)})

# --- reading forms --------------------------------------------------------------------------


def _number(name: str, text: str) -> Any:
    try:
        return int(text) if name in _COUNTS else float(text)
    except ValueError:
        return text  # left as text, so validation reports "enter a number"


def _values(form: MultiDict[str, str], checkboxes: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form strings as the API models expect them: numbers, booleans, blanks left out."""
    values: dict[str, Any] = {}
    for name, text in form.items():
        text = text.strip()
        if not text or name in ("action", "file"):
            continue
        values[name] = _number(name, text) if name in _NUMBERS | _COUNTS else text
    for name in checkboxes:
        values[name] = name in form
    counts = {c: values.pop(f"participants_{c}", None) for c in PARTICIPANT_CATEGORIES}
    if any(v is not None for v in counts.values()):
        values["participants"] = {k: v for k, v in counts.items() if v is not None}
    return values


def _optional_upload(allowed: frozenset[str]) -> Upload | None:
    file = request.files.get("file")
    if file is None or not file.filename:
        return None
    return read_upload(file, allowed)


# --- trainings ------------------------------------------------------------------------------


def _list_filters() -> dict[str, Any]:
    args = {k: v for k, v in request.args.items() if k in TrainingQuery.model_fields}
    if "open" in args:
        args["open"] = "true"
    try:
        return TrainingQuery.model_validate(args).model_dump()
    except ValidationError:
        return TrainingQuery().model_dump()


@bp.get("/trainings")
@login_required
def trainings_page() -> Any:
    filters = _list_filters()
    found = trainings.list_trainings(current_principal(), filters)
    this_year = today().year
    return render_template(
        "learning/trainings.html",
        trainings=found,
        filters=filters,
        categories=trainings.categories(),
        years=range(this_year + 1, this_year - 6, -1),
    )


@bp.get("/trainings/<int:training_id>")
@login_required
def training_page(training_id: int) -> Any:
    principal = current_principal()
    admin = principal.role == "admin"
    return render_template(
        "learning/training.html",
        training=trainings.get_training(principal, training_id),
        materials=trainings.list_materials(training_id) if admin else [],
        material_kinds=MATERIAL_KINDS,
        admin=admin,
        max_mb=max_bytes() // (1024 * 1024),
    )


@bp.post("/trainings/<int:training_id>/enrol")
@login_required
def training_enrol(training_id: int) -> Any:
    try:
        trainings.enrol(current_principal(), training_id)
        flash(_("You are enrolled. Your hours count once the organiser confirms attendance."), "ok")
    except TrackerError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
    return redirect(url_for("web.training_page", training_id=training_id))


def _training_form(
    training: Any = None, problems: list[str] | None = None, status: int = 200
) -> Any:
    return render_template(
        "learning/training_form.html",
        training=training,
        values=request.form if request.method == "POST" else None,
        problems=problems or [],
        categories=PARTICIPANT_CATEGORIES,
    ), status


@bp.get("/trainings/new")
@admin_page
def training_new() -> Any:
    return _training_form()


@bp.post("/trainings/new")
@admin_page
def training_create() -> Any:
    body, problems = validated(TrainingCreate, _values(request.form, ("enrolment_open",)))
    if problems:
        return _training_form(problems=problems, status=400)
    view = trainings.create_training(current_principal(), body.model_dump())
    flash(_("The training was saved."), "ok")
    return redirect(url_for("web.training_page", training_id=view.id))


@bp.get("/trainings/<int:training_id>/edit")
@admin_page
def training_edit(training_id: int) -> Any:
    return _training_form(trainings.get_training(current_principal(), training_id))


@bp.post("/trainings/<int:training_id>/edit")
@admin_page
def training_update(training_id: int) -> Any:
    training = trainings.get_training(current_principal(), training_id)
    body, problems = validated(TrainingCreate, _values(request.form, ("enrolment_open",)))
    if problems:
        return _training_form(training, problems, status=400)
    trainings.update_training(current_principal(), training_id, body.model_dump())
    flash(_("The training was saved."), "ok")
    return redirect(url_for("web.training_page", training_id=training_id))


@bp.post("/trainings/<int:training_id>/materials")
@admin_page
def training_material_upload(training_id: int) -> Any:
    kind = request.form.get("kind", "")
    try:
        if kind not in MATERIAL_KINDS:
            fail("bad_payload", _("Choose the kind of document."))
        upload = read_upload(request.files.get("file"), MATERIALS)
        trainings.add_material(current_principal(), training_id, kind, upload)
        flash(_("The document was filed."), "ok")
    except TrackerError as error:
        if error.code == "training_not_found":
            raise
        for line in error_lines(error):
            flash(line, "error")
    return redirect(url_for("web.training_page", training_id=training_id))


@bp.get("/trainings/<int:training_id>/materials/<int:material_id>")
@admin_page
def training_material(training_id: int, material_id: int) -> Any:
    material = trainings.get_material(training_id, material_id)
    return send_stored(material.stored_name, material.filename, material.content_type)


# --- attendance -----------------------------------------------------------------------------


def _attendance_page(training_id: int, problems: list[str] | None = None, status: int = 200) -> Any:
    return render_template(
        "learning/attendance.html",
        training=trainings.get_training(current_principal(), training_id),
        people=trainings.attendance(training_id),
        problems=problems or [],
    ), status


@bp.get("/trainings/<int:training_id>/attendance")
@admin_page
def training_attendance(training_id: int) -> Any:
    return _attendance_page(training_id)


@bp.post("/trainings/<int:training_id>/attendance")
@admin_page
def training_attendance_save(training_id: int) -> Any:
    username = request.form.get("username", "").strip()
    values = _values(request.form)
    fraction = values.get("absent_fraction", 0.0)
    assessment = values.get("assessment", "passed")
    problems = []
    if not isinstance(fraction, float) or not 0 <= fraction <= 1:
        problems.append(_("The absence must be a fraction between 0 and 1 (e.g. 0.2)."))
    if assessment not in ("passed", "failed"):
        problems.append(_("Choose passed or failed."))
    try:
        user_id = trainings.user_named(username)
    except TrackerError as error:
        if error.code != "user_not_found":
            raise
        problems.append(_("There is no user %(username)s.", username=username))
    if problems:
        return _attendance_page(training_id, problems, status=400)
    person = trainings.confirm_attendance(
        current_principal(), training_id, user_id, fraction, assessment
    )
    flash(
        _(
            "Attendance of %(name)s saved: %(hours)s h credited.",
            name=person.display_name or person.username,
            hours=person.public()["credited_hours"],
        ),
        "ok",
    )
    return redirect(url_for("web.training_attendance", training_id=training_id))


@bp.post("/trainings/<int:training_id>/attendance/csv")
@admin_page
def training_attendance_csv(training_id: int) -> Any:
    try:
        upload = read_upload(request.files.get("file"), CSV)
        people = trainings.import_attendance(current_principal(), training_id, upload.data)
    except TrackerError as error:
        if error.code == "training_not_found":
            raise
        return _attendance_page(training_id, error_lines(error), status=error.status)
    flash(_("Attendance of %(count)d people saved.", count=len(people)), "ok")
    return redirect(url_for("web.training_attendance", training_id=training_id))


@bp.get("/trainings/<int:training_id>/attendance.csv")
@admin_page
def training_attendance_template(training_id: int) -> Any:
    text = trainings.attendance_template(training_id)
    return Response(
        "\ufeff" + text,  # a BOM, so that spreadsheet programs read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=attendance-{training_id}.csv"},
    )


# --- self-reported learning -----------------------------------------------------------------


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
        today=today(),
        max_mb=max_bytes() // (1024 * 1024),
    ), status


@bp.get("/learning/external")
@login_required
def external_learning() -> Any:
    return _external_page()


@bp.post("/learning/external")
@login_required
def external_learning_submit() -> Any:
    values = _values(request.form)
    body, problems = validated(RecordCreate, values)
    if problems:
        return _external_page(problems, status=400)
    principal = current_principal()
    if request.form.get("action") == "preview":
        result = records.preview(principal, body.kind, body.hours, body.end_date)
        return _external_page(preview=result)
    try:
        record = records.create_record(principal, body.model_dump(), _optional_upload(DOCUMENTS))
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
    values = _values(request.form)
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

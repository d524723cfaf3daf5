"""Pages for training projects: the list, one training, filing and editing, attendance."""

from __future__ import annotations

import re
from typing import Any, get_args

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from pydantic import ValidationError

from tracker import clock, wire
from tracker.api.schemas_trainings import MaterialKind, TrainingCreate, TrainingQuery, VoidQuery
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.exports.tables import attendance_csv
from tracker.security import large_body
from tracker.services import trainings
from tracker.services.accounts import user_named
from tracker.services.trainings import PARTICIPANT_CATEGORIES
from tracker.services.uploads import CSV, MATERIALS, max_bytes, read_upload, send_stored
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import (
    AttendanceForm,
    Problems,
    error_problems,
    form_values,
    validated,
)

MATERIAL_KINDS: tuple[str, ...] = get_args(MaterialKind)


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
    this_year = clock.this_year()
    return render_template(
        "learning/trainings.html",
        trainings=found,
        filters=filters,
        categories=trainings.categories(),
        years=range(this_year + 1, this_year - 6, -1),
    )


@bp.get("/trainings/<int:training_id>")
@login_required
def training_page(training_id: int, problems: Problems | None = None, status: int = 200) -> Any:
    principal = current_principal()
    training = trainings.get_training(principal, training_id)
    held = training.filing is not None  # its admins see the filing (services decide who)
    return render_template(
        "learning/training.html",
        training=training,
        materials=trainings.list_materials(principal, training_id) if held else [],
        material_kinds=MATERIAL_KINDS,
        admin=held,
        attendance=principal.role == "admin",
        max_mb=max_bytes() // (1024 * 1024),
        problems=problems or Problems(),
    ), status


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
    training: Any = None, problems: Problems | None = None, status: int = 200
) -> Any:
    return render_template(
        "learning/training_form.html",
        training=training,
        problems=problems or Problems(),
        categories=PARTICIPANT_CATEGORIES,
    ), status


@bp.get("/trainings/new")
@admin_page
def training_new() -> Any:
    return _training_form()


@bp.post("/trainings/new")
@admin_page
def training_create() -> Any:
    body, problems = validated(TrainingCreate, form_values(request.form, ("enrolment_open",)))
    if problems:
        return _training_form(problems=problems, status=400)
    view = trainings.create_training(current_principal(), body.model_dump())
    flash(_("The training was saved."), "ok")
    return redirect(url_for("web.training_page", training_id=view.id))


@bp.get("/trainings/<int:training_id>/edit")
@admin_page
def training_edit(training_id: int) -> Any:
    return _training_form(trainings.training_to_edit(current_principal(), training_id))


@bp.post("/trainings/<int:training_id>/edit")
@admin_page
def training_update(training_id: int) -> Any:
    training = trainings.training_to_edit(current_principal(), training_id)
    body, problems = validated(TrainingCreate, form_values(request.form, ("enrolment_open",)))
    if problems:
        return _training_form(training, problems, status=400)
    trainings.update_training(current_principal(), training_id, body.model_dump())
    flash(_("The training was saved."), "ok")
    return redirect(url_for("web.training_page", training_id=training_id))


@bp.post("/trainings/<int:training_id>/materials")
@admin_page
@large_body("UPLOAD_MAX_BYTES")
def training_material_upload(training_id: int) -> Any:
    kind = request.form.get("kind", "")
    problems, status = Problems(), 400
    if kind not in MATERIAL_KINDS:
        problems.add(_("Choose the kind of document."), "kind")
    try:
        upload = read_upload(request.files.get("file"), MATERIALS)
        if not problems:
            trainings.add_material(current_principal(), training_id, kind, upload)
    except TrackerError as error:
        if error.code == "training_not_found":
            raise
        problems.add_error(error)
        status = error.status
    if problems:
        return training_page(training_id, problems, status)
    flash(_("The document was filed."), "ok")
    return redirect(url_for("web.training_page", training_id=training_id))


@bp.get("/trainings/<int:training_id>/materials/<int:material_id>")
@admin_page
def training_material(training_id: int, material_id: int) -> Any:
    material = trainings.get_material(current_principal(), training_id, material_id)
    return send_stored(material.stored_name, material.filename, material.content_type)


# --- attendance -----------------------------------------------------------------------------


def _attendance_page(training_id: int, problems: Problems | None = None, status: int = 200) -> Any:
    return render_template(
        "learning/attendance.html",
        training=trainings.get_training(current_principal(), training_id),
        people=trainings.attendance(current_principal(), training_id),
        problems=problems or Problems(),
    ), status


@bp.get("/trainings/<int:training_id>/attendance")
@admin_page
def training_attendance(training_id: int) -> Any:
    return _attendance_page(training_id)


@bp.post("/trainings/<int:training_id>/attendance")
@admin_page
def training_attendance_save(training_id: int) -> Any:
    # A person's row sends its own form key, so that its problems show in that row.
    row = request.form.get("form", "")
    which = row if re.fullmatch(r"person-\d{1,10}", row) else "add"
    form, problems = validated(AttendanceForm, form_values(request.form), which)
    user = user_named(form.username) if form else None
    person = None
    if form is not None and user is not None:
        try:
            person = trainings.confirm_attendance(
                current_principal(), training_id, user.id, form.absent_fraction, form.assessment
            )
        except TrackerError as error:
            if error.code != "user_not_found":  # someone outside the admin's units
                raise
    if form and person is None:
        problems.add(_("There is no user %(username)s.", username=form.username), "username")
    if form is None or person is None:
        return _attendance_page(training_id, problems, status=400)
    flash(
        _(
            "Attendance of %(name)s saved: %(hours)s h credited.",
            name=person.display_name or person.username,
            hours=wire.hours(person.credited_ms),
        ),
        "ok",
    )
    return redirect(url_for("web.training_attendance", training_id=training_id))


@bp.post("/trainings/<int:training_id>/attendance/<int:user_id>/void")
@admin_page
def training_attendance_void(training_id: int, user_id: int) -> Any:
    values = {"reason": request.form.get("reason", "")}
    form, problems = validated(VoidQuery, values, f"void-{user_id}")
    if form is None:
        return _attendance_page(training_id, problems, status=400)
    person = trainings.void_attendance(current_principal(), training_id, user_id, form.reason)
    flash(_("Attendance of %(name)s voided.", name=person.display_name or person.username), "ok")
    return redirect(url_for("web.training_attendance", training_id=training_id))


@bp.post("/trainings/<int:training_id>/attendance/csv")
@admin_page
@large_body("UPLOAD_MAX_BYTES")
def training_attendance_csv(training_id: int) -> Any:
    try:
        upload = read_upload(request.files.get("file"), CSV)
        people = trainings.import_attendance(current_principal(), training_id, upload.data)
    except TrackerError as error:
        if error.code == "training_not_found":
            raise
        return _attendance_page(training_id, error_problems(error, "csv"), status=error.status)
    flash(_("Attendance of %(count)d people saved.", count=len(people)), "ok")
    return redirect(url_for("web.training_attendance", training_id=training_id))


@bp.get("/trainings/<int:training_id>/attendance.csv")
@admin_page
def training_attendance_template(training_id: int) -> Any:
    return Response(
        attendance_csv(trainings.attendance(current_principal(), training_id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=attendance-{training_id}.csv"},
    )

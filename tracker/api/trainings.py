"""Training projects: everyone lists and enrols; admins file them and confirm attendance."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas_trainings import (
    AttendanceImportOut,
    AttendanceIn,
    AttendanceList,
    AttendanceOut,
    EnrolOut,
    MaterialForm,
    MaterialList,
    MaterialOut,
    TrainingCreate,
    TrainingList,
    TrainingOut,
    TrainingPatch,
    TrainingQuery,
    VoidQuery,
)
from tracker.api.spec import FileField, endpoint
from tracker.auth import current_principal
from tracker.services import trainings
from tracker.services.trainings import AttendanceView, MaterialView, TrainingView
from tracker.services.uploads import CSV, MATERIALS, Upload, send_stored


@bp.get("/trainings")
@endpoint(
    "List training projects (filters: category, source, type, year, open, overdue, q)",
    query=TrainingQuery,
    response=TrainingList,
)
def list_trainings(query: TrainingQuery) -> list[TrainingView]:
    return trainings.list_trainings(current_principal(), query.model_dump())


@bp.post("/trainings")
@endpoint(
    "File a training project; hours = days × the rule set's hours per day",
    body=TrainingCreate,
    response=TrainingOut,
    status=201,
    roles=("admin",),
)
def create_training(body: TrainingCreate) -> TrainingView:
    return trainings.create_training(current_principal(), body.model_dump())


@bp.get("/trainings/<int:training_id>")
@endpoint("One training project", response=TrainingOut, errors=("training_not_found",))
def get_training(training_id: int) -> TrainingView:
    return trainings.get_training(current_principal(), training_id)


@bp.patch("/trainings/<int:training_id>")
@endpoint(
    "Change a training project (new days re-credit confirmed attendees)",
    body=TrainingPatch,
    response=TrainingOut,
    roles=("admin",),
    errors=("training_not_found",),
)
def patch_training(training_id: int, body: TrainingPatch) -> TrainingView:
    fields = body.model_dump(exclude_unset=True)
    return trainings.update_training(current_principal(), training_id, fields)


@bp.post("/trainings/<int:training_id>/enrol")
@endpoint(
    "Enrol in a training (approved at once; idempotent)",
    response=EnrolOut,
    errors=("training_not_found", "training_closed", "training_full"),
)
def enrol(training_id: int) -> dict[str, Any]:
    status = trainings.enrol(current_principal(), training_id)
    return {"training_id": training_id, "status": status}


@bp.get("/trainings/<int:training_id>/attendance")
@endpoint(
    "Everyone enrolled on or confirmed for a training",
    response=AttendanceList,
    roles=("admin",),
    errors=("training_not_found",),
)
def list_attendance(training_id: int) -> list[AttendanceView]:
    return trainings.attendance(current_principal(), training_id)


@bp.post("/trainings/<int:training_id>/attendance")
@endpoint(
    "Confirm one person's attendance; their rule set decides the credited hours",
    body=AttendanceIn,
    response=AttendanceOut,
    roles=("admin",),
    errors=("training_not_found", "user_not_found"),
)
def confirm_attendance(training_id: int, body: AttendanceIn) -> AttendanceView:
    return trainings.confirm_attendance(
        current_principal(), training_id, body.user_id, body.absent_fraction, body.assessment
    )


@bp.delete("/trainings/<int:training_id>/attendance/<int:user_id>")
@endpoint(
    "Void a person's confirmed attendance (optional ?reason=): its hours leave the archive",
    query=VoidQuery,
    response=AttendanceOut,
    roles=("admin",),
    errors=("training_not_found", "attendance_not_found"),
)
def void_attendance(training_id: int, user_id: int, query: VoidQuery) -> AttendanceView:
    return trainings.void_attendance(current_principal(), training_id, user_id, query.reason)


@bp.post("/trainings/<int:training_id>/attendance/csv")
@endpoint(
    "Confirm attendance from a CSV file (username, absent_fraction, assessment; all or none)",
    upload=FileField("file", CSV, raw_csv=True),
    response=AttendanceImportOut,
    roles=("admin",),
    errors=("training_not_found", "bad_csv"),
)
def import_attendance(training_id: int, upload: Upload) -> dict[str, Any]:
    items = trainings.import_attendance(current_principal(), training_id, upload.data)
    return {"count": len(items), "items": items}


@bp.get("/trainings/<int:training_id>/materials")
@endpoint(
    "A training's filed documents",
    response=MaterialList,
    roles=("admin",),
    errors=("training_not_found",),
)
def list_materials(training_id: int) -> list[MaterialView]:
    return trainings.list_materials(current_principal(), training_id)


@bp.post("/trainings/<int:training_id>/materials")
@endpoint(
    "File a document of a training (its kind: notice, schedule, sign_in, ...)",
    form=MaterialForm,
    upload=FileField("file", MATERIALS),
    response=MaterialOut,
    status=201,
    roles=("admin",),
    errors=("training_not_found",),
)
def add_material(training_id: int, form: MaterialForm, upload: Upload) -> MaterialView:
    return trainings.add_material(current_principal(), training_id, form.kind, upload)


@bp.get("/trainings/<int:training_id>/materials/<int:material_id>")
@endpoint(
    "Download a filed document",
    roles=("admin",),
    errors=("training_not_found", "material_not_found"),
)
def download_material(training_id: int, material_id: int) -> Any:
    material = trainings.get_material(current_principal(), training_id, material_id)
    return send_stored(material.stored_name, material.filename, material.content_type)

"""Training projects: everyone lists and enrols; admins file them and confirm attendance."""

from __future__ import annotations

from typing import Any, get_args

from flask import request

from tracker.api import bp
from tracker.api.schemas_learning import (
    AttendanceImportOut,
    AttendanceIn,
    AttendanceList,
    AttendanceOut,
    EnrolOut,
    MaterialKind,
    MaterialList,
    MaterialOut,
    TrainingCreate,
    TrainingList,
    TrainingOut,
    TrainingPatch,
    TrainingQuery,
)
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.errors import fail
from tracker.services import trainings
from tracker.services.uploads import CSV, MATERIALS, read_upload, send_stored

MATERIAL_KINDS: tuple[str, ...] = get_args(MaterialKind)


def _is_admin() -> bool:
    principal = current_principal()
    return principal is not None and principal.role == "admin"


@bp.get("/trainings")
@endpoint(
    "List training projects (filters: category, source, type, year, open, overdue, q)",
    query=TrainingQuery,
    response=TrainingList,
)
def list_trainings(query: TrainingQuery) -> list[dict[str, Any]]:
    views = trainings.list_trainings(current_principal(), query.model_dump())
    return [view.public(admin=_is_admin()) for view in views]


@bp.post("/trainings")
@endpoint(
    "File a training project; hours = days × the rule set's hours per day",
    body=TrainingCreate,
    response=TrainingOut,
    status=201,
    roles=("admin",),
)
def create_training(body: TrainingCreate) -> dict[str, Any]:
    view = trainings.create_training(current_principal(), body.model_dump())
    return view.public(admin=True)


@bp.get("/trainings/<int:training_id>")
@endpoint("One training project", response=TrainingOut, errors=("training_not_found",))
def get_training(training_id: int) -> dict[str, Any]:
    return trainings.get_training(current_principal(), training_id).public(admin=_is_admin())


@bp.patch("/trainings/<int:training_id>")
@endpoint(
    "Change a training project (new days re-credit confirmed attendees)",
    body=TrainingPatch,
    response=TrainingOut,
    roles=("admin",),
    errors=("training_not_found",),
)
def patch_training(training_id: int, body: TrainingPatch) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return trainings.update_training(current_principal(), training_id, fields).public(admin=True)


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
def list_attendance(training_id: int) -> list[dict[str, Any]]:
    return [person.public() for person in trainings.attendance(training_id)]


@bp.post("/trainings/<int:training_id>/attendance")
@endpoint(
    "Confirm one person's attendance; their rule set decides the credited hours",
    body=AttendanceIn,
    response=AttendanceOut,
    roles=("admin",),
    errors=("training_not_found", "user_not_found"),
)
def confirm_attendance(training_id: int, body: AttendanceIn) -> dict[str, Any]:
    view = trainings.confirm_attendance(
        current_principal(), training_id, body.user_id, body.absent_fraction, body.assessment
    )
    return view.public()


@bp.post("/trainings/<int:training_id>/attendance/csv")
@endpoint(
    "Confirm attendance from a CSV file (multipart field `file`; all lines or none)",
    response=AttendanceImportOut,
    roles=("admin",),
    errors=("training_not_found", "bad_file", "bad_csv", "too_large"),
)
def import_attendance(training_id: int) -> dict[str, Any]:
    upload = read_upload(request.files.get("file"), CSV)
    items = trainings.import_attendance(current_principal(), training_id, upload.data)
    return {"count": len(items), "items": [item.public() for item in items]}


@bp.get("/trainings/<int:training_id>/materials")
@endpoint(
    "A training's filed documents",
    response=MaterialList,
    roles=("admin",),
    errors=("training_not_found",),
)
def list_materials(training_id: int) -> list[dict[str, Any]]:
    return [m.public() for m in trainings.list_materials(training_id)]


@bp.post("/trainings/<int:training_id>/materials")
@endpoint(
    "File a document (multipart: `kind` = notice|schedule|sign_in|..., `file`)",
    response=MaterialOut,
    status=201,
    roles=("admin",),
    errors=("training_not_found", "bad_payload", "bad_file", "too_large"),
)
def add_material(training_id: int) -> dict[str, Any]:
    kind = request.form.get("kind", "")
    if kind not in MATERIAL_KINDS:
        fail("bad_payload", details=[{"field": "kind", "problem": f"one of {MATERIAL_KINDS}"}])
    upload = read_upload(request.files.get("file"), MATERIALS)
    return trainings.add_material(current_principal(), training_id, kind, upload).public()


@bp.get("/trainings/<int:training_id>/materials/<int:material_id>")
@endpoint(
    "Download a filed document",
    roles=("admin",),
    errors=("training_not_found", "material_not_found"),
)
def download_material(training_id: int, material_id: int) -> Any:
    material = trainings.get_material(training_id, material_id)
    return send_stored(material.stored_name, material.filename, material.content_type)

"""Courseware: everyone lists it; admins create items and change their hour limits."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas import CoursewareCreate, CoursewareList, CoursewareOut, CoursewarePatch
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.services import courseware as catalogue


@bp.get("/courseware")
@endpoint("List courseware, with the caller's credited time on each", response=CoursewareList)
def list_items() -> list[dict[str, Any]]:
    principal = current_principal()
    items = catalogue.list_courseware(principal.id, include_unpublished=principal.role == "admin")
    return [item.public() for item in items]


@bp.get("/courseware/<int:courseware_id>")
@endpoint("One courseware item", response=CoursewareOut, errors=("courseware_not_found",))
def get_item(courseware_id: int) -> dict[str, Any]:
    principal = current_principal()
    return catalogue.get_courseware(
        courseware_id, principal.id, include_unpublished=principal.role == "admin"
    ).public()


@bp.post("/courseware")
@endpoint(
    "Create a courseware item",
    body=CoursewareCreate,
    response=CoursewareOut,
    status=201,
    roles=("admin",),
)
def create_item(body: CoursewareCreate) -> dict[str, Any]:
    return catalogue.create_courseware(body.model_dump(), current_principal().id).public()


@bp.patch("/courseware/<int:courseware_id>")
@endpoint(
    "Change a courseware item (a new hour limit applies to future credit)",
    body=CoursewarePatch,
    response=CoursewareOut,
    roles=("admin",),
    errors=("courseware_not_found",),
)
def patch_item(courseware_id: int, body: CoursewarePatch) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return catalogue.update_courseware(courseware_id, fields, current_principal().id).public()

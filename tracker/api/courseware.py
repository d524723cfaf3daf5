"""Courseware: everyone lists it; admins create items and change their hour limits."""

from __future__ import annotations

from tracker.api import bp
from tracker.api.schemas import CoursewareCreate, CoursewareList, CoursewareOut, CoursewarePatch
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.services import courseware as catalogue
from tracker.services.courseware import CoursewareView


@bp.get("/courseware")
@endpoint("List courseware, with the caller's credited time on each", response=CoursewareList)
def list_items() -> list[CoursewareView]:
    principal = current_principal()
    items = catalogue.list_courseware(principal.id, include_unpublished=principal.role == "admin")
    return items


@bp.get("/courseware/<int:courseware_id>")
@endpoint("One courseware item", response=CoursewareOut, errors=("courseware_not_found",))
def get_item(courseware_id: int) -> CoursewareView:
    principal = current_principal()
    return catalogue.get_courseware(
        courseware_id, principal.id, include_unpublished=principal.role == "admin"
    )


@bp.post("/courseware")
@endpoint(
    "Create a courseware item",
    body=CoursewareCreate,
    response=CoursewareOut,
    status=201,
    roles=("admin",),
    errors=("organisation_only",),
)
def create_item(body: CoursewareCreate) -> CoursewareView:
    return catalogue.create_courseware(body.model_dump(), current_principal().id)


@bp.patch("/courseware/<int:courseware_id>")
@endpoint(
    "Change a courseware item (a new hour limit applies to future credit)",
    body=CoursewarePatch,
    response=CoursewareOut,
    roles=("admin",),
    errors=("organisation_only", "courseware_not_found"),
)
def patch_item(courseware_id: int, body: CoursewarePatch) -> CoursewareView:
    fields = body.model_dump(exclude_unset=True)
    return catalogue.update_courseware(courseware_id, fields, current_principal().id)

"""Units: the organisation tree and each unit's rule set."""

from __future__ import annotations

from tracker.api import bp
from tracker.api.schemas import UnitCreate, UnitList, UnitOut, UnitPatch
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.services import units
from tracker.services.units import UnitView


def _unit(unit_id: int) -> UnitView:
    return next(u for u in units.list_units(current_principal()) if u.id == unit_id)


@bp.get("/units")
@endpoint("The organisation tree, depth-first", response=UnitList, roles=("admin",))
def list_units() -> list[UnitView]:
    return units.list_units(current_principal())


@bp.post("/units")
@endpoint(
    "Create a unit",
    body=UnitCreate,
    response=UnitOut,
    status=201,
    roles=("admin",),
    errors=(
        "unit_not_found",
        "unit_name_taken",
        "unknown_rule_set",
        "outside_scope",
        "organisation_only",
    ),
)
def create_unit(body: UnitCreate) -> UnitView:
    actor = current_principal().id
    return _unit(units.create_unit(body.name, body.parent_id, body.rule_set, actor))


@bp.patch("/units/<int:unit_id>")
@endpoint(
    "Rename or move a unit, or change its rule set",
    body=UnitPatch,
    response=UnitOut,
    roles=("admin",),
    errors=(
        "unit_not_found",
        "unit_name_taken",
        "unit_cycle",
        "unknown_rule_set",
        "outside_scope",
        "own_scope",
        "organisation_only",
    ),
)
def patch_unit(unit_id: int, body: UnitPatch) -> UnitView:
    units.update_unit(unit_id, body.model_dump(exclude_unset=True), current_principal().id)
    return _unit(unit_id)

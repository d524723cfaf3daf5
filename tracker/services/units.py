"""The organisation tree (branch → institute → department) and each unit's rule set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Unit, User
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.rules import rule_sets
from tracker.services.scope import AdminScope, actor_scope, admin_scope


@dataclass(frozen=True)
class UnitView:
    """A unit with its place in the tree."""

    id: int
    name: str
    parent_id: int | None
    rule_set_id: str | None
    depth: int
    members: int


def list_units(principal: Principal) -> list[UnitView]:
    """The units `principal` administers (a unit admin: its own and those below), depth-first
    in name order, so the list reads as a tree."""
    scope = admin_scope(principal)
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    members = dict(
        db.session.execute(
            select(User.unit_id, func.count())
            .where(User.unit_id.is_not(None))
            .group_by(User.unit_id)
        ).all()
    )
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[UnitView] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            ordered.append(
                UnitView(
                    unit.id,
                    unit.name,
                    unit.parent_id,
                    unit.rule_set_id,
                    depth,
                    members.get(unit.id, 0),
                )
            )
            walk(unit.id, depth + 1)

    walk(None, 0)
    return [unit for unit in ordered if scope.covers_unit(unit.id)]


def _check(
    name: str | None, parent_id: int | None, rule_set_id: str | None, unit_id: int | None = None
) -> None:
    if rule_set_id is not None and rule_set_id not in rule_sets():
        fail("unknown_rule_set")
    if name is not None:
        clash = db.session.scalar(select(Unit.id).where(Unit.name == name))
        if clash is not None and clash != unit_id:
            fail("unit_name_taken")
    ancestor = parent_id
    while ancestor is not None:
        if ancestor == unit_id:
            fail("unit_cycle")
        parent = db.session.get(Unit, ancestor)
        if parent is None:
            fail("unit_not_found")
        ancestor = parent.parent_id


def create_unit(
    name: str,
    parent_id: int | None = None,
    rule_set_id: str | None = None,
    actor_id: int | None = None,
) -> int:
    """Add a unit to the tree; its id. A unit admin adds units only below its own, and leaves
    their rule set to the organisation (they inherit it)."""
    with transaction():
        scope = actor_scope(actor_id)
        if not scope.organisation:
            if rule_set_id is not None:
                scope.require_organisation()
            if parent_id is None or not scope.covers_unit(parent_id):
                fail("outside_scope")
        _check(name, parent_id, rule_set_id)
        unit = Unit(name=name, parent_id=parent_id, rule_set_id=rule_set_id)
        db.session.add(unit)
        db.session.flush()
        log_action(
            actor_id,
            "unit.create",
            "unit",
            unit.id,
            new={"name": name, "parent_id": parent_id, "rule_set": rule_set_id},
        )
        return unit.id


def update_unit(unit_id: int, fields: dict[str, Any], actor_id: int | None = None) -> None:
    """Rename, move or change the rule set of a unit."""
    with transaction():
        unit = db.session.get(Unit, unit_id)
        scope = actor_scope(actor_id)
        if unit is None or not scope.covers_unit(unit_id):
            fail("unit_not_found")
        _keep_scope(scope, unit_id, fields)
        _check(fields.get("name"), fields.get("parent_id"), fields.get("rule_set"), unit_id)
        log_action(actor_id, "unit.update", "unit", unit_id, new=fields)
        for key, column in (
            ("name", "name"),
            ("parent_id", "parent_id"),
            ("rule_set", "rule_set_id"),
        ):
            if key in fields:
                setattr(unit, column, fields[key])


def _keep_scope(scope: AdminScope, unit_id: int, fields: dict[str, Any]) -> None:
    """A unit admin changes only units below its own, keeps them there, and leaves rule sets
    to the organisation."""
    if scope.organisation:
        return
    if not scope.covers_below(unit_id):
        fail("own_scope")
    if "rule_set" in fields:
        scope.require_organisation()
    if "parent_id" in fields and not scope.covers_unit(fields["parent_id"]):
        fail("outside_scope")


def unit_members(unit_id: int) -> ColumnElement[bool]:
    """The active users of a unit and of every unit below it, as a condition on `User`."""
    # The units as a list of ids, not as a recursive subquery: PostgreSQL cannot estimate a
    # recursive CTE, and planned an institute's report as if for the whole organisation.
    tree = select(Unit.id).where(Unit.id == unit_id).cte(recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    units = db.session.scalars(select(tree.c.id)).all()
    return and_(User.unit_id.in_(units), User.active.is_(True))

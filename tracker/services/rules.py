"""Which rule set applies to whom: a unit's own, else its nearest ancestor's, else the default."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select

from tracker.core.rules import RuleSet
from tracker.extensions import db
from tracker.models import Unit, User
from tracker.sql import one_of, per_dialect, values

# A unit's parent and own rule set (None: it inherits), by the unit's id.
UnitLookup = Callable[[int], tuple[int | None, str | None]]


def rule_sets() -> dict[str, RuleSet]:
    """Every loaded rule set, by id."""
    return current_app.extensions["tracker.rule_sets"]


def rule_set_for(user: User) -> RuleSet:
    """The rule set that applies to `user` (or to anything with the `unit` it belongs to)."""

    def unit(unit_id: int) -> tuple[int | None, str | None]:
        found = db.session.get(Unit, unit_id)
        return (found.parent_id, found.rule_set_id) if found else (None, None)

    return _inherited(user.unit.id if user.unit is not None else None, unit)


def rules_by_unit() -> dict[int | None, RuleSet]:
    """The rule set of every unit's members, as `rule_set_for` decides it (None: no unit)."""
    units = {
        unit_id: (parent_id, own)
        for unit_id, parent_id, own in db.session.execute(
            select(Unit.id, Unit.parent_id, Unit.rule_set_id)
        )
    }
    return {unit_id: _inherited(unit_id, units.__getitem__) for unit_id in [None, *units]}


def rules_for_units(unit_ids: Iterable[int | None]) -> dict[int | None, RuleSet]:
    """The rule set of the members of each of these units (None: no unit), as
    `rule_set_for` decides it, reading the units and their ancestors in one statement."""
    wanted = {unit_id for unit_id in unit_ids if unit_id is not None}
    units: dict[int, tuple[int | None, str | None]] = {}
    if wanted:
        units = {
            row.id: (row.parent_id, row.rule_set_id)
            for row in db.session.execute(_units_and_ancestors(), values("units", wanted))
        }
    lookup = units.get
    return {
        unit_id: _inherited(unit_id, lambda u: lookup(u, (None, None)))
        for unit_id in {*wanted, None}
    }


@per_dialect
def _units_and_ancestors() -> Select[Any]:
    tree = (
        select(Unit.id, Unit.parent_id, Unit.rule_set_id)
        .where(one_of(Unit.id, "units"))
        .cte("tree", recursive=True)
    )
    up = select(Unit.id, Unit.parent_id, Unit.rule_set_id).join(tree, Unit.id == tree.c.parent_id)
    return select(tree.union(up))


def _inherited(unit_id: int | None, unit: UnitLookup) -> RuleSet:
    sets = rule_sets()
    while unit_id is not None:
        unit_id, own = unit(unit_id)
        if own:
            return sets[own]
    return sets[current_app.config["RULE_SET"]]


def no_credit_reason(user: User, absent_fraction: float | None, assessment: str | None) -> str:
    """Why `user`'s rule set credits this attendance nothing, in words ("" if it credits it)."""
    rules = rule_set_for(user)
    why = rules.offline_void(absent_fraction or 0.0, assessment != "failed")
    return no_credit_text(why, rules.absence_voids_at)


def no_credit_text(why: str | None, absence_voids_at: float | None) -> str:
    """A reason of `RuleSet.offline_void` in words ("" for None)."""
    if why == "assessment_failed":
        return _("No hours: the assessment was failed.")
    if why == "absence" and absence_voids_at is not None:
        share = Fraction(absence_voids_at).limit_denominator(100)
        return _("No hours: absence of %(share)s or more.", share=str(share))
    return ""

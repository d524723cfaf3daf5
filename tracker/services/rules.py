"""Which rule set applies to whom."""

from __future__ import annotations

from flask import current_app

from tracker.core.rules import RuleSet
from tracker.models import User


def rule_sets() -> dict[str, RuleSet]:
    """Every loaded rule set, by id."""
    return current_app.extensions["tracker.rule_sets"]


def rule_set_for(user: User) -> RuleSet:
    """The rule set of the user's unit, else the configured default."""
    sets = rule_sets()
    unit = user.unit
    while unit is not None:
        if unit.rule_set_id:
            return sets[unit.rule_set_id]
        unit = unit.parent
    return sets[current_app.config["RULE_SET"]]

"""Compliance: the yearly target by role, subject minimums, and ranges of several years."""

from __future__ import annotations

import pytest

from tracker.config import PROJECT_ROOT
from tracker.core.compliance import over_years, year_compliance
from tracker.core.rules import hours_to_ms
from tracker.rulesets import load_rule_sets

H = hours_to_ms(1)
RULES = load_rule_sets(PROJECT_ROOT / "rules")
CAS, CZ = RULES["cas-2016"], RULES["changzhou-2011"]


@pytest.mark.parametrize(
    ("role", "effective_h", "remaining_h", "compliant"),
    [
        ("learner", 100, 0, True),
        ("learner", 99, 1, False),
        ("learner", 130, 0, True),
        ("leader", 100, 10, False),
        ("leader", 110, 0, True),
    ],
)
def test_the_target_depends_on_the_role(role, effective_h, remaining_h, compliant) -> None:
    result = year_compliance(CAS, role, effective_h * H, {})
    assert (result.remaining_ms, result.compliant) == (remaining_h * H, compliant)
    assert dict(result.shortfalls) == {}


def test_a_short_subject_keeps_a_year_that_reached_its_target_open() -> None:
    result = year_compliance(CZ, "learner", 80 * H, {"public": 20 * H, "professional": 60 * H})
    assert result.remaining_ms == 0
    assert dict(result.shortfalls) == {"public": 4 * H, "professional": 0}
    assert result.compliant is False
    met = year_compliance(CZ, "learner", 80 * H, {"public": 24 * H, "professional": 56 * H})
    assert met.compliant is True


def test_a_range_is_compliant_only_if_every_year_is() -> None:
    ahead = year_compliance(CAS, "learner", 150 * H, {})
    behind = year_compliance(CAS, "learner", 60 * H, {})
    both = over_years([ahead, behind])
    assert (both.target_ms, both.effective_ms, both.remaining_ms) == (200 * H, 210 * H, 0)
    assert both.compliant is False
    assert over_years([ahead, ahead]).compliant is True


def test_shortfalls_of_a_range_add_up() -> None:
    years = [year_compliance(CZ, "learner", 0, {}), year_compliance(CZ, "learner", 0, {})]
    assert dict(over_years(years).shortfalls) == {"public": 48 * H, "professional": 96 * H}

"""Compliance: the yearly target by role, subject minimums, and ranges of several years."""

from __future__ import annotations

import pytest

from tracker.config import PROJECT_ROOT
from tracker.core.compliance import missing_ms, over_years, year_compliance
from tracker.core.rules import MS_PER_MINUTE, hours_to_ms, whole_minutes
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


MIN, S = MS_PER_MINUTE, 1000


@pytest.mark.parametrize(
    ("ms", "whole"),
    [
        (0, 0),
        (59_999, 0),
        (60_000, MIN),
        (49 * H + 59 * MIN + 59_900, 49 * H + 59 * MIN),
        (-1, 0),
        (-61_000, -MIN),  # towards zero, like the positive figure
        (1234 * H + 5 * MIN + 0.5, 1234 * H + 5 * MIN),
    ],
)
def test_a_duration_is_cut_to_whole_minutes_once(ms, whole) -> None:
    assert whole_minutes(ms) == whole


@pytest.mark.parametrize(
    ("done", "goal", "missing"),
    [
        (49 * H + 59 * MIN + 59_900, 100 * H, 50 * H + 100),  # exact: not 50 h 01 min
        (99 * H + 59 * MIN + 59 * S, 100 * H, 1 * S),
        (100 * H - 1, 100 * H, 1),  # a millisecond short is short
        (100 * H, 100 * H, 0),
        (100 * H + 1, 100 * H, 0),
        (0, 100 * H, 100 * H),
        (30 * S, 100 * H, 100 * H - 30 * S),
    ],
)
def test_what_is_missing_is_exact(done, goal, missing) -> None:
    assert missing_ms(goal, done) == missing
    result = year_compliance(CAS, "learner", done, {})
    assert result.remaining_ms == missing
    assert result.compliant == (missing == 0)


@pytest.mark.parametrize("short_ms", [1, 100, 59_999, MIN, MIN + 1])
def test_a_subject_short_of_its_minimum_misses_exactly_that(short_ms) -> None:
    subject, minimum = next(iter(CZ.subject_minimums_ms.items()))
    result = year_compliance(CZ, "learner", 200 * H, {subject: minimum - short_ms})
    assert result.shortfalls[subject] == short_ms
    assert not result.compliant

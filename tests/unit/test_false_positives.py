"""Ordinary learners are not flagged; each kind of cheat is (bench/learners.py's simulation)."""

from __future__ import annotations

import pytest

from bench.learners import measure
from tracker.core.rules import HeuristicRules


@pytest.fixture(scope="module")
def measured() -> dict:
    return measure(learners=40, seed=7, rules=HeuristicRules())


def test_ordinary_learners_are_not_flagged(measured) -> None:
    assert measured["hours_per_learner"] > 20  # they really learn
    assert measured["false_positives_by_rule"] == {}
    assert measured["false_positive_rate"] == 0


@pytest.mark.parametrize("cheat", ["robotic", "night", "shared_client", "year_end_burst"])
def test_every_cheat_is_caught_by_its_rule(measured, cheat) -> None:
    assert cheat in measured["cheats_caught"][cheat]

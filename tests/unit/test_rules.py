"""Rule sets: the shipped files, their rules, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config import PROJECT_ROOT
from tracker.core.rules import hours_to_ms
from tracker.rulesets import RuleSetError, load_rule_set, load_rule_sets

H = hours_to_ms(1)


@pytest.fixture(scope="module")
def shipped():
    return load_rule_sets(PROJECT_ROOT / "rules")


def test_cas_2016(shipped) -> None:
    cas = shipped["cas-2016"]
    assert (cas.target_for("learner"), cas.target_for("leader")) == (100 * H, 110 * H)
    assert cas.training_hours(1) == 8
    assert cas.training_hours(0.5) == 4
    assert cas.cap_group("online").cap_ms == 50 * H
    assert cas.cap_group("external_online") is cas.cap_group("online")
    assert cas.cap_group("self_study").cap_ms == 10 * H
    assert cas.cap_group("offline") is None
    assert cas.filing_deadline_days == 15


@pytest.mark.parametrize(
    ("absent", "passed", "credited_h"),
    [(0.0, True, 16), (0.19, True, 16), (0.2, True, 0), (0.5, True, 0), (0.0, False, 0)],
)
def test_cas_2016_offline_credit(shipped, absent: float, passed: bool, credited_h: int) -> None:
    assert shipped["cas-2016"].offline_credit_ms(16, absent, passed) == credited_h * H


def test_changzhou_2011(shipped) -> None:
    cz = shipped["changzhou-2011"]
    assert cz.target_for("learner") == 72 * H
    assert cz.training_hours(1) == 6
    assert dict(cz.subject_minimums_ms) == {"public": 24 * H, "professional": 48 * H}
    assert cz.caps == ()
    assert cz.offline_credit_ms(6, 0.5, False) == 6 * H
    assert cz.exam_required_subjects == {"public"}
    assert shipped["cas-2016"].exam_required_subjects == frozenset()


GOOD = """
id = "{id}"
title = "T"
hours_per_day = 8
[target]
hours = 100
leader_hours = 110
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id = ", "not valid TOML"),
        (GOOD.replace("hours_per_day = 8", "hours_per_day = 0"), "hours_per_day"),
        (GOOD.replace("hours = 100", "hours = -1"), "target.hours"),
        (GOOD.replace('title = "T"', ""), "title: Field required"),
        (GOOD + "colour = 'red'\n", "colour: Extra inputs are not permitted"),
        (GOOD + '[[caps]]\nname = "x"\nkinds = ["telepathy"]\nhours = 5\n', "caps.0.kinds.0"),
        (
            GOOD + '[[caps]]\nname = "a"\nkinds = ["online"]\nhours = 5\n'
            '[[caps]]\nname = "b"\nkinds = ["online"]\nhours = 6\n',
            "more than one cap",
        ),
        (GOOD + "[offline]\nabsence_voids_at = 1.5\n", "offline.absence_voids_at"),
        (GOOD + '[exams]\npass_required_for = ["maths"]\n', "exams.pass_required_for.0"),
        (GOOD + "[exams]\npass_required_for = 'public'\n", "exams.pass_required_for"),
        (GOOD + "[exams]\npassed = true\n", "exams.passed: Extra inputs"),
    ],
)
def test_bad_rule_set_is_refused_with_a_clear_reason(tmp_path: Path, text: str, message: str):
    path = tmp_path / "broken.toml"
    path.write_text(text.replace("{id}", "broken"), encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"broken\.toml") as error:
        load_rule_set(path)
    assert message in str(error.value)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "one.toml"
    path.write_text(GOOD.replace("{id}", "other"), encoding="utf-8")
    with pytest.raises(RuleSetError, match="does not match the file name"):
        load_rule_set(path)


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="no rule-set files"):
        load_rule_sets(tmp_path)

"""Hours typed as hours and minutes: joined into the hours the models take, and split back."""

from __future__ import annotations

import pytest

from tracker.web.forms import join_hours, split_hours


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        ({"hours_h": "1", "hours_min": "30"}, 1.5),
        ({"hours_h": "0", "hours_min": "5"}, 5 / 60),
        ({"hours_h": "2", "hours_min": ""}, 2.0),
        ({"hours_h": "", "hours_min": "45"}, 0.75),
        ({"hours_limit_h": " 3 ", "hours_limit_min": "0"}, 3.0),
    ],
)
def test_hours_and_minutes_become_hours(typed, hours):
    [(name, text)] = join_hours(typed).items()
    assert name == next(iter(typed)).removesuffix("_h")
    assert float(text) == pytest.approx(hours)
    assert round(float(text) * 3_600_000) % 60_000 == 0  # whole minutes, no rounding drift


@pytest.mark.parametrize(("hours", "minutes"), [("1", "60"), ("-1", "0"), ("1.5", "0"), ("x", "")])
def test_other_hours_and_minutes_are_not_a_figure(hours, minutes):
    with pytest.raises(ValueError, match="could not convert"):
        float(join_hours({"hours_h": hours, "hours_min": minutes})["hours"])


def test_blank_hours_are_not_given_and_other_fields_pass_through():
    assert join_hours({"hours_h": "", "hours_min": "", "title": "x"}) == {"hours": "", "title": "x"}
    assert join_hours({"hours": "1.5"}) == {"hours": "1.5"}  # a client sending hours as before


@pytest.mark.parametrize(
    ("hours", "parts"), [(1.5, (1, 30)), (0.05, (0, 3)), (0.083, (0, 5)), (None, None)]
)
def test_hours_split_into_whole_hours_and_minutes(hours, parts):
    assert split_hours(hours) == parts

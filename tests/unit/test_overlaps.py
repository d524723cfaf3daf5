"""No hour counted twice: live time, trainings and claims on the same days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.unit.conftest import SHANGHAI
from tracker.config import PROJECT_ROOT
from tracker.core.overlaps import Booking, Span, resolve, spread
from tracker.core.rules import hours_to_ms
from tracker.rulesets import load_rule_sets

H = hours_to_ms(1)
CAS = load_rule_sets(PROJECT_ROOT / "rules")["cas-2016"]
DAY = date(2026, 5, 4)
FILED = datetime(2026, 4, 1, tzinfo=UTC)


def at(hour: float, day: date = DAY) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI) + timedelta(hours=hour)


def live(ref: str, start: float, end: float, credited_h: float | None = None) -> Span:
    credited = hours_to_ms(end - start if credited_h is None else credited_h)
    return Span(ref, at(start), at(end), credited, DAY)


def training(ref: str, days: int = 1, hours: float = 8, first: date = DAY, **more) -> Booking:
    last = first + timedelta(days=days - 1)
    fields = {"kind": "offline", "claim": False, "filed": FILED} | more
    return Booking(
        ref, fields["kind"], first, last, hours_to_ms(hours), last, fields["filed"], fields["claim"]
    )


def claim(ref: str, kind: str, hours: float, days: int = 1, filed_days: int = 0) -> Booking:
    return training(
        ref, days, hours, kind=kind, claim=True, filed=FILED + timedelta(days=filed_days)
    )


def with_policy(**changes):
    return replace(CAS, overlaps=replace(CAS.overlaps, **changes))


def aside(resolution) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for line in resolution.set_aside:
        found[line.ref, line.reason] = found.get((line.ref, line.reason), 0) + line.ms
    return found


def test_an_ordinary_week_sets_nothing_aside() -> None:
    spans = [live("s1", 19, 21), live("s2", 20.5 + 24, 22 + 24)]
    bookings = [training("t1", first=DAY + timedelta(days=2)), claim("r1", "self_study", 5, 7)]
    resolution = resolve(spans, bookings, CAS, SHANGHAI)
    assert resolution.set_aside == ()
    assert resolution.flagged == ()


@pytest.mark.parametrize(
    ("policy", "expected_aside", "flagged"),
    [
        ("training", {("s1", "live_during_training"): 2 * H}, ()),
        ("live", {("t1", "training_during_live"): 2 * H}, ()),
        ("flag", {}, ("live_during_training",)),
    ],
)
def test_live_time_during_a_full_training_day(policy, expected_aside, flagged) -> None:
    """Watching 10:00-12:00 on a day of an 8 h training (08:30-16:30): those 2 h once only."""
    resolution = resolve(
        [live("s1", 10, 12)], [training("t1")], with_policy(live_during_training=policy), SHANGHAI
    )
    assert aside(resolution) == expected_aside
    assert tuple(f.reason for f in resolution.flagged) == flagged


def test_a_half_day_training_leaves_room_for_live_time() -> None:
    """A 4 h training is somewhere in the 8 h of the day: 3 h of live time can be genuine,
    6 h cannot all be."""
    assert aside(resolve([live("s1", 9, 12)], [training("t1", hours=4)], CAS, SHANGHAI)) == {}
    found = aside(resolve([live("s1", 9, 15)], [training("t1", hours=4)], CAS, SHANGHAI))
    assert found == {("s1", "live_during_training"): 2 * H}


def test_live_time_in_the_evening_of_a_training_day_is_not_an_overlap() -> None:
    assert aside(resolve([live("s1", 18, 20)], [training("t1")], CAS, SHANGHAI)) == {}


def test_two_trainings_on_the_same_day_share_its_hours() -> None:
    later = training("t2", filed=FILED + timedelta(days=1))
    found = aside(resolve([], [training("t1"), later], CAS, SHANGHAI))
    assert found == {("t2", "offline_overlap"): 8 * H}


def test_an_external_training_claimed_on_a_training_day_is_flagged_by_default() -> None:
    """Flagged for a reviewer; the daily ceiling (12 h) still holds meanwhile."""
    resolution = resolve([], [training("t1"), claim("r1", "offline", 8)], CAS, SHANGHAI)
    assert aside(resolution) == {("r1", "daily_ceiling"): 4 * H}
    assert [(f.reason, f.ms, f.refs) for f in resolution.flagged] == [
        ("offline_overlap", 8 * H, ("t1", "r1"))
    ]


@pytest.mark.parametrize(
    ("policy", "second_kind", "expected_aside", "flagged"),
    [
        ("flag", "self_study", {}, 5),
        ("earlier", "self_study", {("r2", "overlapping_claims"): 5 * H}, 0),
        ("earlier", "external_online", {}, 0),
    ],
)
def test_two_claims_for_the_same_week(policy, second_kind, expected_aside, flagged) -> None:
    bookings = [claim("r1", "self_study", 5, 5), claim("r2", second_kind, 5, 5, filed_days=1)]
    resolution = resolve([], bookings, with_policy(overlapping_claims=policy), SHANGHAI)
    assert aside(resolution) == expected_aside
    assert len(resolution.flagged) == flagged
    assert all(f.reason == "overlapping_claims" for f in resolution.flagged)


def test_no_day_keeps_more_than_the_ceiling_and_the_last_kind_gives_way() -> None:
    """10 h live in the evening and night + an 8 h self-study claim on that day: 12 h kept,
    the self-study claim gives way first (cas-2016 keeps online before self-study)."""
    spans = [live("s1", 12, 22)]
    resolution = resolve(spans, [claim("r1", "self_study", 8)], CAS, SHANGHAI)
    assert aside(resolution) == {("r1", "daily_ceiling"): 6 * H}
    assert resolution.total_ms("r1") == 6 * H


def test_a_session_across_midnight_is_split_by_local_day() -> None:
    spans = [live("s1", 20, 34)]  # 14 h from 20:00 to 10:00 the next morning
    lowered = with_policy(daily_ceiling_ms=3 * H)
    days = {line.day: line.ms for line in resolve(spans, [], lowered, SHANGHAI).set_aside}
    assert days == {DAY: 1 * H, DAY + timedelta(days=1): 7 * H}


@pytest.mark.parametrize("ms", [0, 1, 7, 8 * H + 3])
def test_spread_keeps_every_millisecond(ms) -> None:
    days = [DAY + timedelta(days=n) for n in range(3)]
    shares = spread(ms, days)
    assert sum(shares.values()) == ms
    assert max(shares.values()) - min(shares.values()) <= 1


def test_a_session_over_several_days_still_meets_the_ceiling() -> None:
    """Live for 40 h from 20:00 (a player left running): every day it touches is checked."""
    resolution = resolve([live("s1", 20, 60)], [], CAS, SHANGHAI)
    days = {line.day: line.ms for line in resolution.set_aside}
    assert days == {DAY + timedelta(days=1): 12 * H}  # 24 h on the middle day, 4 h on the others

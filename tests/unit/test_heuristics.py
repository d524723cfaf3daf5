"""Every heuristic on crafted histories: what it flags, and what it leaves alone."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from tests.unit.conftest import SHANGHAI
from tracker.config import PROJECT_ROOT
from tracker.core.heuristics import (
    Watch,
    from_overlaps,
    long_days,
    nights,
    review,
    robotic,
    shared_clients,
    year_end_burst,
)
from tracker.core.overlaps import Booking, Span, resolve
from tracker.core.rules import hours_to_ms
from tracker.rulesets import load_rule_sets

H = hours_to_ms(1)
CAS = load_rule_sets(PROJECT_ROOT / "rules")["cas-2016"]
RULES = CAS.heuristics
DAY = date(2026, 5, 4)


def at(hour: float, day: date = DAY) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI) + timedelta(hours=hour)


def watch(ref: str, start: float, end: float, user: int = 1, **more) -> Watch:
    credited = more.pop("credited_ms", hours_to_ms(end - start))
    return Watch(ref, user, at(start), at(end), credited, **more)


@pytest.mark.parametrize(
    ("sessions", "flagged"),
    [
        pytest.param([watch("a", 9, 12), watch("b", 14, 18)], [], id="7 h"),
        pytest.param([watch("a", 8, 13), watch("b", 13.5, 19.5)], ["2026-05-04"], id="11 h"),
        pytest.param([watch("a", 8, 20, credited_ms=6 * H)], [], id="12 h open, 6 h live"),
        pytest.param([watch("a", 8, 14), watch("b", 14, 20, user=2)], [], id="two people"),
    ],
)
def test_long_day(sessions, flagged) -> None:
    found = long_days(sessions, RULES, SHANGHAI)
    assert [f.key for f in found] == flagged
    for finding in found:
        assert finding.rule == "long_day"
        assert finding.figure_ms > RULES.long_day_ms
        assert {s["session"] for s in finding.evidence["sessions"]} == {"a", "b"}


@pytest.mark.parametrize(
    ("sessions", "flagged"),
    [
        pytest.param([watch("a", 21, 23.5)], [], id="late evening"),
        pytest.param([watch("a", 23, 24.5)], [], id="past midnight a little"),
        pytest.param([watch("a", 23, 27)], ["2026-05-05"], id="through the night"),
        pytest.param([watch("a", 1, 4.5)], ["2026-05-04"], id="small hours"),
    ],
)
def test_night(sessions, flagged) -> None:
    found = nights(sessions, RULES, SHANGHAI)
    assert [f.key for f in found] == flagged
    assert all(f.figure_ms > RULES.night_ms for f in found)


def test_a_night_window_across_midnight_counts_toward_the_morning() -> None:
    evening = replace(RULES, night_starts=time(22), night_ends=time(6))
    found = nights([watch("a", 22, 25)], evening, SHANGHAI)
    assert [(f.key, f.figure_ms) for f in found] == [("2026-05-05", 3 * H)]


STEADY = {"beats": 600, "longest_live_ms": int(2.5 * H), "gap_sd_ms": 4.0}


@pytest.mark.parametrize(
    ("stats", "flagged"),
    [
        pytest.param(STEADY, True, id="script: 2.5 h unbroken, 4 ms jitter"),
        pytest.param(STEADY | {"gap_sd_ms": 180.0}, False, id="human jitter"),
        pytest.param(STEADY | {"longest_live_ms": H}, False, id="paused within the hour"),
        pytest.param(STEADY | {"beats": 50}, False, id="too few beats to tell"),
        pytest.param(STEADY | {"gap_sd_ms": None}, False, id="no timing kept"),
    ],
)
def test_robotic(stats, flagged) -> None:
    found = robotic([watch("a", 9, 12, **stats)], RULES, SHANGHAI)
    assert bool(found) is flagged
    if found:
        assert found[0].evidence["gap_sd_ms"] == 4.0
        assert found[0].evidence["longest_live_ms"] == int(2.5 * H)


@pytest.mark.parametrize(
    ("sessions", "by", "flagged_users"),
    [
        pytest.param(
            [watch("a", 9, 11, 1, device="d1"), watch("b", 9.5, 11, 2, device="d1")],
            ("device",),
            [1, 2],
            id="one device, two accounts at once",
        ),
        pytest.param(
            [watch("a", 9, 11, 1, device="d1"), watch("b", 11, 12, 2, device="d1")],
            ("device",),
            [],
            id="one after the other (a shared office PC)",
        ),
        pytest.param(
            [watch("a", 9, 11, 1, device="d1"), watch("b", 9, 11, 1, device="d1")],
            ("device",),
            [],
            id="one account in two tabs",
        ),
        pytest.param(
            [watch("a", 9, 11, 1, address="10.0.0.1"), watch("b", 9, 11, 2, address="10.0.0.1")],
            ("device",),
            [],
            id="one office address is not counted unless the rule set says so",
        ),
        pytest.param(
            [watch("a", 9, 11, 1, address="10.0.0.1"), watch("b", 9, 11, 2, address="10.0.0.1")],
            ("device", "address"),
            [1, 2],
            id="one address, where the rule set counts addresses",
        ),
        pytest.param(
            [watch("a", 9, 9.1, 1, device="d1"), watch("b", 9, 9.1, 2, device="d1")],
            ("device",),
            [],
            id="shorter than the threshold",
        ),
    ],
)
def test_shared_client(sessions, by, flagged_users) -> None:
    found = shared_clients(sessions, replace(RULES, shared_client_by=by), SHANGHAI)
    assert [f.user_id for f in found] == flagged_users
    for finding in found:
        assert finding.evidence["other_users"] == [3 - finding.user_id]
        assert finding.evidence["sessions"] == ["a", "b"]


def test_live_time_during_a_training_is_flagged_with_what_was_set_aside() -> None:
    span = Span("s1", at(10), at(12), 2 * H, DAY)
    booking = Booking("training:1", "offline", DAY, DAY, 8 * H, DAY, at(0), False)
    found = from_overlaps(7, resolve([span], [booking], CAS, SHANGHAI))
    assert [(f.rule, f.user_id, f.figure_ms) for f in found] == [("live_during_training", 7, 2 * H)]
    assert found[0].evidence["against"] == ["training:1"]
    evening = Span("s1", at(18), at(20), 2 * H, DAY)
    assert from_overlaps(7, resolve([evening], [booking], CAS, SHANGHAI)) == []


def steady_year(hours_per_week: float, year: int = 2026) -> dict[date, int]:
    """Learning every Monday at an even pace."""
    days = {}
    day = date(year, 1, 5)
    while day.year == year:
        days[day] = hours_to_ms(hours_per_week)
        day += timedelta(days=7)
    return days


@pytest.mark.parametrize(
    ("by_day", "history", "flagged"),
    [
        pytest.param(steady_year(2), {}, False, id="an even pace"),
        pytest.param(
            steady_year(0.5) | {date(2026, 12, 20 + n): 6 * H for n in range(8)},
            {},
            True,
            id="48 h in the last weeks after 1/2 h a week",
        ),
        pytest.param(
            steady_year(0.5) | {date(2026, 12, 20 + n): 6 * H for n in range(8)},
            {2025: 45 * H},
            False,
            id="the same as every year",
        ),
        pytest.param(
            steady_year(0.5) | {date(2026, 12, 20): 10 * H},
            {},
            False,
            id="below the minimum",
        ),
    ],
)
def test_year_end_burst(by_day, history, flagged) -> None:
    found = year_end_burst(1, 2026, by_day, history, RULES)
    assert (found is not None) is flagged
    if found:
        assert found.evidence["window"] == ["2026-11-20", "2026-12-31"]
        assert found.figure_ms >= RULES.burst_min_ms


def test_a_player_left_running_for_days_is_a_long_day_on_each_full_day() -> None:
    found = long_days([watch("a", 20, 60)], RULES, SHANGHAI)  # 20:00 to 12:00 two days later
    assert [(f.key, f.figure_ms) for f in found] == [("2026-05-05", 24 * H), ("2026-05-06", 12 * H)]


def _history(seed: int, tz: tzinfo) -> tuple[list[Span], list[Booking]]:
    """A crafted busy year: sessions by day and through the night, some past midnight, on
    long days and on training days; trainings and claims, some of them overlapping."""
    pick = random.Random(seed)
    spans, bookings = [], []
    for n in range(160):
        day = date(2026, 1, 1) + timedelta(days=pick.randrange(0, 365))
        start = datetime.combine(day, time(0), tz) + timedelta(minutes=pick.randrange(0, 24 * 60))
        length = timedelta(minutes=pick.choice([20, 45, 90, 180, 400, 700]))
        credited = round(length / timedelta(milliseconds=1) * pick.choice([1, 1, 0.6, 0]))
        spans.append(Span(f"session:{n}", start, start + length, credited, day, "public"))
    spans.sort(key=lambda s: s.start)
    for n in range(25):
        first = date(2026, 1, 1) + timedelta(days=pick.randrange(0, 360))
        last = first + timedelta(days=pick.choice([0, 0, 1, 4, 20]))
        kind = pick.choice(["offline", "offline", "self_study", "online"])
        filed = datetime.combine(last, time(12), tz) + timedelta(hours=n)
        bookings.append(
            Booking(
                f"record:{n}", kind, first, last, pick.randrange(1, 30) * H, last, filed, n % 3 > 0
            )
        )
    return spans, bookings


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/Santiago"])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    ("live", "claims"), [("training", "flag"), ("live", "earlier"), ("flag", "earlier")]
)
def test_review_is_the_rules_on_every_session(zone: str, seed: int, live: str, claims: str) -> None:
    """`review` hands each rule only the sessions that can matter: what it finds and sets
    aside is exactly what the rules find on all of them (time zones with summer time too)."""
    tz = ZoneInfo(zone)
    policy = replace(CAS.overlaps, live_during_training=live, overlapping_claims=claims)
    rules = replace(CAS, overlaps=policy)
    spans, bookings = _history(seed, tz)
    watches = [Watch(s.ref, 7, s.start, s.end, s.credited_ms) for s in spans]
    resolution = resolve(spans, bookings, rules, tz)
    expected = long_days(watches, rules.heuristics, tz) + nights(watches, rules.heuristics, tz)
    expected += from_overlaps(7, resolution)
    got, found = review(7, spans, bookings, rules, tz)
    assert got == resolution
    assert found == expected
    assert resolution.set_aside or resolution.flagged
    assert {f.rule for f in found} >= {"long_day", "night"}

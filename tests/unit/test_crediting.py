"""The crediting core: examples of each rule, then properties over random sessions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.conftest import INTERVAL_MS, SHANGHAI, T0
from tracker.core.crediting import (
    DOCUMENT,
    VIDEO,
    Beat,
    SessionClock,
    Standing,
    Status,
    allocate,
    credit_interval,
    evaluate_heartbeat,
    is_lapsed,
    open_clock,
    restart_interval,
    status_of,
)

HOUR_MS = 3_600_000


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def live_clock(kind: str = VIDEO, position: float = 100.0) -> SessionClock:
    return SessionClock(kind=kind, last_at=T0, last_seq=1, last_position=position, was_live=True)


def standing(
    item_ms: int = 0,
    cap_ms: int = 2 * HOUR_MS,
    year_ms: int = 0,
    year_cap_ms: int | None = 50 * HOUR_MS,
    year: int = 2026,
) -> Standing:
    return Standing(item_ms, cap_ms, MappingProxyType({year: year_ms}), year_cap_ms)


@pytest.mark.parametrize(
    ("clock", "beat", "expected_ms"),
    [
        pytest.param(
            live_clock(),
            Beat(at(15), 2, "playing", True, 115.0),
            15_000,
            id="video playing and visible",
        ),
        pytest.param(
            replace(live_clock(), was_live=False),
            Beat(at(15), 2, "playing", True, 115.0),
            0,
            id="interval began paused or hidden",
        ),
        pytest.param(
            live_clock(),
            Beat(at(15), 2, "playing", True, 100.0),
            0,
            id="video stalled: position did not move",
        ),
        pytest.param(
            live_clock(), Beat(at(15), 2, "playing", True, 40.0), 0, id="video seeked backwards"
        ),
        pytest.param(
            live_clock(),
            Beat(at(15), 2, "paused", True, 104.0),
            4_000,
            id="late pause report earns only what played",
        ),
        pytest.param(
            live_clock(),
            Beat(at(15), 2, "playing", True, 130.0, rate=2.0),
            15_000,
            id="double speed earns wall time, not media time",
        ),
        pytest.param(
            live_clock(),
            Beat(at(15), 2, "playing", True, 500.0, rate=1.0),
            15_000,
            id="seeking forward earns no more than wall time",
        ),
        pytest.param(
            live_clock(),
            Beat(at(15), 2, "playing", True, 107.5, rate=0.5),
            15_000,
            id="half speed still earns wall time",
        ),
        pytest.param(
            live_clock(),
            Beat(at(45), 2, "playing", True, 145.0),
            30_000,
            id="late beat earns at most two intervals",
        ),
        pytest.param(
            live_clock(DOCUMENT, 3),
            Beat(at(15), 2, "playing", True, 3),
            15_000,
            id="document visible and active",
        ),
        pytest.param(
            live_clock(DOCUMENT, 3),
            Beat(at(15), 2, "paused", True, 3),
            0,
            id="document went idle during the interval",
        ),
        pytest.param(
            live_clock(DOCUMENT, 3),
            Beat(at(15), 2, "playing", False, 3),
            0,
            id="document hidden at the end of the interval",
        ),
        pytest.param(
            live_clock(), Beat(at(-5), 2, "playing", True, 115.0), 0, id="clock went backwards"
        ),
    ],
)
def test_credit_interval(clock: SessionClock, beat: Beat, expected_ms: int) -> None:
    assert credit_interval(clock, beat, INTERVAL_MS) == expected_ms


def test_new_session_credits_nothing_until_a_live_beat_starts_an_interval() -> None:
    clock = open_clock(VIDEO, T0)
    first = evaluate_heartbeat(
        clock, Beat(at(10), 0, "playing", True, 0.0), standing(), INTERVAL_MS, SHANGHAI
    )
    assert first.credit.live_ms == 0
    assert first.status is Status.RECORDING
    second = evaluate_heartbeat(
        first.clock, Beat(at(20), 1, "playing", True, 10.0), standing(), INTERVAL_MS, SHANGHAI
    )
    assert second.credit.raw_ms == 10_000


@pytest.mark.parametrize("seq", [1, 0])
def test_replayed_or_old_seq_is_ignored(seq: int) -> None:
    clock = live_clock()
    outcome = evaluate_heartbeat(
        clock, Beat(at(15), seq, "playing", True, 115.0), standing(), INTERVAL_MS, SHANGHAI
    )
    assert not outcome.accepted
    assert outcome.clock == clock
    assert outcome.credit.live_ms == 0


@pytest.mark.parametrize(
    ("silence_s", "lapsed"), [(29.9, False), (30.0, False), (30.001, True), (300, True)]
)
def test_session_lapses_after_two_silent_intervals(silence_s: float, lapsed: bool) -> None:
    assert is_lapsed(live_clock(), at(silence_s), INTERVAL_MS) is lapsed


def test_restarted_interval_earns_nothing_for_the_gap() -> None:
    clock = restart_interval(live_clock(), at(20))
    beat = Beat(at(25), 2, "playing", True, 125.0)
    assert credit_interval(clock, beat, INTERVAL_MS) == 0


def test_item_cap_limits_raw_credit() -> None:
    credit = allocate(15_000, at(15), standing(item_ms=2 * HOUR_MS - 4_000), SHANGHAI)
    assert (credit.live_ms, credit.raw_ms, credit.effective_ms) == (15_000, 4_000, 4_000)


def test_year_cap_limits_effective_but_keeps_raw() -> None:
    credit = allocate(15_000, at(15), standing(year_ms=50 * HOUR_MS - 6_000), SHANGHAI)
    assert (credit.raw_ms, credit.effective_ms) == (15_000, 6_000)


def test_no_year_cap_means_everything_counts() -> None:
    credit = allocate(15_000, at(15), standing(year_ms=10**9, year_cap_ms=None), SHANGHAI)
    assert credit.effective_ms == 15_000


def test_interval_across_new_year_credits_each_year() -> None:
    midnight = datetime(2027, 1, 1, tzinfo=SHANGHAI)
    full_2026 = standing(year_ms=50 * HOUR_MS, year=2026)
    credit = allocate(10_000, midnight + timedelta(seconds=4), full_2026, SHANGHAI)
    parts = {(p.year, p.raw_ms, p.effective_ms) for p in credit.parts}
    assert parts == {(2026, 6_000, 0), (2027, 4_000, 4_000)}


@pytest.mark.parametrize(
    ("live", "st_", "expected"),
    [
        (True, standing(), Status.RECORDING),
        (False, standing(), Status.NOT_RECORDING),
        (True, standing(item_ms=2 * HOUR_MS), Status.ITEM_CAP_REACHED),
        (False, standing(item_ms=2 * HOUR_MS), Status.ITEM_CAP_REACHED),
        (True, standing(year_ms=50 * HOUR_MS), Status.YEAR_CAP_REACHED),
        (True, standing(year_ms=50 * HOUR_MS, year_cap_ms=None), Status.RECORDING),
    ],
)
def test_status(live: bool, st_: Standing, expected: Status) -> None:
    assert status_of(live, st_, 2026) is expected


# --- properties over random sessions -------------------------------------------------------

beats = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=3.5 * INTERVAL_MS / 1000),  # gap since previous beat
        st.sampled_from(["playing", "playing", "playing", "paused", "ended"]),
        st.booleans() | st.just(True),  # visible, biased towards True
        st.floats(min_value=-20, max_value=60),  # position change
        st.floats(min_value=0.1, max_value=16),  # rate
        st.integers(min_value=-2, max_value=2),  # seq jump: <= 0 is a replay or reorder
    ),
    max_size=60,
)


def run_session(kind: str, steps: list, cap_ms: int, year_cap_ms: int | None, start: datetime = T0):
    """Feed random beats through the core; return credit totals and the live wall time."""
    clock = open_clock(kind, start)
    current = Standing(0, cap_ms, MappingProxyType({}), year_cap_ms)
    now, position, seq, live_wall_ms, booked = start, 0.0, 0, 0, []
    last_accepted_live_at: datetime | None = None
    for gap, state, visible, moved, rate, jump in steps:
        now += timedelta(seconds=gap)
        position = max(0.0, position + moved)
        seq += jump
        outcome = evaluate_heartbeat(
            clock, Beat(now, seq, state, visible, position, rate), current, INTERVAL_MS, SHANGHAI
        )
        if outcome.accepted:
            if last_accepted_live_at is not None:
                live_wall_ms += (now - last_accepted_live_at) / timedelta(milliseconds=1)
            last_accepted_live_at = now if outcome.clock.was_live else None
            booked.append(outcome.credit)
            replay = evaluate_heartbeat(
                outcome.clock,
                Beat(now, seq, state, visible, position, rate),
                outcome.standing,
                INTERVAL_MS,
                SHANGHAI,
            )
            assert not replay.accepted
            assert replay.standing == outcome.standing
        else:
            assert outcome.standing == current
            assert outcome.clock == clock
            seq = clock.last_seq
        clock, current = outcome.clock, outcome.standing
    return current, booked, live_wall_ms, now - start


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from([VIDEO, DOCUMENT]),
    steps=beats,
    cap_ms=st.integers(min_value=1, max_value=HOUR_MS),
    year_cap_ms=st.none() | st.integers(min_value=0, max_value=HOUR_MS),
)
def test_credit_never_exceeds_live_wall_time_or_caps(kind, steps, cap_ms, year_cap_ms) -> None:
    final, booked, live_wall_ms, elapsed = run_session(kind, steps, cap_ms, year_cap_ms)
    raw = sum(c.raw_ms for c in booked)
    assert raw == final.item_credited_ms
    assert sum(c.live_ms for c in booked) <= live_wall_ms + len(booked)  # ms rounding per beat
    assert raw <= elapsed / timedelta(milliseconds=1)
    assert raw <= cap_ms
    for year, effective in final.year_effective_ms.items():
        assert effective <= (year_cap_ms if year_cap_ms is not None else raw)
        assert effective <= sum(p.raw_ms for c in booked for p in c.parts if p.year == year)


@settings(max_examples=100, deadline=None)
@given(steps=beats, shift=st.floats(min_value=-120, max_value=120))
def test_credit_is_split_exactly_across_new_year(steps, shift) -> None:
    start = datetime(2027, 1, 1, tzinfo=SHANGHAI).astimezone(UTC) + timedelta(seconds=shift)
    _, booked, _, _ = run_session(VIDEO, steps, HOUR_MS, None, start=start)
    for credit in booked:
        assert sum(p.raw_ms for p in credit.parts) == credit.raw_ms == credit.live_ms
        assert all(p.year in (2026, 2027) for p in credit.parts)


@pytest.mark.parametrize(("silence_s", "backlog_ms", "lapsed"), [(31, 0, True), (31, 2000, False)])
def test_the_servers_backlog_extends_the_lapse_window(
    silence_s: float, backlog_ms: int, lapsed: bool
) -> None:
    assert is_lapsed(live_clock(), at(silence_s), INTERVAL_MS, backlog_ms) is lapsed

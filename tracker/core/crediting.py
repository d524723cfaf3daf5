"""Live crediting: how much wall-clock time a heartbeat earns, under item and yearly caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType

from tracker.core.calendar import split_by_year, year_of

PLAYING, PAUSED, ENDED = "playing", "paused", "ended"
VIDEO, DOCUMENT = "video", "document"
# Rates outside this band are treated as its edges; a reported rate only ever lowers credit.
MIN_RATE, MAX_RATE = 0.0625, 16.0


class Status(StrEnum):
    """What a session is doing, as shown to the viewer."""

    RECORDING = "recording"
    NOT_RECORDING = "not_recording"
    ITEM_CAP_REACHED = "item_cap_reached"
    YEAR_CAP_REACHED = "year_cap_reached"


@dataclass(frozen=True)
class Beat:
    """One heartbeat as received, stamped with the server's clock."""

    at: datetime
    seq: int
    state: str
    visible: bool
    position: float
    rate: float = 1.0

    @property
    def live(self) -> bool:
        """Whether the viewer claims to be watching right now."""
        return self.state == PLAYING and self.visible


@dataclass(frozen=True)
class SessionClock:
    """The last accepted moment of a session: where the next interval starts."""

    kind: str
    last_at: datetime
    last_seq: int = -1
    last_position: float | None = None
    was_live: bool = False


def open_clock(kind: str, at: datetime) -> SessionClock:
    """The clock of a session opened at `at`: nothing is live until a heartbeat says so."""
    return SessionClock(kind=kind, last_at=at)


def restart_interval(clock: SessionClock, at: datetime) -> SessionClock:
    """Start a fresh, not-yet-live interval (after a reconnect): the gap earns nothing."""
    return replace(clock, last_at=at, was_live=False)


def is_lapsed(clock: SessionClock, now: datetime, interval_ms: int, backlog_ms: int = 0) -> bool:
    """A session lapses when no heartbeat arrived for two intervals.

    `backlog_ms` is how far behind the server itself has recently been: a heartbeat it got
    to late is not the player's silence.
    """
    return now - clock.last_at > timedelta(milliseconds=2 * interval_ms + backlog_ms)


def credit_interval(clock: SessionClock, beat: Beat, interval_ms: int) -> int:
    """Milliseconds of live wall time between the last accepted beat and `beat`.

    The interval counts only if it began live. For video the media position must have
    advanced, and the advance divided by the playback rate bounds the credit, so a pause
    reported late earns only the part that really played. A document's interval must
    also end live, since idleness is only detected at its end.
    """
    if not clock.was_live:
        return 0
    elapsed_ms = (beat.at - clock.last_at) / timedelta(milliseconds=1)
    credit = min(elapsed_ms, 2 * interval_ms)
    if clock.kind == VIDEO:
        advanced_s = beat.position - (clock.last_position or 0.0)
        if advanced_s <= 0:
            return 0
        rate = min(max(beat.rate, MIN_RATE), MAX_RATE)
        credit = min(credit, advanced_s / rate * 1000)
    elif not beat.live:
        return 0
    return max(0, int(credit))


@dataclass(frozen=True)
class Standing:
    """A user's totals that caps are checked against, before or after a credit."""

    item_credited_ms: int
    item_cap_ms: int
    year_effective_ms: Mapping[int, int]
    year_cap_ms: int | None

    def year_effective(self, year: int) -> int:
        """Effective online ms already credited in `year`."""
        return self.year_effective_ms.get(year, 0)


@dataclass(frozen=True)
class YearCredit:
    """Credit falling into one calendar year: raw is item-capped, effective also year-capped."""

    year: int
    raw_ms: int
    effective_ms: int


@dataclass(frozen=True)
class Credit:
    """The outcome of crediting one interval."""

    live_ms: int
    parts: tuple[YearCredit, ...] = ()

    @property
    def raw_ms(self) -> int:
        """Recorded time (within the item cap)."""
        return sum(part.raw_ms for part in self.parts)

    @property
    def effective_ms(self) -> int:
        """Time that counts towards the target (within the yearly cap too)."""
        return sum(part.effective_ms for part in self.parts)


NO_CREDIT = Credit(live_ms=0)


def allocate(live_ms: int, end: datetime, standing: Standing, tz: tzinfo) -> Credit:
    """Split `live_ms` ending at `end` into years and apply the item and yearly caps."""
    item_room = max(0, standing.item_cap_ms - standing.item_credited_ms)
    parts = []
    for year, ms in split_by_year(end, live_ms, tz):
        raw = min(ms, item_room)
        item_room -= raw
        if standing.year_cap_ms is None:
            effective = raw
        else:
            year_room = max(0, standing.year_cap_ms - standing.year_effective(year))
            effective = min(raw, year_room)
        if raw:
            parts.append(YearCredit(year=year, raw_ms=raw, effective_ms=effective))
    return Credit(live_ms=live_ms, parts=tuple(parts))


def apply_credit(standing: Standing, credit: Credit) -> Standing:
    """The standing after `credit` is booked."""
    years = dict(standing.year_effective_ms)
    for part in credit.parts:
        years[part.year] = years.get(part.year, 0) + part.effective_ms
    return replace(
        standing,
        item_credited_ms=standing.item_credited_ms + credit.raw_ms,
        year_effective_ms=MappingProxyType(years),
    )


def status_of(live: bool, standing: Standing, year: int) -> Status:
    """The recording state to show; a reached cap explains why nothing (more) counts."""
    if standing.item_credited_ms >= standing.item_cap_ms:
        return Status.ITEM_CAP_REACHED
    if standing.year_cap_ms is not None and standing.year_effective(year) >= standing.year_cap_ms:
        return Status.YEAR_CAP_REACHED
    return Status.RECORDING if live else Status.NOT_RECORDING


@dataclass(frozen=True)
class HeartbeatOutcome:
    """What one heartbeat did: the new clock, the credit booked and the state to show."""

    accepted: bool
    clock: SessionClock
    credit: Credit
    standing: Standing
    status: Status


def evaluate_heartbeat(
    clock: SessionClock, beat: Beat, standing: Standing, interval_ms: int, tz: tzinfo
) -> HeartbeatOutcome:
    """Credit `beat` against `clock`; a replayed or out-of-order seq changes nothing."""
    year = year_of(beat.at, tz)
    if beat.seq <= clock.last_seq or beat.at < clock.last_at:
        status = status_of(clock.was_live, standing, year)
        return HeartbeatOutcome(False, clock, NO_CREDIT, standing, status)
    live_ms = credit_interval(clock, beat, interval_ms)
    credit = allocate(live_ms, beat.at, standing, tz) if live_ms else NO_CREDIT
    after = apply_credit(standing, credit)
    new_clock = replace(
        clock, last_at=beat.at, last_seq=beat.seq, last_position=beat.position, was_live=beat.live
    )
    return HeartbeatOutcome(True, new_clock, credit, after, status_of(beat.live, after, year))

"""No hour counted twice: the same clock time claimed by two sources, and over-full days.

Live player time is known to the second (`Span`); a training or a self-reported claim only by
its days (`Booking`): its time is spread evenly over them, and an offline one (a training, an
external training) occupies the training hours of each day (`training_day_starts` for the rule
set's `hours_per_day`). Per local day, in this order:

1. offline bookings share one day's training hours: what does not fit is set aside from the
   later-filed one (`offline_overlap`);
2. live time inside the training hours of a day with an offline booking, beyond what the
   booking leaves free, is set aside from the loser the rule set names
   (`live_during_training`) or flagged;
3. two claims of the same days are flagged, or the later one's share of the shared days is
   set aside when they are of one kind (`overlapping_claims`);
4. no day keeps more than the daily ceiling: the excess is set aside from the kinds the rule
   set keeps last, the latest first (`daily_ceiling`).

What is set aside stays in the archive as a negative line with its reason; `core.archive`
counts it like every other entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from tracker.core.rules import MS_PER_HOUR, RuleSet

_MS = timedelta(milliseconds=1)


class Span(NamedTuple):
    """A live session: its wall-clock span, the time it was credited, the day it is dated by."""

    ref: str
    start: datetime
    end: datetime
    credited_ms: int
    dated: date
    subject: str | None = None


class Booking(NamedTuple):
    """A training or claim: its days, its credited time, its kind and when it was filed."""

    ref: str
    kind: str
    first: date
    last: date
    ms: int
    dated: date
    filed: datetime
    claim: bool  # self-reported (a training is not)
    subject: str | None = None

    @property
    def offline(self) -> bool:
        """Whether it occupies the training hours of its days."""
        return self.kind == "offline"


class SetAside(NamedTuple):
    """Time of one source not counted on `day` because another source had it, and why."""

    ref: str
    kind: str
    day: date
    dated: date  # the day its source is dated by in the archive
    ms: int
    reason: str
    against: tuple[str, ...]
    subject: str | None = None


class Overlap(NamedTuple):
    """Clock time claimed twice, left for a reviewer (the rule set flags rather than decides)."""

    reason: str
    day: date
    ms: int
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """What is set aside, and what is only flagged."""

    set_aside: tuple[SetAside, ...]
    flagged: tuple[Overlap, ...]

    def total_ms(self, ref: str) -> int:
        """All time set aside from source `ref`."""
        return sum(s.ms for s in self.set_aside if s.ref == ref)


def days_of(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def spread(ms: int, days: Sequence[date]) -> dict[date, int]:
    """`ms` spread evenly over `days` (the first days take the remainder)."""
    share, extra = divmod(ms, len(days))
    return {day: share + (1 if n < extra else 0) for n, day in enumerate(days)}


def local_days(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[date, datetime, datetime]]:
    """The span cut at local midnights: (day, from, to) for each day it touches."""
    day = start.astimezone(tz).date()
    if end <= _midnight_after(day, tz):
        return [(day, start, end)]  # most sessions: one day, asked for by the hundred thousand
    pieces = []
    cursor = start
    while cursor < end:
        day = cursor.astimezone(tz).date()
        midnight = datetime.combine(day + timedelta(days=1), time(0), tz)
        upto = min(end, midnight)
        pieces.append((day, cursor, upto))
        cursor = upto
    return pieces


@lru_cache(maxsize=4096)
def _midnight_after(day: date, tz: tzinfo) -> datetime:
    """The local midnight that ends `day` (asked for once per session: remembered)."""
    return datetime.combine(day + timedelta(days=1), time(0), tz)


def most_per_day(
    spans: Iterable[Span] | Iterable[Any], tz: tzinfo, key: Callable[[Any], Any] = lambda s: None
) -> dict[Any, int]:
    """An upper bound of the credited time on any one local day, per `key` of a span: each
    span counted in full on every day it touches. Cheap, so that people whose days are all
    well below a threshold skip the exact work."""
    most: dict[Any, int] = {}
    totals: dict[tuple[Any, date], int] = defaultdict(int)
    for span in spans:
        who = key(span)
        first = span.start.astimezone(tz).date()
        last = span.end.astimezone(tz).date()
        totals[who, first] += span.credited_ms
        for n in range(1, (last - first).days + 1):  # rare: a session past midnight
            totals[who, first + timedelta(days=n)] += span.credited_ms
    for (who, _), ms in totals.items():
        most[who] = max(most.get(who, 0), ms)
    return most


def window_of(day: date, starts: time, hours: float, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local clock span of `hours` from `starts` on `day`."""
    begin = datetime.combine(day, starts, tz)
    return begin, begin + timedelta(hours=hours)


def _overlap_ms(a: datetime, b: datetime, c: datetime, d: datetime) -> int:
    return max(0, round((min(b, d) - max(a, c)) / _MS))


def _proportional(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` split over `weights` in proportion (largest remainders take the rest)."""
    whole = sum(weights.values())
    if whole <= 0 or total <= 0:
        return {}
    total = min(total, whole)
    shares = {ref: total * w // whole for ref, w in weights.items()}
    rest = total - sum(shares.values())
    for ref in sorted(weights, key=lambda r: (-(total * weights[r] % whole), r))[:rest]:
        shares[ref] += 1
    return {ref: ms for ref, ms in shares.items() if ms > 0}


class _Day:
    """What each source still holds on one day."""

    def __init__(self) -> None:
        self.live: dict[str, int] = {}
        self.in_hours: dict[str, int] = {}  # live time inside the training hours
        self.bookings: dict[str, int] = {}


def resolve(
    spans: Iterable[Span], bookings: Iterable[Booking], rules: RuleSet, tz: tzinfo
) -> Resolution:
    """Decide, day by day, which time is set aside and which overlap is flagged."""
    policy = rules.overlaps
    hours_ms = round(rules.hours_per_day * MS_PER_HOUR)
    spans = [s for s in spans if s.credited_ms > 0 and s.end > s.start]
    books = {b.ref: b for b in bookings if b.ms > 0 and b.last >= b.first}
    if not books and most_per_day(spans, tz).get(None, 0) <= policy.daily_ceiling_ms:
        return Resolution((), ())  # live time alone, no day near the ceiling: most people

    by_span = {s.ref: s for s in spans}
    days: dict[date, _Day] = defaultdict(_Day)
    for booking in books.values():
        for day, ms in spread(booking.ms, days_of(booking.first, booking.last)).items():
            if ms:
                days[day].bookings[booking.ref] = ms
    # Training hours matter only on days with an offline booking.
    offline_days = {
        day for day, held in days.items() if any(books[r].offline for r in held.bookings)
    }
    hours: dict[date, tuple[datetime, datetime]] = {}  # each offline day's training hours
    for span in spans:
        wall = round((span.end - span.start) / _MS)
        for day, begin, upto in local_days(span.start, span.end, tz):
            piece = round((upto - begin) / _MS)
            days[day].live[span.ref] = span.credited_ms * piece // wall
            if day in offline_days:
                if day not in hours:
                    hours[day] = window_of(day, policy.training_day_starts, rules.hours_per_day, tz)
                inside = _overlap_ms(begin, upto, *hours[day])
                if inside:
                    days[day].in_hours[span.ref] = span.credited_ms * inside // wall
    # Only days with a booking, or more live time than the ceiling, can have anything to do.
    busy = [
        day
        for day, held in days.items()
        if held.bookings or sum(held.live.values()) > policy.daily_ceiling_ms
    ]

    rank = {kind: n for n, kind in enumerate(policy.keep_first)}

    def keep_order(ref: str) -> tuple[int, bool, datetime, str]:
        """Sources in the order they keep their time: by kind, what the organisation recorded
        before what was claimed, then earlier first."""
        if ref in books:
            b = books[ref]
            return rank.get(b.kind, len(rank)), b.claim, b.filed, ref
        s = by_span[ref]
        return rank.get("online", len(rank)), False, s.start, ref

    set_aside: list[SetAside] = []
    flagged: list[Overlap] = []

    def take(day: _Day, on: date, ref: str, ms: int, reason: str, against: Iterable[str]) -> int:
        held = day.bookings if ref in books else day.live
        ms = min(ms, held.get(ref, 0))
        if ms <= 0:
            return 0
        held[ref] -= ms
        if ref in day.in_hours:
            day.in_hours[ref] = max(0, day.in_hours[ref] - ms)
        source = books.get(ref)
        kind, dated, subject = (
            (source.kind, source.dated, source.subject)
            if source
            else ("online", by_span[ref].dated, by_span[ref].subject)
        )
        set_aside.append(
            SetAside(ref, kind, on, dated, ms, reason, tuple(sorted(set(against))), subject)
        )
        return ms

    for on in sorted(busy):
        day = days[on]
        if not day.live and len(day.bookings) == 1:  # most booked days: nothing to settle
            ((ref, ms),) = day.bookings.items()
            if ms <= policy.daily_ceiling_ms and (ms <= hours_ms or not books[ref].offline):
                continue
        offline = sorted((r for r in day.bookings if books[r].offline), key=keep_order)
        # 1. Offline bookings share the day's training hours.
        room = hours_ms
        for ref in offline:
            extra = day.bookings[ref] - room
            room = max(0, room - day.bookings[ref])
            if extra > 0:
                earlier = offline[: offline.index(ref)]
                if policy.overlapping_claims == "flag" and books[ref].claim:
                    flagged.append(Overlap("offline_overlap", on, extra, (*earlier, ref)))
                else:
                    take(day, on, ref, extra, "offline_overlap", earlier)
        # 2. Live time inside training hours the offline bookings fill.
        occupied = sum(day.bookings[r] for r in offline)
        live_inside = sum(day.in_hours.values())
        both = min(live_inside, occupied, live_inside + occupied - hours_ms)
        if offline and both > 0:
            rivals = [r for r, ms in day.in_hours.items() if ms > 0]
            if policy.live_during_training == "flag":
                flagged.append(Overlap("live_during_training", on, both, (*offline, *rivals)))
            elif policy.live_during_training == "training":
                for ref, ms in _proportional(both, dict(day.in_hours)).items():
                    take(day, on, ref, ms, "live_during_training", offline)
            else:
                left = both
                for ref in reversed(offline):
                    left -= take(day, on, ref, left, "training_during_live", rivals)
        # 3. Claims of the same days.
        claims = sorted((r for r in day.bookings if books[r].claim), key=keep_order)
        for n, ref in enumerate(claims):
            for earlier in claims[:n]:
                if books[ref].offline and books[earlier].offline:
                    continue  # shared training hours: settled in step 1
                if policy.overlapping_claims == "flag":
                    ms = min(day.bookings[ref], day.bookings[earlier])
                    if ms > 0:
                        flagged.append(Overlap("overlapping_claims", on, ms, (earlier, ref)))
                elif books[ref].kind == books[earlier].kind:
                    take(day, on, ref, day.bookings[ref], "overlapping_claims", [earlier])
        # 4. The daily ceiling over everything left.
        held = {**day.live, **day.bookings}
        excess = sum(held.values()) - policy.daily_ceiling_ms
        for ref in sorted(held, key=keep_order, reverse=True):
            if excess <= 0:
                break
            others = [r for r in held if r != ref]
            excess -= take(day, on, ref, excess, "daily_ceiling", others)
    merged = _merge(set_aside)
    return Resolution(merged, tuple(sorted(flagged, key=lambda f: (f.day, f.reason, f.refs))))


def _merge(pieces: list[SetAside]) -> tuple[SetAside, ...]:
    """One line per source, day and reason."""
    lines: dict[tuple[str, date, str], SetAside] = {}
    for piece in pieces:
        key = (piece.ref, piece.day, piece.reason)
        if key in lines:
            old = lines[key]
            against = tuple(sorted(set(old.against) | set(piece.against)))
            lines[key] = old._replace(ms=old.ms + piece.ms, against=against)
        else:
            lines[key] = piece
    return tuple(sorted(lines.values(), key=lambda s: (s.day, s.reason, s.ref)))

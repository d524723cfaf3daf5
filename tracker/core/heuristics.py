"""Flags for a reviewer: patterns across sessions and sources that deserve a second look.

Each heuristic is a named rule over plain values with its thresholds in the rule set
(`HeuristicRules`) and returns `Finding`s that carry their evidence (sessions, times,
figures). A finding decides nothing: a reviewer dismisses it or deducts a stated amount.
The rules are explained for an HR reader in docs/heuristics.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from tracker.core.overlaps import (
    Booking,
    Resolution,
    Span,
    local_days,
    most_per_day,
    resolve,
)
from tracker.core.rules import HeuristicRules, RuleSet

RULES = (
    "long_day",
    "night",
    "robotic",
    "shared_client",
    "live_during_training",
    "overlapping_claims",
    "year_end_burst",
)

_MS = timedelta(milliseconds=1)


SEEK_TOLERANCE_S = 2.0  # position off what the playing time explains by more: a seek


class Rhythm(NamedTuple):
    """How a session's heartbeats went, in running sums (one update per heartbeat)."""

    beats: int = 0  # heartbeats that found it live
    gap_sum_ms: int = 0  # the gaps before those heartbeats
    gap_square_sum: int = 0
    streak_ms: int = 0  # live without a break up to the last heartbeat
    longest_live_ms: int = 0
    breaks: int = 0  # heartbeats that found it paused, hidden or moved by hand

    @property
    def gap_sd_ms(self) -> float | None:
        """The standard deviation of the gaps between live heartbeats."""
        return gap_sd_ms(self.beats, self.gap_sum_ms, self.gap_square_sum)


def gap_sd_ms(beats: int, gap_sum_ms: int, gap_square_sum: int) -> float | None:
    """The standard deviation of `beats` gaps from their sum and sum of squares (None: too few
    to tell)."""
    if beats < 2:
        return None
    mean = gap_sum_ms / beats
    return max(0.0, gap_square_sum / beats - mean * mean) ** 0.5


def next_rhythm(
    rhythm: Rhythm,
    gap_ms: int,
    live: bool,
    was_live: bool,
    moved_s: float | None,
    rate: float,
) -> Rhythm:
    """The rhythm after one accepted heartbeat `gap_ms` after the one before; `moved_s` is how
    far the position moved (None when unknown)."""
    seeked = moved_s is not None and abs(moved_s - gap_ms / 1000 * rate) > SEEK_TOLERANCE_S
    if not live or seeked:
        return rhythm._replace(streak_ms=0, breaks=rhythm.breaks + 1)
    streak = rhythm.streak_ms + gap_ms if was_live else 0
    return Rhythm(
        rhythm.beats + 1,
        rhythm.gap_sum_ms + gap_ms,
        rhythm.gap_square_sum + gap_ms * gap_ms,
        streak,
        max(rhythm.longest_live_ms, streak),
        rhythm.breaks,
    )


class Watch(NamedTuple):
    """A live session as the heuristics read it."""

    ref: str
    user_id: int
    start: datetime
    end: datetime
    credited_ms: int
    beats: int = 0  # heartbeats that found the session live
    gap_sd_ms: float | None = None  # standard deviation of the gaps between them
    longest_live_ms: int = 0  # the longest stretch live without a pause, hidden tab or seek
    breaks: int = 0  # heartbeats that found it paused, hidden or moved
    address: str | None = None
    device: str | None = None


class Finding(NamedTuple):
    """One flag: which rule, for whom, about what (`key` names it among that rule's), and the
    evidence a reviewer reads."""

    rule: str
    user_id: int
    key: str
    day: date
    figure_ms: int  # the figure the rule compares with its threshold
    evidence: Mapping[str, Any]


def _clear_of_night(start: time, end: time, rules: HeuristicRules) -> bool:
    """Whether a session within one local day from `start` to `end` misses the night window."""
    starts, ends = rules.night_starts, rules.night_ends
    if starts < ends:
        return not (start < ends and end > starts)
    return not (start < ends or end > starts)


def _iso(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).isoformat(timespec="seconds")


def _session(watch: Watch, tz: tzinfo) -> dict[str, Any]:
    return {
        "session": watch.ref,
        "from": _iso(watch.start, tz),
        "to": _iso(watch.end, tz),
        "credited_ms": watch.credited_ms,
    }


def _wall_ms(start: datetime, end: datetime) -> int:
    return round((end - start) / _MS)


Pieces = dict[tuple[int, date], list[tuple[Watch, int]]]


def _pieces(
    watches: Iterable[Watch], windows: Callable[[Watch], Iterable[tuple[date, datetime, datetime]]]
) -> Pieces:
    """Each session's live time inside each of its windows, per (user, window's day): its
    credited time in proportion to the wall time inside."""
    found: Pieces = defaultdict(list)
    for watch in watches:
        wall = _wall_ms(watch.start, watch.end)
        if wall <= 0 or watch.credited_ms <= 0:
            continue
        for day, begin, end in windows(watch):
            inside = _wall_ms(max(begin, watch.start), min(end, watch.end))
            if inside > 0:
                found[watch.user_id, day].append((watch, watch.credited_ms * inside // wall))
    return found


def _above(rule: str, pieces: Pieces, threshold_ms: int, tz: tzinfo, **more: Any) -> list[Finding]:
    """A finding for each (user, day) whose pieces add up to more than `threshold_ms`."""
    found = []
    for (user_id, day), shares in sorted(pieces.items()):
        total = sum(ms for _, ms in shares)
        if total > threshold_ms:
            evidence = {
                "live_ms": total,
                "threshold_ms": threshold_ms,
                **more,
                "sessions": [_session(w, tz) | {"inside_ms": ms} for w, ms in shares],
            }
            found.append(Finding(rule, user_id, day.isoformat(), day, total, evidence))
    return found


def long_days(watches: Iterable[Watch], rules: HeuristicRules, tz: tzinfo) -> list[Finding]:
    """`long_day`: more live time on one local day than `long_day_ms`."""
    watches = list(watches)
    most = most_per_day(watches, tz, key=lambda w: w.user_id)
    near = [w for w in watches if most[w.user_id] > rules.long_day_ms]
    pieces = _pieces(near, lambda w: local_days(w.start, w.end, tz))
    return _above("long_day", pieces, rules.long_day_ms, tz)


def nights(watches: Iterable[Watch], rules: HeuristicRules, tz: tzinfo) -> list[Finding]:
    """`night`: more live time than `night_ms` inside one night (local time; a night that
    starts before midnight belongs to the morning it ends)."""
    starts, ends = rules.night_starts, rules.night_ends

    def windows(watch: Watch) -> Iterator[tuple[date, datetime, datetime]]:
        local_start, local_end = watch.start.astimezone(tz), watch.end.astimezone(tz)
        if local_start.date() == local_end.date() and _clear_of_night(
            local_start.time(), local_end.time(), rules
        ):
            return  # most sessions lie within one day clear of the night: no windows
        first = local_start.date()
        last = local_end.date() + timedelta(days=1)
        for n in range((last - first).days + 1):
            morning = first + timedelta(days=n)
            begin_day = morning - timedelta(days=1) if starts >= ends else morning
            yield (
                morning,
                datetime.combine(begin_day, starts, tz),
                datetime.combine(morning, ends, tz),
            )

    night = [starts.isoformat("minutes"), ends.isoformat("minutes")]
    return _above("night", _pieces(watches, windows), rules.night_ms, tz, night=night)


def robotic(watches: Iterable[Watch], rules: HeuristicRules, tz: tzinfo) -> list[Finding]:
    """`robotic`: one session live for `robotic_stretch_ms` without a single pause, hidden tab
    or seek, its heartbeats spaced with less jitter than `robotic_jitter_ms` (people pause,
    switch tabs and scroll; browsers on real networks wobble)."""
    found = []
    for watch in watches:
        if (
            watch.beats >= rules.robotic_min_beats
            and watch.longest_live_ms >= rules.robotic_stretch_ms
            and watch.gap_sd_ms is not None
            and watch.gap_sd_ms <= rules.robotic_jitter_ms
        ):
            evidence = {
                **_session(watch, tz),
                "longest_live_ms": watch.longest_live_ms,
                "beats": watch.beats,
                "breaks": watch.breaks,
                "gap_sd_ms": round(watch.gap_sd_ms, 1),
                "threshold_stretch_ms": rules.robotic_stretch_ms,
                "threshold_jitter_ms": rules.robotic_jitter_ms,
            }
            day = watch.start.astimezone(tz).date()
            found.append(
                Finding("robotic", watch.user_id, watch.ref, day, watch.longest_live_ms, evidence)
            )
    return found


def shared_clients(watches: Iterable[Watch], rules: HeuristicRules, tz: tzinfo) -> list[Finding]:
    """`shared_client`: sessions of different accounts live at the same time from one device
    (or address, if the rule set says so) for longer than `shared_client_ms` on one day."""
    groups: dict[tuple[str, str], list[Watch]] = defaultdict(list)
    for watch in watches:
        for by in rules.shared_client_by:
            value = watch.device if by == "device" else watch.address
            if value:
                groups[by, value].append(watch)
    # (user, client, day) -> overlap ms, other accounts, sessions
    overlaps: dict[tuple[int, str, str, date], list[Any]] = {}
    for (by, value), group in groups.items():
        group.sort(key=lambda w: w.start)
        active: list[Watch] = []
        for watch in group:
            active = [w for w in active if w.end > watch.start]
            for other in active:
                if other.user_id == watch.user_id:
                    continue
                both = _wall_ms(watch.start, min(watch.end, other.end))
                if both <= 0:
                    continue
                day = watch.start.astimezone(tz).date()
                for me, them in ((watch, other), (other, watch)):
                    cell = overlaps.setdefault((me.user_id, by, value, day), [0, set(), set()])
                    cell[0] += both
                    cell[1].add(them.user_id)
                    cell[2].update((me.ref, them.ref))
            active.append(watch)
    found = []
    for (user_id, by, value, day), (ms, others, sessions) in sorted(
        overlaps.items(), key=lambda item: (item[0][0], item[0][3], item[0][1], item[0][2])
    ):
        if ms >= rules.shared_client_ms:
            evidence = {
                "by": by,
                "client": value,
                "together_ms": ms,
                "other_users": sorted(others),
                "sessions": sorted(sessions),
                "threshold_ms": rules.shared_client_ms,
            }
            key = f"{by}:{value}:{day.isoformat()}"
            found.append(Finding("shared_client", user_id, key, day, ms, evidence))
    return found


def partners(
    watches: Iterable[Watch], user_ids: Collection[int], by: tuple[str, ...], tz: tzinfo
) -> set[int]:
    """The other accounts live at the same time as these people on one client (by `by`): the
    people whose `shared_client` findings these people's sessions take part in."""
    every = HeuristicRules(shared_client_ms=0, shared_client_by=by)
    return {
        other
        for finding in shared_clients(watches, every, tz)
        if finding.user_id in user_ids
        for other in finding.evidence["other_users"]
        if other not in user_ids
    }


def from_overlaps(user_id: int, resolution: Resolution) -> list[Finding]:
    """`live_during_training` and `overlapping_claims`: clock time claimed twice, whether the
    rule set set it aside (the reviewer sees it was) or left it for review."""
    found = []
    for line in resolution.set_aside:
        if line.reason in ("live_during_training", "training_during_live"):
            evidence = {"set_aside_ms": line.ms, "from": line.ref, "against": list(line.against)}
            key = f"{line.day.isoformat()}:{line.ref}"
            found.append(Finding("live_during_training", user_id, key, line.day, line.ms, evidence))
    for overlap in resolution.flagged:
        rule = (
            "live_during_training"
            if overlap.reason == "live_during_training"
            else "overlapping_claims"
        )
        evidence = {"overlap_ms": overlap.ms, "sources": list(overlap.refs), "set_aside_ms": 0}
        key = f"{overlap.day.isoformat()}:{','.join(overlap.refs)}"
        found.append(Finding(rule, user_id, key, overlap.day, overlap.ms, evidence))
    return found


def year_end_burst(
    user_id: int,
    year: int,
    by_day: Mapping[date, int],
    earlier_windows: Mapping[int, int],
    rules: HeuristicRules,
) -> Finding | None:
    """`year_end_burst`: the year's last `burst_days` hold at least `burst_min_ms` and
    `burst_factor` times the person's usual pace: the larger of their pace earlier in the year
    and their own total for the same days of earlier years (a person new to it has no pace)."""
    last = date(year, 12, 31)
    begins = last - timedelta(days=rules.burst_days - 1)
    inside = sum(ms for day, ms in by_day.items() if begins <= day <= last)
    before = sum(ms for day, ms in by_day.items() if date(year, 1, 1) <= day < begins)
    days_before = (begins - date(year, 1, 1)).days
    pace = before * rules.burst_days // days_before if days_before > 0 else 0
    history = max(earlier_windows.values(), default=0)
    usual = max(pace, history)
    if inside < rules.burst_min_ms or inside < rules.burst_factor * usual:
        return None
    evidence = {
        "window": [begins.isoformat(), last.isoformat()],
        "window_ms": inside,
        "pace_earlier_this_year_ms": pace,
        "same_days_earlier_years_ms": {str(y): ms for y, ms in sorted(earlier_windows.items())},
        "factor": rules.burst_factor,
        "threshold_ms": rules.burst_min_ms,
    }
    return Finding("year_end_burst", user_id, str(year), last, inside, evidence)


def review(
    user_id: int, spans: Sequence[Span], bookings: Sequence[Booking], rules: RuleSet, tz: tzinfo
) -> tuple[Resolution, list[Finding]]:
    """One person's year: what the same clock time earned twice (`overlaps.resolve`) and the
    `long_day`, `night`, `live_during_training` and `overlapping_claims` findings.

    The same as calling those rules on all of `spans`, but each session is placed in local
    time once, and only the sessions that can matter reach each rule: those on a day with a
    booking or more (counted generously) than the daily ceiling, on a day over the long-day
    threshold, or not clear of the night. Most of a year's sessions reach none of them.
    """
    limits = rules.heuristics
    ceiling, long_day = rules.overlaps.daily_ceiling_ms, limits.long_day_ms
    night_starts, night_ends = limits.night_starts, limits.night_ends
    # Days as ordinals: plain integers are the cheapest keys for hundreds of thousands.
    placed: list[tuple[Span, int, int]] = []
    bound: dict[int, int] = defaultdict(int)  # each session counted in full on each day
    nightly: list[Span] = []
    for span in spans:  # hundreds of thousands in a full scan: kept to plain local work
        start, end, ms = span[1], span[2], span[3]
        if ms <= 0 or end <= start:
            continue
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        first, last = local_start.toordinal(), local_end.toordinal()
        placed.append((span, first, last))
        bound[first] += ms
        if first != last:
            nightly.append(span)
            for day in range(first + 1, last + 1):
                bound[day] += ms
        elif night_starts < night_ends:
            if local_start.time() < night_ends and local_end.time() > night_starts:
                nightly.append(span)
        elif local_start.time() < night_ends or local_end.time() > night_starts:
            nightly.append(span)
    busy = {day for day, ms in bound.items() if ms > ceiling}
    for b in bookings:
        if b.ms > 0 and b.last >= b.first:
            busy.update(range(b.first.toordinal(), b.last.toordinal() + 1))
    long = {day for day, ms in bound.items() if ms > long_day}

    def touching(days: set[int]) -> list[Span]:
        if not days:
            return []
        return [
            s
            for s, first, last in placed
            if first in days or (first != last and not days.isdisjoint(range(first + 1, last + 1)))
        ]

    def watches(chosen: Iterable[Span]) -> list[Watch]:
        return [Watch(s.ref, user_id, s.start, s.end, s.credited_ms) for s in chosen]

    resolution = resolve(touching(busy), bookings, rules, tz)
    found = long_days(watches(touching(long)), limits, tz)
    found += nights(watches(nightly), limits, tz)
    found += from_overlaps(user_id, resolution)
    return resolution, found

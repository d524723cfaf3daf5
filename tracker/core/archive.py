"""The yearly archive: which recorded time counts, per kind and subject, under the caps."""

# Every piece of recorded time is an `Entry`. For one calendar year, `summarize_year` keeps
# all of it as raw time and decides what is effective: a kind in a cap group counts until the
# group's cap is reached, earlier learning first (on the same day: online before external
# online). Time above a cap stays raw but is not effective. Under a rule set that requires an
# exam for a subject (`RuleSet.exam_required_subjects`), an entry of that subject whose item's
# exam was not passed by the end of the year stays raw too, and uses none of a cap's room.
# `total_year` gives the same figures without the per-entry detail, for reports over thousands
# of people.

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import NamedTuple

from tracker.core.compliance import missing_ms
from tracker.core.rules import KINDS, SUBJECTS, RuleSet

# `Entry.exam_passed_on` of an item whose exam has not been passed (yet).
NOT_PASSED = date.max

# Which kind counts first when two entries fall on the same day.
_SAME_DAY_ORDER = {kind: rank for rank, kind in enumerate(KINDS)}


class Entry(NamedTuple):
    """A piece of recorded time: its kind, the day it was completed, its raw length."""

    # Named tuples rather than frozen dataclasses, here and for kind totals and cap uses: a report
    # makes one per person and item, hundreds of thousands of them, and tuples are several
    # times cheaper to make. `summarize_year` and `total_year` refuse an unknown kind. A
    # negative length takes time back: set aside (core.overlaps) or deducted by a reviewer.

    kind: str
    day: date
    raw_ms: int
    subject: str | None = None
    ref: str = ""  # where it came from (e.g. "record:12"); orders entries of one day and kind
    # Time of an item with an exam: the day the exam was passed, or NOT_PASSED. None: no exam.
    exam_passed_on: date | None = None


@dataclass(frozen=True)
class Counted:
    """An entry and how much of it is effective."""

    entry: Entry
    effective_ms: int
    awaiting_exam: bool = False  # not effective because its item's exam was not passed


class KindTotal(NamedTuple):
    """Raw and effective time of one kind, and how many entries it has."""

    raw_ms: int = 0
    effective_ms: int = 0
    count: int = 0


class CapUse(NamedTuple):
    """How much of a cap group's yearly allowance the year used, and what it cut."""

    name: str
    kinds: frozenset[str]
    cap_ms: int
    raw_ms: int
    effective_ms: int

    @property
    def cut_ms(self) -> int:
        """Raw time of the group above the cap: kept, but not effective."""
        return self.raw_ms - self.effective_ms

    @property
    def room_ms(self) -> int:
        """How much more of the group would still count this year."""
        return missing_ms(self.cap_ms, self.effective_ms)

    @property
    def reached(self) -> bool:
        """Whether nothing more of the group counts this year."""
        return self.effective_ms >= self.cap_ms


@dataclass(frozen=True)
class YearTotals:
    """One calendar year of a user's learning under a rule set, in totals."""

    year: int
    rule_set_id: str
    by_kind: Mapping[str, KindTotal]
    by_subject: Mapping[str, int]
    by_month: tuple[int, ...]  # effective time completed in each month, January first
    caps: tuple[CapUse, ...]
    awaiting_exam_ms: int  # raw time that does not count because its exam was not passed

    @property
    def raw_ms(self) -> int:
        """All recorded time of the year."""
        return sum(total.raw_ms for total in self.by_kind.values())

    @property
    def effective_ms(self) -> int:
        """The time that counts towards the target."""
        return sum(total.effective_ms for total in self.by_kind.values())

    def cap_for(self, kind: str) -> CapUse | None:
        """The use of the cap group that limits `kind`, if any."""
        return next((cap for cap in self.caps if kind in cap.kinds), None)


@dataclass(frozen=True)
class YearArchive(YearTotals):
    """The year's totals and every entry of it with how much of it counted."""

    items: tuple[Counted, ...]


@dataclass(frozen=True)
class ClaimPreview:
    """Of `raw_ms` of `kind` completed on `day`, `counted_ms` would still count that year."""

    kind: str
    day: date
    raw_ms: int
    counted_ms: int
    cap: CapUse | None
    rule_set_id: str

    @property
    def not_counted_ms(self) -> int:
        """The part that would be kept as raw time only."""
        return self.raw_ms - self.counted_ms


def _chronological_key(entry: Entry) -> tuple[date, int, str, int, str, date]:
    try:
        rank = _SAME_DAY_ORDER[entry.kind]
    except KeyError:
        raise ValueError(f"unknown kind {entry.kind!r}") from None
    return (
        entry.day,
        rank,
        entry.subject or "",
        entry.raw_ms,
        entry.ref,
        entry.exam_passed_on or date.min,
    )


def _taken_back_last(entry: Entry) -> tuple[bool, tuple[date, int, str, int, str, date]]:
    return entry.raw_ms < 0, _chronological_key(entry)


def chronological(entries: Iterable[Entry]) -> list[Entry]:
    """Entries in the order caps are filled: by day, then online before external online.

    Entries of one day and kind follow by subject, length, ref and exam: the order, and so what
    the caps cut, depends on the entries alone, never on the order they were given in.
    """
    return sorted(entries, key=_chronological_key)


def summarize_year(entries: Iterable[Entry], year: int, rules: RuleSet) -> YearArchive:
    """The archive of `year`: entries completed in other years are ignored."""
    items: list[Counted] = []
    totals = _count(entries, year, rules, items)
    return YearArchive(**vars(totals), items=tuple(items))


def total_year(entries: Iterable[Entry], year: int, rules: RuleSet) -> YearTotals:
    """The totals of `year` as `summarize_year` has them, without the per-entry items."""
    return _count(entries, year, rules, None)


def _count(
    entries: Iterable[Entry], year: int, rules: RuleSet, items: list[Counted] | None
) -> YearTotals:
    # One pass in chronological order. It runs once per person in a unit report (hundreds of
    # thousands of entries), so it accumulates in locals rather than building values per entry.
    # A negative entry (time set aside, a reviewer's deduction) comes after the year's other
    # entries and takes back what its kind would then no longer count: the cap applies to
    # what is left, so taking back time above a cap changes nothing effective.
    room: dict[str, list[int]] = {}  # kind -> [what its cap group still admits, its raw time]
    for group in rules.caps:
        shared = [group.cap_ms, 0, group.cap_ms]  # one cell for all the group's kinds
        for kind in group.kinds:
            room[kind] = shared
    raw = dict.fromkeys(KINDS, 0)
    effective = dict.fromkeys(KINDS, 0)
    count = dict.fromkeys(KINDS, 0)
    by_subject = dict.fromkeys(SUBJECTS, 0)
    by_month = [0] * 12
    gated = rules.exam_required_subjects
    year_end = date(year, 12, 31)
    awaiting = 0
    chosen = [e for e in entries if e.day.year == year]
    chosen.sort(key=_taken_back_last)
    for entry in chosen:
        kind, day, ms, subject, _, passed_on = entry
        left = room.get(kind)
        # A pass after the year does not reach back: a closed year's figures stay as they were.
        held = ms >= 0 and passed_on is not None and passed_on > year_end and subject in gated
        if ms < 0:
            if left is None:
                counted = max(ms, -effective[kind])
            else:
                cap_ms, group_raw = left[2], left[1]
                before = cap_ms - left[0]
                counted = min(cap_ms, max(0, group_raw + ms)) - before
                left[0] -= counted
                left[1] = max(0, group_raw + ms)
            ms = max(ms, -raw[kind])
        elif held:
            counted = 0
            awaiting += ms
            count[kind] += 1
        else:
            if left is None:
                counted = ms
            else:
                counted = ms if ms < left[0] else left[0]
                left[0] -= counted
                left[1] += ms
            count[kind] += 1
        raw[kind] += ms
        effective[kind] += counted
        if subject in by_subject:
            by_subject[subject] += counted
        by_month[day.month - 1] += counted
        if items is not None:
            items.append(Counted(entry, counted, held))
    by_kind = {kind: KindTotal(raw[kind], effective[kind], count[kind]) for kind in KINDS}
    return YearTotals(
        year=year,
        rule_set_id=rules.id,
        by_kind=MappingProxyType(by_kind),
        by_subject=MappingProxyType(by_subject),
        by_month=tuple(by_month),
        caps=tuple(
            CapUse(
                group.name,
                group.kinds,
                group.cap_ms,
                sum([raw[kind] for kind in group.kinds]),
                sum([effective[kind] for kind in group.kinds]),
            )
            for group in rules.caps
        ),
        awaiting_exam_ms=awaiting,
    )


def preview_claim(
    entries: Iterable[Entry], rules: RuleSet, kind: str, raw_ms: int, day: date
) -> ClaimPreview:
    """How much of a new claim would still count in its year, given what is already there."""
    # The growth of the year's effective total: it does not depend on where the claim falls
    # among the year's other entries.
    existing = list(entries)
    claim = Entry(kind, day, raw_ms)
    before = summarize_year(existing, day.year, rules)
    after = summarize_year([*existing, claim], day.year, rules)
    return ClaimPreview(
        kind=kind,
        day=day,
        raw_ms=raw_ms,
        counted_ms=after.effective_ms - before.effective_ms,
        cap=before.cap_for(kind),
        rule_set_id=rules.id,
    )

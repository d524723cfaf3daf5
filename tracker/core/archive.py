"""The yearly archive: which recorded time counts, per kind and subject, under the caps."""

# Every piece of recorded time is an `Entry`. For one calendar year, `summarize_year` keeps
# all of it as raw time and decides what is effective: a kind in a cap group counts until the
# group's cap is reached, earlier learning first (on the same day: online before external
# online). Time above a cap stays raw but is not effective.

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from tracker.core.rules import KINDS, SUBJECTS, RuleSet

# Which kind counts first when two entries fall on the same day.
_SAME_DAY_ORDER = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Entry:
    """A piece of recorded time: its kind, the day it was completed, its raw length."""

    kind: str
    day: date
    raw_ms: int
    subject: str | None = None
    ref: str = ""  # where it came from (e.g. "record:12"), for the caller's own use

    def __post_init__(self) -> None:
        if self.kind not in _SAME_DAY_ORDER:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.raw_ms < 0:
            raise ValueError("raw_ms must not be negative")


@dataclass(frozen=True)
class Counted:
    """An entry and how much of it is effective."""

    entry: Entry
    effective_ms: int


@dataclass(frozen=True)
class KindTotal:
    """Raw and effective time of one kind, and how many entries it has."""

    raw_ms: int = 0
    effective_ms: int = 0
    count: int = 0


@dataclass(frozen=True)
class CapUse:
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
        return max(0, self.cap_ms - self.effective_ms)

    @property
    def reached(self) -> bool:
        """Whether nothing more of the group counts this year."""
        return self.effective_ms >= self.cap_ms


@dataclass(frozen=True)
class YearArchive:
    """One calendar year of a user's learning under a rule set."""

    year: int
    rule_set_id: str
    by_kind: Mapping[str, KindTotal]
    by_subject: Mapping[str, int]
    caps: tuple[CapUse, ...]
    items: tuple[Counted, ...]

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


def chronological(entries: Iterable[Entry]) -> list[Entry]:
    """Entries in the order caps are filled: by day, then online before external online."""
    return sorted(entries, key=lambda e: (e.day, _SAME_DAY_ORDER[e.kind]))


def _allocate(entries: list[Entry], rules: RuleSet) -> tuple[Counted, ...]:
    room = {group.name: group.cap_ms for group in rules.caps}
    counted = []
    for entry in entries:
        group = rules.cap_group(entry.kind)
        effective = entry.raw_ms if group is None else min(entry.raw_ms, room[group.name])
        if group is not None:
            room[group.name] -= effective
        counted.append(Counted(entry, effective))
    return tuple(counted)


def _by_kind(items: tuple[Counted, ...]) -> Mapping[str, KindTotal]:
    totals = {kind: KindTotal() for kind in KINDS}
    for item in items:
        total = totals[item.entry.kind]
        totals[item.entry.kind] = KindTotal(
            total.raw_ms + item.entry.raw_ms,
            total.effective_ms + item.effective_ms,
            total.count + 1,
        )
    return MappingProxyType(totals)


def _by_subject(items: tuple[Counted, ...]) -> Mapping[str, int]:
    totals = dict.fromkeys(SUBJECTS, 0)
    for item in items:
        if item.entry.subject in totals:
            totals[item.entry.subject] += item.effective_ms
    return MappingProxyType(totals)


def _cap_uses(by_kind: Mapping[str, KindTotal], rules: RuleSet) -> tuple[CapUse, ...]:
    return tuple(
        CapUse(
            name=group.name,
            kinds=group.kinds,
            cap_ms=group.cap_ms,
            raw_ms=sum(by_kind[kind].raw_ms for kind in group.kinds),
            effective_ms=sum(by_kind[kind].effective_ms for kind in group.kinds),
        )
        for group in rules.caps
    )


def summarize_year(entries: Iterable[Entry], year: int, rules: RuleSet) -> YearArchive:
    """The archive of `year`: entries completed in other years are ignored."""
    items = _allocate(chronological(e for e in entries if e.day.year == year), rules)
    by_kind = _by_kind(items)
    return YearArchive(
        year=year,
        rule_set_id=rules.id,
        by_kind=by_kind,
        by_subject=_by_subject(items),
        caps=_cap_uses(by_kind, rules),
        items=items,
    )


def subject_shortfalls(archive: YearArchive, rules: RuleSet) -> Mapping[str, int]:
    """Per subject with a minimum in `rules`, the effective time still missing (0 if met)."""
    return MappingProxyType(
        {
            subject: max(0, minimum - archive.by_subject.get(subject, 0))
            for subject, minimum in rules.subject_minimums_ms.items()
        }
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

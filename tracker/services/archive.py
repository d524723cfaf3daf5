"""The archive: an employee's recorded time per year, raw and effective, from the ledger.

The entries come from the one ledger reader (`services.entries`), the pure core
(`tracker.core.archive`) applies the rule set's yearly caps. Every figure is computed from the
ledger on each call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker import clock
from tracker.core.archive import YearArchive, summarize_year
from tracker.core.rules import KINDS, SUBJECTS, RuleSet
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import User
from tracker.services.entries import Part, Source, gather
from tracker.services.rules import rule_set_for

MAX_YEARS = 10


# --- one employee ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Months:
    """An inclusive range of calendar months."""

    first: date  # the first day of the first month
    last: date  # the last day of the last month

    @property
    def years(self) -> range:
        return range(self.first.year, self.last.year + 1)

    def label(self) -> tuple[str, str]:
        return self.first.strftime("%Y-%m"), self.last.strftime("%Y-%m")


def months(start: str | None, end: str | None, today: date) -> Months:
    """Parse `YYYY-MM` bounds (default: this calendar year); `bad_period` if invalid."""
    try:
        first = _month(start) if start else date(today.year, 1, 1)
        last_month = _month(end) if end else date(first.year, 12, 1)
    except ValueError:
        fail("bad_period")
    next_month = date(last_month.year + last_month.month // 12, last_month.month % 12 + 1, 1)
    last = date.fromordinal(next_month.toordinal() - 1)
    if last < first or last.year - first.year >= MAX_YEARS:
        fail("bad_period")
    return Months(first, last)


def _month(text: str) -> date:
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError(text)
    if not 2000 <= int(year) <= 2100:
        raise ValueError(text)
    return date(int(year), int(month), 1)


@dataclass(frozen=True)
class ArchiveItem:
    """One row of the archive table: a training, a record, or a courseware's year."""

    source: Source  # the item's first entry in the period (its title, kind, subject, ...)
    year: int
    start_date: date
    end_date: date
    raw_ms: int
    effective_ms: int
    cap: str | None  # the cap group that cut it, if any


@dataclass(frozen=True)
class YearStanding:
    """One calendar year of the range: its target, what counted, caps and shortfalls."""

    year: int
    archive: YearArchive
    target_ms: int
    effective_ms: int
    shortfalls: dict[str, int]

    @property
    def remaining_ms(self) -> int:
        return max(0, self.target_ms - self.effective_ms)

    @property
    def compliant(self) -> bool:
        return self.remaining_ms == 0 and not any(self.shortfalls.values())


@dataclass(frozen=True)
class KindSum:
    raw_ms: int = 0
    effective_ms: int = 0
    count: int = 0


@dataclass(frozen=True)
class Archive:
    """A user's archive over a range of months."""

    user: User
    rule_set: RuleSet
    period: Months
    years: tuple[YearStanding, ...]
    items: tuple[ArchiveItem, ...]

    @property
    def target_ms(self) -> int:
        return sum(y.target_ms for y in self.years)

    @property
    def total_ms(self) -> int:
        return sum(i.raw_ms for i in self.items)

    @property
    def effective_ms(self) -> int:
        return sum(i.effective_ms for i in self.items)

    @property
    def remaining_ms(self) -> int:
        return max(0, self.target_ms - self.effective_ms)

    @property
    def compliant(self) -> bool:
        return all(y.compliant for y in self.years)

    def by_kind(self) -> dict[str, KindSum]:
        sums = {kind: KindSum() for kind in KINDS}
        for i in self.items:
            s = sums[i.source.kind]
            sums[i.source.kind] = KindSum(
                s.raw_ms + i.raw_ms, s.effective_ms + i.effective_ms, s.count + 1
            )
        return sums

    def by_subject(self) -> dict[str, int]:
        return _subject_effective(self.items)


def _subject_effective(items: Iterable[ArchiveItem]) -> dict[str, int]:
    sums = dict.fromkeys(SUBJECTS, 0)
    for item in items:
        if item.source.subject in sums:
            sums[item.source.subject] += item.effective_ms
    return sums


def _items(year: YearArchive, parts: dict[str, list[Part]], period: Months) -> list[ArchiveItem]:
    """The year's entries inside `period` as table rows: a courseware's parts make one row.

    An entry's effective time goes to its parts oldest first, as the caps count it.
    """
    rows: dict[str, list[tuple[Source, int, int]]] = {}
    for counted in year.items:
        if not period.first <= counted.entry.day <= period.last:
            continue
        left = counted.effective_ms
        for source, raw_ms in parts[counted.entry.ref]:
            effective = min(raw_ms, left)
            left -= effective
            rows.setdefault(source.item, []).append((source, raw_ms, effective))
    items = []
    for row in rows.values():
        source = min(row, key=lambda share: share[0].start_date)[0]
        raw = sum(share[1] for share in row)
        effective = sum(share[2] for share in row)
        cap = year.cap_for(source.kind)
        items.append(
            ArchiveItem(
                source,
                year.year,
                source.start_date,
                max(share[0].end_date for share in row),
                raw,
                effective,
                cap.name if effective < raw and cap else None,
            )
        )
    return items


def build_archive(user_id: int, start: str | None, end: str | None) -> Archive:
    """A user's archive for the months `start`..`end` (default: this calendar year)."""
    user = db.session.get(User, user_id)
    if user is None:
        fail("user_not_found")
    period = months(start, end, clock.today())
    rules = rule_set_for(user)
    found = gather(User.id == user.id, period.years, sources=True)
    years, items = [], []
    for year in period.years:
        summary = summarize_year(found.of(user.id), year, rules)
        in_range = _items(summary, found.parts, period)
        items += in_range
        years.append(
            YearStanding(
                year=year,
                archive=summary,
                target_ms=rules.target_for(user.role),
                effective_ms=sum(i.effective_ms for i in in_range),
                shortfalls=_shortfalls(in_range, rules),
            )
        )
    items.sort(key=lambda i: (i.end_date, i.source.item))
    return Archive(user, rules, period, tuple(years), tuple(items))


def _shortfalls(items: list[ArchiveItem], rules: RuleSet) -> dict[str, int]:
    done = _subject_effective(items)
    return {s: max(0, m - done.get(s, 0)) for s, m in rules.subject_minimums_ms.items()}

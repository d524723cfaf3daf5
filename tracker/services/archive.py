"""The archive: an employee's recorded time per year, raw and effective, from the ledger.

The entries come from the one ledger reader (`services.entries`), the pure core
(`tracker.core.archive`) applies the rule set's yearly caps. Every figure is computed from the
ledger on each call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker import clock
from tracker.auth import Principal
from tracker.core.archive import YearArchive, summarize_year
from tracker.core.compliance import Compliance, over_years, year_compliance
from tracker.core.exams import ExamTally, tally
from tracker.core.rules import KINDS, SUBJECTS, RuleSet
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import User
from tracker.services.access import may_see
from tracker.services.entries import Part, Source, gather
from tracker.services.exams.results import ExamResult, exam_results
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
        """The calendar years the range touches."""
        return range(self.first.year, self.last.year + 1)

    def label(self) -> tuple[str, str]:
        """The first and last month as YYYY-MM."""
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
    awaiting_exam: bool  # some of it does not count until its exam is passed


@dataclass(frozen=True)
class ArchiveYear:
    """One calendar year of the range: the core's account of it, and its compliance."""

    year: int
    archive: YearArchive  # the whole year, whatever part of it the range covers
    compliance: Compliance  # of the part inside the range


@dataclass(frozen=True)
class Sum:
    """Raw and effective time of some items, and how many they are."""

    raw_ms: int = 0
    effective_ms: int = 0
    count: int = 0

    def plus(self, item: ArchiveItem) -> Sum:
        """This sum with `item` added."""
        return Sum(self.raw_ms + item.raw_ms, self.effective_ms + item.effective_ms, self.count + 1)


def _sum(items: Iterable[ArchiveItem]) -> Sum:
    total = Sum()
    for item in items:
        total = total.plus(item)
    return total


@dataclass(frozen=True)
class Counts:
    """What the archive counts, by the categories of the filing forms."""

    trainings: int
    trainings_by_category: dict[str, int]
    external_trainings: Sum
    self_study: Sum
    online_courses: Sum
    external_online: Sum
    exams: ExamTally


@dataclass(frozen=True)
class Person:
    """Whose archive it is."""

    id: int
    username: str
    display_name: str
    role: str
    unit: str | None


@dataclass(frozen=True)
class Archive:
    """A user's archive over a range of months."""

    user: Person
    rule_set: RuleSet
    period: Months
    years: tuple[ArchiveYear, ...]
    items: tuple[ArchiveItem, ...]
    exams: tuple[ExamResult, ...]  # decided inside the range, in order of that day

    @property
    def first_month(self) -> str:
        """The range's first month, YYYY-MM."""
        return self.period.label()[0]

    @property
    def last_month(self) -> str:
        """The range's last month, YYYY-MM."""
        return self.period.label()[1]

    @property
    def compliance(self) -> Compliance:
        """The range's compliance: every year of it meets its target and minimums."""
        return over_years(year.compliance for year in self.years)

    @property
    def total_ms(self) -> int:
        """All recorded time in the range."""
        return sum(i.raw_ms for i in self.items)

    @property
    def by_kind(self) -> dict[str, Sum]:
        """Raw and effective time and items per kind."""
        return {kind: _sum(i for i in self.items if i.source.kind == kind) for kind in KINDS}

    @property
    def by_subject(self) -> dict[str, Sum]:
        """Effective time per subject."""
        return {s: Sum(effective_ms=ms) for s, ms in _subject_effective(self.items).items()}

    @property
    def counts(self) -> Counts:
        """Trainings by category, and items and their time by kind."""
        trainings = [i for i in self.items if i.source.source == "training"]
        return Counts(
            len(trainings),
            dict(Counter(i.source.category or "—" for i in trainings)),
            _sum(i for i in self.items if i.source.record_kind == "external_training"),
            _sum(i for i in self.items if i.source.kind == "self_study"),
            _sum(i for i in self.items if i.source.kind == "online"),
            _sum(i for i in self.items if i.source.kind == "external_online"),
            tally(exam.passed for exam in self.exams),
        )


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
    awaiting: set[str] = set()
    for counted in year.items:
        if not period.first <= counted.entry.day <= period.last:
            continue
        left = counted.effective_ms
        for source, raw_ms in parts[counted.entry.ref]:
            effective = min(raw_ms, left)
            left -= effective
            rows.setdefault(source.item, []).append((source, raw_ms, effective))
            if counted.awaiting_exam:
                awaiting.add(source.item)
    items = []
    for item_key, row in rows.items():
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
                cap.name if effective < raw and cap and item_key not in awaiting else None,
                item_key in awaiting,
            )
        )
    return items


def build_archive(
    principal: Principal, user_id: int | None, start: str | None, end: str | None
) -> Archive:
    """A user's archive (default: the caller's) for the months `start`..`end` (default: this
    calendar year); `forbidden` for someone the caller may not see."""
    user_id = user_id or principal.id
    if not may_see(principal, user_id):
        fail("forbidden")
    user = db.session.get(User, user_id)
    if user is None:
        fail("user_not_found")
    person = Person(
        user.id, user.username, user.display_name, user.role, user.unit.name if user.unit else None
    )
    period = months(start, end, clock.today())
    rules = rule_set_for(user)
    # First, since it hands in overdue attempts: a pass they make counts in the entries too.
    exams = exam_results(User.id == user.id, period.years)
    found = gather(User.id == user.id, period.years, sources=True)
    years, items = [], []
    for year in period.years:
        summary = summarize_year(found.of(user.id), year, rules)
        in_range = _items(summary, found.parts, period)
        items += in_range
        effective = sum(i.effective_ms for i in in_range)
        compliance = year_compliance(rules, user.role, effective, _subject_effective(in_range))
        years.append(ArchiveYear(year, summary, compliance))
    items.sort(key=lambda i: (i.end_date, i.source.item))
    exams = [exam for exam in exams if period.first <= exam.day <= period.last]
    exams.sort(key=lambda exam: (exam.day, exam.exam_id))
    return Archive(person, rules, period, tuple(years), tuple(items), tuple(exams))

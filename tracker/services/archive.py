"""The archive: recorded time per employee and year, raw and effective, from the ledger.

One code path gathers the entries of one employee or of a whole unit (three set-based
queries, whatever the number of people), and the pure core (`tracker.core.archive`)
applies the rule set's yearly caps. Every figure is computed from the ledger on each call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, extract, func, select

from tracker.core.archive import Entry, YearArchive, summarize_year
from tracker.core.rules import KINDS, SUBJECTS, RuleSet
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import (
    Courseware,
    LearningRecord,
    SessionCredit,
    Training,
    TrainingParticipant,
    Unit,
    User,
    WatchSession,
)
from tracker.services.rules import rule_set_for

RECORD_KIND = {
    "external_training": "offline",
    "self_study": "self_study",
    "external_online": "external_online",
}
MAX_YEARS = 10


@dataclass(frozen=True)
class Source:
    """Where a piece of recorded time came from, with what the archive table shows of it."""

    ref: str
    source: str  # courseware | training | record
    source_id: int
    kind: str
    title: str
    start_date: date
    end_date: date
    subject: str | None = None
    category: str = ""
    organizer: str = ""
    location: str = ""
    record_kind: str = ""


@dataclass
class Gathered:
    """Entries per user, and the sources their refs name."""

    entries: dict[int, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    sources: dict[str, Source] = field(default_factory=dict)

    def add(self, user_id: int, entry: Entry, source: Source) -> None:
        self.entries[user_id].append(entry)
        self.sources[entry.ref] = source


def _local_day(at: datetime) -> date:
    return at.astimezone(current_app.extensions["tracker.timezone"]).date()


def gather(users: Select[Any] | list[int], years: Iterable[int]) -> Gathered:
    """Every credited entry of `users` (ids, or a select of ids) in `years`."""
    years = sorted(set(years))
    found = Gathered()
    _online(found, users, years)
    _records(found, users, years)
    _trainings(found, users, years)
    return found


def _online(found: Gathered, users: Select[Any] | list[int], years: list[int]) -> None:
    # One entry per courseware and year: dated by the first session of that year.
    rows = db.session.execute(
        select(
            SessionCredit.user_id,
            SessionCredit.year,
            Courseware,
            func.sum(SessionCredit.raw_ms),
            func.min(WatchSession.opened_at),
            func.max(WatchSession.last_beat_at),
        )
        .join(WatchSession, WatchSession.id == SessionCredit.session_id)
        .join(Courseware, Courseware.id == SessionCredit.courseware_id)
        .where(SessionCredit.user_id.in_(users), SessionCredit.year.in_(years))
        .group_by(SessionCredit.user_id, SessionCredit.year, Courseware.id)
        .having(func.sum(SessionCredit.raw_ms) > 0)
    ).all()
    for user_id, year, item, raw_ms, first, last in rows:
        start = max(_local_day(first), date(year, 1, 1))
        end = min(_local_day(last), date(year, 12, 31))
        ref = f"courseware:{item.id}:{year}"
        found.add(
            user_id,
            Entry("online", start, int(raw_ms), item.subject, ref),
            Source(ref, "courseware", item.id, "online", item.title, start, end, item.subject),
        )


def _records(found: Gathered, users: Select[Any] | list[int], years: list[int]) -> None:
    records = db.session.scalars(
        select(LearningRecord).where(
            LearningRecord.user_id.in_(users),
            LearningRecord.status == "approved",
            extract("year", LearningRecord.end_date).in_(years),
        )
    )
    for r in records:
        kind, ref = RECORD_KIND[r.kind], f"record:{r.id}"
        found.add(
            r.user_id,
            Entry(kind, r.end_date, r.approved_ms or 0, r.subject, ref),
            Source(
                ref,
                "record",
                r.id,
                kind,
                r.title,
                r.start_date,
                r.end_date,
                r.subject,
                organizer=r.organizer,
                location=r.location,
                record_kind=r.kind,
            ),
        )


def _trainings(found: Gathered, users: Select[Any] | list[int], years: list[int]) -> None:
    rows = db.session.execute(
        select(TrainingParticipant.user_id, TrainingParticipant.credited_ms, Training)
        .join(Training, Training.id == TrainingParticipant.training_id)
        .where(
            TrainingParticipant.user_id.in_(users),
            TrainingParticipant.status == "confirmed",
            TrainingParticipant.credited_ms > 0,
            extract("year", Training.end_date).in_(years),
        )
    ).all()
    for user_id, credited_ms, t in rows:
        ref = f"training:{t.id}"
        found.add(
            user_id,
            Entry("offline", t.end_date, credited_ms, t.subject, ref),
            Source(
                ref,
                "training",
                t.id,
                "offline",
                t.title,
                t.start_date,
                t.end_date,
                t.subject,
                t.category,
                t.organizer,
                t.location,
            ),
        )


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
    """One credited item of the archive table."""

    source: Source
    year: int
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


def _items(year: YearArchive, sources: dict[str, Source], period: Months) -> list[ArchiveItem]:
    items = []
    for counted in year.items:
        source = sources[counted.entry.ref]
        if not period.first <= counted.entry.day <= period.last:
            continue
        cut = counted.effective_ms < counted.entry.raw_ms
        cap = year.cap_for(source.kind)
        items.append(
            ArchiveItem(
                source,
                year.year,
                counted.entry.raw_ms,
                counted.effective_ms,
                cap.name if cut and cap else None,
            )
        )
    return items


def build_archive(user_id: int, start: str | None, end: str | None) -> Archive:
    """A user's archive for the months `start`..`end` (default: this calendar year)."""
    user = db.session.get(User, user_id)
    if user is None:
        fail("user_not_found")
    period = months(start, end, _local_day(current_app.extensions["tracker.clock"]()))
    rules = rule_set_for(user)
    found = gather([user.id], period.years)
    years, items = [], []
    for year in period.years:
        summary = summarize_year(found.entries.get(user.id, []), year, rules)
        in_range = _items(summary, found.sources, period)
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
    items.sort(key=lambda i: (i.source.end_date, i.source.ref))
    return Archive(user, rules, period, tuple(years), tuple(items))


def _shortfalls(items: list[ArchiveItem], rules: RuleSet) -> dict[str, int]:
    done = _subject_effective(items)
    return {s: max(0, m - done.get(s, 0)) for s, m in rules.subject_minimums_ms.items()}


def unit_members(unit_id: int) -> Select[Any]:
    """The ids of the active users of a unit and of every unit below it."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte(recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return select(User.id).where(User.unit_id.in_(select(tree.c.id)), User.active.is_(True))


def this_year() -> int:
    """The current calendar year in the organisation's time zone."""
    return _local_day(current_app.extensions["tracker.clock"]()).year

"""The archive: recorded time per employee and year, raw and effective, from the ledger.

One code path gathers the entries of one employee or of a whole unit (a few set-based
queries, whatever the number of people), and the pure core (`tracker.core.archive`) applies
the rule set's yearly caps. Every figure is computed from the ledger on each call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import BigInteger, ColumnElement, Row, Select, and_, cast, func, select

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
from tracker.services import large_read
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


def _local_day(at: datetime) -> date:
    return at.astimezone(current_app.extensions["tracker.timezone"]).date()


def gather(who: ColumnElement[bool], years: range, sources: bool = True) -> Gathered:
    """Every credited entry in `years` of the users that `who`, a condition on `User`, selects.

    Without `sources`, only the entries are gathered (all a unit report needs).
    """
    found = Gathered()
    if not years:
        return found
    if sources or db.session.get_bind().dialect.name != "postgresql":
        _online(found, who, years, sources)
        _records(found, who, years, sources)
        _trainings(found, who, years, sources)
        return found
    # A unit on PostgreSQL: grouping the year's credits is the longest read, so the server works
    # on it over a second connection while this one reads the records and trainings. (SQLite
    # serialises transactions, and one person's reads are short.)
    online = Gathered()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report") as pool:
        aside = pool.submit(_beside, current_app._get_current_object(), online, who, years)
        _records(found, who, years, sources)
        _trainings(found, who, years, sources)
        aside.result()
    for user_id, entries in online.entries.items():
        found.entries[user_id].extend(entries)
    return found


def _beside(app: Flask, found: Gathered, who: ColumnElement[bool], years: range) -> None:
    """A unit's online entries, read in an app context (so a session) of its own."""
    with app.app_context(), large_read():
        _online(found, who, years, sources=False)


def rows_of(statement: Select[Any]) -> Sequence[Row[Any]]:
    """The rows of `statement` as plain tuples: Core, without the ORM's per-row work (which
    cost more than the queries in a unit report). Pending changes are flushed first, as
    `Session.execute` would."""
    if db.session.autoflush:
        db.session.flush()
    return db.session.connection().execute(statement).all()


def _dates(years: range) -> tuple[date, date]:
    return date(years[0], 1, 1), date(years[-1], 12, 31)


# The queries below return their rows grouped by person (ORDER BY user_id): a person's entries
# then lie together in memory, which made building a unit's 40 % faster. Their order among
# themselves does not matter (the core orders entries by their own values).


def _online(found: Gathered, who: ColumnElement[bool], years: range, sources: bool) -> None:
    # One entry per courseware and year, dated by the first day it was watched in that year.
    # Only the archive table needs the sessions (for the last day watched): a unit report reads
    # the year's credits alone.
    sc = SessionCredit
    statement = (
        select(
            sc.user_id,
            sc.year,
            sc.courseware_id,
            cast(func.sum(sc.raw_ms), BigInteger),
            func.min(sc.day),
        )
        .join(User, User.id == sc.user_id)
        .where(who, sc.year.in_(years))
        .group_by(sc.user_id, sc.year, sc.courseware_id)
        .having(func.sum(sc.raw_ms) > 0)
        .order_by(sc.user_id)
    )
    if sources:
        statement = statement.join(WatchSession, WatchSession.id == sc.session_id).add_columns(
            func.max(WatchSession.last_beat_at)
        )
    rows = rows_of(statement)
    if not rows:
        return
    items = {
        item.id: item
        for item in rows_of(
            select(Courseware.id, Courseware.title, Courseware.subject).where(
                Courseware.id.in_(sorted({row[2] for row in rows}))
            )
        )
    }
    entries = found.entries
    if not sources:
        # A unit's hundred thousand rows: no refs (the totals do not depend on them).
        subjects = {item_id: item.subject for item_id, item in items.items()}
        for user_id, _, item_id, raw_ms, day in rows:
            entries[user_id].append(Entry("online", day, raw_ms, subjects[item_id]))
        return
    tz = current_app.extensions["tracker.timezone"]
    for user_id, year, item_id, raw_ms, day, last_beat in rows:
        item, ref = items[item_id], f"courseware:{item_id}:{year}"
        entries[user_id].append(Entry("online", day, raw_ms, item.subject, ref))
        end = min(last_beat.astimezone(tz).date(), date(year, 12, 31))
        found.sources[ref] = Source(
            ref, "courseware", item_id, "online", item.title, day, end, item.subject
        )


def _records(found: Gathered, who: ColumnElement[bool], years: range, sources: bool) -> None:
    lr = LearningRecord
    detail = (lr.title, lr.start_date, lr.organizer, lr.location) if sources else ()
    records = rows_of(
        select(lr.id, lr.user_id, lr.kind, lr.subject, lr.end_date, lr.approved_ms, *detail)
        .join(User, User.id == lr.user_id)
        .where(who, lr.status == "approved", lr.end_date.between(*_dates(years)))
        .order_by(lr.user_id)
    )
    entries = found.entries
    if not sources:
        for _, user_id, record_kind, subject, end_date, approved_ms in records:
            kind = RECORD_KIND[record_kind]
            entries[user_id].append(Entry(kind, end_date, approved_ms or 0, subject))
        return
    for record_id, user_id, record_kind, subject, end_date, approved_ms, *more in records:
        kind, ref = RECORD_KIND[record_kind], f"record:{record_id}"
        entries[user_id].append(Entry(kind, end_date, approved_ms or 0, subject, ref))
        title, start_date, organizer, location = more
        found.sources[ref] = Source(
            ref,
            "record",
            record_id,
            kind,
            title,
            start_date,
            end_date,
            subject,
            organizer=organizer,
            location=location,
            record_kind=record_kind,
        )


def _trainings(found: Gathered, who: ColumnElement[bool], years: range, sources: bool) -> None:
    tr, tp = Training, TrainingParticipant
    credited = (tp.status == "confirmed", tp.credited_ms > 0)
    in_years = tr.end_date.between(*_dates(years))
    entries = found.entries
    if not sources:
        # A unit: the years' trainings first, then their participants. Joined in one query,
        # PostgreSQL read every participation ever recorded instead of those trainings' own.
        held = {t.id: t for t in rows_of(select(tr.id, tr.subject, tr.end_date).where(in_years))}
        if not held:
            return
        attendance = rows_of(
            select(tp.user_id, tp.credited_ms, tp.training_id)
            .join(User, User.id == tp.user_id)
            .where(who, *credited, tp.training_id.in_(sorted(held)))
            .order_by(tp.user_id)
        )
        for user_id, credited_ms, training_id in attendance:
            _, subject, end_date = held[training_id]
            entries[user_id].append(Entry("offline", end_date, credited_ms, subject))
        return
    detail = (tr.title, tr.start_date, tr.category, tr.organizer, tr.location)
    rows = rows_of(
        select(tp.user_id, tp.credited_ms, tr.id, tr.subject, tr.end_date, *detail)
        .join(tr, tr.id == tp.training_id)
        .join(User, User.id == tp.user_id)
        .where(who, *credited, in_years)
        .order_by(tp.user_id)
    )
    for user_id, credited_ms, training_id, subject, end_date, *more in rows:
        ref = f"training:{training_id}"
        entries[user_id].append(Entry("offline", end_date, credited_ms, subject, ref))
        title, start_date, category, organizer, location = more
        found.sources[ref] = Source(
            ref,
            "training",
            training_id,
            "offline",
            title,
            start_date,
            end_date,
            subject,
            category,
            organizer,
            location,
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
    found = gather(User.id == user.id, period.years)
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


def unit_members(unit_id: int) -> ColumnElement[bool]:
    """The active users of a unit and of every unit below it, as a condition on `User`."""
    # The units as a list of ids, not as a recursive subquery: PostgreSQL cannot estimate a
    # recursive CTE, and planned an institute's report as if for the whole organisation.
    tree = select(Unit.id).where(Unit.id == unit_id).cte(recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    units = db.session.scalars(select(tree.c.id)).all()
    return and_(User.unit_id.in_(units), User.active.is_(True))


def this_year() -> int:
    """The current calendar year in the organisation's time zone."""
    return _local_day(current_app.extensions["tracker.clock"]()).year

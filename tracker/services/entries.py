"""The one reader from the ledger to the core's archive entries.

Archives, unit reports, the year on the claims page and the claim preview all read recorded
time here, so they date and classify it alike:

| kind | from | one entry per | dated |
| --- | --- | --- | --- |
| `online` | `session_credits` | calendar month and subject | first day watched that month |
| `offline` | confirmed attendance with credit | training | the training's end date |
| `RECORD_KIND[kind]` | approved records (claims: pending too) | record | the record's end date |
| its source's kind, negative | `taken_back`: time set aside, deductions | row | its source's day |

Online time thus lands in the months it was watched. For the archive table an online entry
keeps its parts, one per courseware, oldest first. The time of a courseware with a published
exam makes entries of its own, which carry the day the person passed that exam (or
`NOT_PASSED`): the core decides whether the rule set lets it count.

A few set-based queries serve one person or a whole unit alike (`who` is a condition on
`User`); the core (`tracker.core.archive`) then decides what counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
)

from tracker import clock
from tracker.core.archive import NOT_PASSED, Entry
from tracker.core.rules import RECORD_KIND
from tracker.extensions import db
from tracker.models import (
    Courseware,
    Exam,
    ExamAttempt,
    LearningRecord,
    SessionCredit,
    TakenBack,
    Training,
    TrainingParticipant,
    User,
    WatchSession,
)
from tracker.services import large_read
from tracker.sql import one_of


@dataclass(frozen=True)
class Source:
    """Where recorded time came from, with what the archive table shows of it."""

    item: str  # the archive row it belongs to (a courseware's months make one row a year)
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
    record_kind: str | None = None


class Part(NamedTuple):
    """A source's share of an entry."""

    source: Source
    raw_ms: int


@dataclass
class Gathered:
    """Entries per user and, if asked, the parts of each entry by its ref (oldest first)."""

    entries: dict[int, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    parts: dict[str, list[Part]] = field(default_factory=dict)

    def of(self, user_id: int) -> list[Entry]:
        """The entries of one user (none if they have recorded nothing)."""
        return self.entries.get(user_id, [])


def gather(
    who: ColumnElement[bool],
    years: range,
    *,
    sources: bool = False,
    pending: bool = False,
    unit: bool = False,
) -> Gathered:
    """Every entry completed in `years` by the users `who` selects.

    `sources`: also what the archive table shows of each entry (refs and titles).
    `pending`: records waiting for review count as if approved with the hours claimed.
    `unit`: `who` is a whole unit; read as large reads are fastest (on PostgreSQL the online
    entries on a second connection while this one reads the rest).
    """
    found = Gathered()
    if not years:
        return found
    if not unit or db.session.get_bind().dialect.name != "postgresql":
        _online(found, who, years, sources)
        _records(found, who, years, sources, pending)
        _trainings(found, who, years, sources, unit)
        _taken_back(found, who, years, sources)
        return found
    # SQLite serialises transactions, so only PostgreSQL reads on two connections at once.
    online = Gathered()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="entries") as pool:
        aside = pool.submit(_beside, current_app._get_current_object(), online, who, years)
        _records(found, who, years, sources, pending)
        _trainings(found, who, years, sources, unit)
        _taken_back(found, who, years, sources)
        aside.result()
    for user_id, entries in online.entries.items():
        found.entries[user_id].extend(entries)
    return found


def year_entries(user_id: int, year: int, *, pending: bool = False) -> list[Entry]:
    """One user's entries completed in `year`."""
    return gather(User.id == user_id, range(year, year + 1), pending=pending).of(user_id)


def _beside(app: Flask, found: Gathered, who: ColumnElement[bool], years: range) -> None:
    """The online entries, read in an app context (so a database session) of their own."""
    with app.app_context(), large_read():
        _online(found, who, years, sources=False)


def rows_of(statement: Select[Any]) -> Sequence[Row[Any]]:
    """The rows of `statement` as plain tuples, without the ORM's per-row work.

    Pending changes are flushed first, as `Session.execute` would. (Why Core: see
    docs/benchmarks.md, the archive and unit reports.)
    """
    if db.session.autoflush:
        db.session.flush()
    return db.session.connection().execute(statement).all()


def _subject_code(
    courseware_id: ColumnElement[int],
) -> tuple[ColumnElement[int] | None, dict[int, str | None]]:
    """The subject of the courseware `courseware_id` names, as a small number computed from its
    id, and the subject of each number (0: none). No expression if no courseware has one."""
    ids: dict[str, list[int]] = defaultdict(list)
    for item_id, subject in rows_of(select(Courseware.id, Courseware.subject)):
        if subject is not None:
            ids[subject].append(item_id)
    subjects: dict[int, str | None] = {0: None, **dict(enumerate(sorted(ids), start=1))}
    if not ids:
        return None, subjects
    whens = [(courseware_id.in_(sorted(ids[s])), n) for n, s in subjects.items() if s]
    return case(*whens, else_=0), subjects


def _exam_items() -> list[int]:
    """The courseware items with a published exam, in order of id."""
    rows = rows_of(
        select(Exam.courseware_id).where(Exam.courseware_id.is_not(None), Exam.published.is_(True))
    )
    return sorted(item_id for (item_id,) in rows)


def _passes(who: ColumnElement[bool], items: list[int]) -> dict[tuple[int, int], date]:
    """The day (organisation's time zone) each person first passed each item's exam."""
    if not items:
        return {}
    first = func.min(ExamAttempt.finished_at)
    rows = rows_of(
        select(ExamAttempt.user_id, Exam.courseware_id, first)
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .join(User, User.id == ExamAttempt.user_id)
        .where(who, ExamAttempt.passed.is_(True), Exam.courseware_id.in_(items))
        .group_by(ExamAttempt.user_id, Exam.courseware_id)
    )
    return {(user_id, item_id): clock.local_day(at) for user_id, item_id, at in rows}


def _month_of(day: ColumnElement[date]) -> ColumnElement[Any]:
    """The calendar month of a date column, as the database computes it fastest (PostgreSQL's
    EXTRACT gives a numeric, slower to group by than date_part's double)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_part("month", day)
    return extract("month", day)


def _dates(years: range) -> tuple[date, date]:
    return date(years[0], 1, 1), date(years[-1], 12, 31)


# The queries return their rows grouped by person (ORDER BY user_id): a person's entries then
# lie together in memory, which makes building a unit's entries faster (docs/benchmarks.md).
# Their order among themselves does not matter: the core orders entries by their own values.


def _online(found: Gathered, who: ColumnElement[bool], years: range, sources: bool) -> None:
    sc = SessionCredit
    month = _month_of(sc.day)
    raw_ms = cast(func.sum(sc.raw_ms), BigInteger)
    exam_items = _exam_items()
    passes = _passes(who, exam_items)

    def passed_on(user_id: int, item_id: int) -> date | None:
        return passes.get((user_id, item_id), NOT_PASSED) if item_id else None

    if not sources:
        # One row per entry, grouped by the database, then put in order of person. The grouping
        # is a materialised CTE: asked for both at once, PostgreSQL sorted the year's credits
        # before grouping them, which took longer than sorting the groups. The subject comes
        # as a number from a CASE over the catalogue's ids: cheaper to group by than its name,
        # and than joining every credit to the catalogue.
        # An item with an exam is grouped on its own (its id; 0 for the rest of the catalogue).
        code, subjects = _subject_code(sc.courseware_id)
        exam_item = (
            case((sc.courseware_id.in_(exam_items), sc.courseware_id), else_=0)
            if exam_items
            else None
        )
        extra = [e for e in (code, exam_item) if e is not None]
        grouped = (
            select(
                sc.user_id.label("user_id"),
                raw_ms.label("raw_ms"),
                func.min(sc.day).label("day"),
                (literal(0) if code is None else code).label("subject"),
                (literal(0) if exam_item is None else exam_item).label("exam_item"),
            )
            .join(User, User.id == sc.user_id)
            .where(who, sc.year.in_(years), sc.raw_ms > 0)
            .group_by(sc.user_id, sc.year, month, *extra)
            .cte("online")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        rows = rows_of(select(grouped).order_by(grouped.c.user_id))
        entries = found.entries
        for user_id, raw, day, number, item_id in rows:
            entries[user_id].append(
                Entry("online", day, raw, subjects[number], "", passed_on(user_id, item_id))
            )
        return
    # The archive table: per courseware and month, with the last day watched, merged here.
    rows = rows_of(
        select(
            sc.user_id,
            sc.year,
            sc.courseware_id,
            raw_ms,
            func.min(sc.day),
            func.max(WatchSession.last_beat_at),
        )
        .join(User, User.id == sc.user_id)
        .join(WatchSession, WatchSession.id == sc.session_id)
        .where(who, sc.year.in_(years), sc.raw_ms > 0)
        .group_by(sc.user_id, sc.year, sc.courseware_id, month)
    )
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
    exam_set = set(exam_items)
    merged: dict[tuple[int, int, int, str | None, int], list[Part]] = defaultdict(list)
    for user_id, year, item_id, raw, day, last_beat in rows:
        item = items[item_id]
        end = min(clock.local_day(last_beat), date(year, 12, 31))
        source = Source(
            f"courseware:{item_id}:{year}",
            "courseware",
            item_id,
            "online",
            item.title,
            day,
            end,
            item.subject,
        )
        exam_item = item_id if item_id in exam_set else 0
        merged[user_id, year, day.month, item.subject, exam_item].append(Part(source, raw))
    for (user_id, year, month_no, subject, exam_item), parts in merged.items():
        parts.sort(key=lambda part: (part.source.start_date, part.source.source_id))
        ref = f"online:{year}-{month_no:02d}:{subject or ''}" + (
            f":{exam_item}" if exam_item else ""
        )
        raw = sum(part.raw_ms for part in parts)
        found.entries[user_id].append(
            Entry(
                "online",
                parts[0].source.start_date,
                raw,
                subject,
                ref,
                passed_on(user_id, exam_item),
            )
        )
        found.parts[ref] = parts


def _records_in(who: ColumnElement[bool], years: range, statuses: tuple[str, ...]) -> Any:
    """The records of `who` in `statuses` that the archive dates inside `years`."""
    lr = LearningRecord
    return and_(who, lr.status.in_(statuses), lr.end_date.between(*_dates(years)))


def approved_records_select(users: str, years: range, kinds: Iterable[str]) -> Select[Any] | None:
    """Approved self-reported time of the archive `kinds` as (user, year, record kind, ms)
    rows, dated as the archive dates it (for the player's yearly figure beside the
    courseware time), of the users given as the parameter `users` (`sql.values`); None
    when there is nothing to ask for. Run it alone or in a union, and fold its rows with
    `add_approved_record`."""
    record_kinds = [k for k, kind in RECORD_KIND.items() if kind in set(kinds)]
    if not record_kinds or not years:
        return None
    lr = LearningRecord
    year = cast(extract("year", lr.end_date), Integer)
    return (
        select(lr.user_id, year, lr.kind, cast(func.sum(lr.approved_ms), BigInteger))
        .where(
            _records_in(one_of(lr.user_id, users), years, ("approved",)),
            lr.kind.in_(record_kinds),
        )
        .group_by(lr.user_id, year, lr.kind)
    )


def add_approved_record(
    found: dict[int, dict[int, dict[str, int]]],
    user_id: int,
    year: int,
    record_kind: str,
    ms: int | None,
) -> None:
    """Add one row of `approved_records_select` to `found`: user -> year -> archive kind -> ms."""
    kind = RECORD_KIND[record_kind]
    totals = found.setdefault(user_id, {}).setdefault(int(year), {})
    totals[kind] = totals.get(kind, 0) + int(ms or 0)


def _records(
    found: Gathered, who: ColumnElement[bool], years: range, sources: bool, pending: bool
) -> None:
    lr = LearningRecord
    statuses = ("approved", "pending") if pending else ("approved",)
    # A pending record has no approved hours yet: it counts with the hours claimed.
    raw = func.coalesce(lr.approved_ms, lr.claimed_ms) if pending else lr.approved_ms
    detail = (lr.title, lr.start_date, lr.organizer, lr.location) if sources else ()
    records = rows_of(
        select(lr.id, lr.user_id, lr.kind, lr.subject, lr.end_date, raw, *detail)
        .join(User, User.id == lr.user_id)
        .where(_records_in(who, years, statuses))
        .order_by(lr.user_id)
    )
    entries = found.entries
    if not sources:
        for _, user_id, record_kind, subject, end_date, raw_ms in records:
            kind = RECORD_KIND[record_kind]
            entries[user_id].append(Entry(kind, end_date, raw_ms or 0, subject))
        return
    for record_id, user_id, record_kind, subject, end_date, raw_ms, *more in records:
        kind, ref = RECORD_KIND[record_kind], f"record:{record_id}"
        entries[user_id].append(Entry(kind, end_date, raw_ms or 0, subject, ref))
        title, start_date, organizer, location = more
        source = Source(
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
        found.parts[ref] = [Part(source, raw_ms or 0)]


def _trainings(
    found: Gathered, who: ColumnElement[bool], years: range, sources: bool, unit: bool
) -> None:
    tr, tp = Training, TrainingParticipant
    credited = (tp.status == "confirmed", tp.credited_ms > 0)
    in_years = tr.end_date.between(*_dates(years))
    entries = found.entries
    if unit and not sources:
        # The years' trainings first, then their participants: joined in one query, PostgreSQL
        # read every participation ever recorded instead of those trainings' own.
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
    detail = (tr.title, tr.start_date, tr.category, tr.organizer, tr.location) if sources else ()
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
        if not sources:
            continue
        title, start_date, category, organizer, location = more
        source = Source(
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
        found.parts[ref] = [Part(source, credited_ms)]


def taken_back_title(reason: str, against: str) -> str:
    """What an archive line of time taken back says: why, and against what."""
    titles = {
        "live_during_training": _("Set aside: watched during a training's hours (%(against)s)"),
        "training_during_live": _("Set aside: a training during live learning (%(against)s)"),
        "offline_overlap": _("Set aside: another training on the same day (%(against)s)"),
        "overlapping_claims": _("Set aside: claimed twice for the same days (%(against)s)"),
        "daily_ceiling": _("Set aside: more than the day's ceiling (%(against)s)"),
        "deduction": _("Deducted after review: %(against)s"),
    }
    return titles.get(reason, reason) % {"against": against}


def _taken_back(found: Gathered, who: ColumnElement[bool], years: range, sources: bool) -> None:
    """Time set aside or deducted: a negative entry of its source's kind."""
    tb = TakenBack
    detail = (tb.id, tb.reason, tb.against, tb.on_day, tb.source) if sources else ()
    rows = rows_of(
        select(tb.user_id, tb.kind, tb.day, tb.ms, tb.subject, *detail)
        .join(User, User.id == tb.user_id)
        .where(who, tb.year.in_(years))
        .order_by(tb.user_id)
    )
    entries = found.entries
    for user_id, kind, day, ms, subject, *more in rows:
        if not sources:
            entries[user_id].append(Entry(kind, day, -ms, subject))
            continue
        row_id, reason, against, on_day, origin = more
        ref = f"taken_back:{row_id}"
        entries[user_id].append(Entry(kind, day, -ms, subject, ref))
        source = Source(
            ref,
            "taken_back",
            row_id,
            kind,
            taken_back_title(reason, against),
            on_day,
            on_day,
            subject,
            category=reason,
            organizer=origin,
        )
        found.parts[ref] = [Part(source, -ms)]

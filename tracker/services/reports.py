"""Compliance per unit and year: everyone's completed, effective and remaining time, their
exams, and how the members rated the year's trainings they attended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from sqlalchemy import ColumnElement, func, select

from tracker.core.archive import total_year
from tracker.core.compliance import Compliance, year_compliance
from tracker.core.exams import ExamTally, tally
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Training, TrainingParticipant, Unit, User
from tracker.services import large_read
from tracker.services.entries import gather, rows_of
from tracker.services.evaluations import Rating, ratings
from tracker.services.exams.results import exam_results
from tracker.services.rules import rules_by_unit
from tracker.services.scope import AdminScope
from tracker.services.units import unit_members

SORT_KEYS = ("name", "unit", "total", "effective", "remaining", "compliant")


@dataclass(frozen=True)
class MemberRow:
    """One employee's year."""

    user_id: int
    username: str
    display_name: str
    unit: str
    role: str
    rule_set: str
    total_ms: int
    compliance: Compliance
    exams: ExamTally


@dataclass(frozen=True)
class MonthPoint:
    """Where the unit stood at the end of one month."""

    month: int
    average_effective_ms: int
    reached_target: int


@dataclass(frozen=True)
class TrainingRating:
    """A training of the year that members attended, and how those members rated it."""

    training_id: int
    title: str
    end_date: date
    attendees: int  # members whose attendance was confirmed
    rating: Rating  # the members' evaluations (average None: nobody rated it)


@dataclass(frozen=True)
class UnitReport:
    """A unit's year."""

    unit_id: int
    unit: str
    year: int
    rows: tuple[MemberRow, ...]
    months: tuple[MonthPoint, ...]
    trainings: tuple[TrainingRating, ...]  # by end date, then title

    @property
    def members(self) -> int:
        """How many active members the unit and the units below it have."""
        return len(self.rows)

    @property
    def compliant_count(self) -> int:
        """How many members meet their target and minimums."""
        return sum(row.compliance.compliant for row in self.rows)

    @property
    def exams(self) -> ExamTally:
        """The members' exams together."""
        return sum((row.exams for row in self.rows), ExamTally())


def unit_report(
    scope: AdminScope, unit_id: int, year: int, sort: str = "name", descending: bool = False
) -> UnitReport:
    """Every active member of the unit (and units below it) for `year`; `unit_not_found`
    unless the unit is in `scope` (so is everything below it)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not scope.covers_unit(unit_id):
        fail("unit_not_found")
    who = unit_members(unit_id)
    rows, cumulative = _member_rows(who, year)
    months = tuple(
        MonthPoint(
            month,
            sum(c[month - 1] for c in cumulative) // max(len(cumulative), 1),
            sum(
                c[month - 1] >= row.compliance.target_ms
                for c, row in zip(cumulative, rows, strict=True)
            ),
        )
        for month in range(1, 13)
    )
    return UnitReport(
        unit.id,
        unit.name,
        year,
        tuple(_sorted(rows, sort, descending)),
        months,
        _training_ratings(who, year),
    )


def _training_ratings(who: ColumnElement[bool], year: int) -> tuple[TrainingRating, ...]:
    tr, tp = Training, TrainingParticipant
    held = rows_of(
        select(tr.id, tr.title, tr.end_date, func.count())
        .join(tp, tp.training_id == tr.id)
        .join(User, User.id == tp.user_id)
        .where(
            who, tp.status == "confirmed", tr.end_date.between(date(year, 1, 1), date(year, 12, 31))
        )
        .group_by(tr.id, tr.title, tr.end_date)
        .order_by(tr.end_date, tr.title, tr.id)
    )
    rated = ratings("training", [row[0] for row in held], raters=who)
    return tuple(
        TrainingRating(
            training_id, title, end_date, attendees, rated.get(training_id, Rating(None, 0))
        )
        for training_id, title, end_date, attendees in held
    )


def _member_rows(who: ColumnElement[bool], year: int) -> tuple[list[MemberRow], list[list[int]]]:
    """Each member's year, and their effective time to the end of each month."""
    # The exams first, since reading them hands in overdue attempts: a pass they make counts
    # in the entries too. And outside the large read: that hand-in commits, which would end
    # the large read's transaction and its SET LOCAL.
    exams: dict[int, list[bool]] = {}
    for result in exam_results(who, [year]):
        exams.setdefault(result.user_id, []).append(result.passed)
    with large_read():
        # Only the rows leave: the entries are freed before the garbage collector runs again.
        return _rows(who, year, exams)


def _rows(
    who: ColumnElement[bool], year: int, exams: dict[int, list[bool]]
) -> tuple[list[MemberRow], list[list[int]]]:
    rules = rules_by_unit()
    names = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    members = rows_of(
        select(User.id, User.username, User.display_name, User.role, User.unit_id)
        .where(who)
        .order_by(User.id)  # people of one name stay in one order, whatever the sort
    )
    entries = gather(who, range(year, year + 1), unit=True).entries
    rows, cumulative = [], []
    for user in members:
        rule_set = rules[user.unit_id]
        summary = total_year(entries.get(user.id, ()), year, rule_set)
        rows.append(
            MemberRow(
                user.id,
                user.username,
                user.display_name,
                names.get(user.unit_id, ""),
                user.role,
                rule_set.id,
                summary.raw_ms,
                year_compliance(rule_set, user.role, summary.effective_ms, summary.by_subject),
                tally(exams.get(user.id, ())),
            )
        )
        cumulative.append(list(accumulate(summary.by_month)))
    return rows, cumulative


def _sorted(rows: list[MemberRow], sort: str, descending: bool) -> list[MemberRow]:
    keys = {
        "name": lambda r: (r.display_name or r.username).lower(),
        "unit": lambda r: (r.unit, r.username),
        "total": lambda r: r.total_ms,
        "effective": lambda r: r.compliance.effective_ms,
        "remaining": lambda r: r.compliance.remaining_ms,
        "compliant": lambda r: (r.compliance.compliant, r.compliance.remaining_ms),
    }
    return sorted(rows, key=keys.get(sort, keys["name"]), reverse=descending)


def members_year(who: ColumnElement[bool], year: int) -> list[MemberRow]:
    """The year of every user matching `who` under their own rule set, as the report has it."""
    return _member_rows(who, year)[0]

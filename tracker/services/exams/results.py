"""Exam outcomes for admins and for the archive: plain values, one row per person and exam."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import aliased

from tracker.auth import Principal
from tracker.clock import local_day, timezone
from tracker.core.exams import percent_of
from tracker.extensions import db
from tracker.models import Courseware, Exam, ExamAttempt, User
from tracker.services.entries import rows_of
from tracker.services.exams.attempts import close_overdue
from tracker.services.exams.authoring import load_exam
from tracker.services.exams.views import AttemptRow, Outcome
from tracker.services.scope import admin_scope


@dataclass(frozen=True)
class ExamResult:
    """One person's exam, in the year they finished with it (passed, or last tried)."""

    user_id: int
    exam_id: int
    title: str
    courseware_id: int | None
    subject: str | None
    year: int
    day: date  # the day of the pass, or of the last finished attempt
    attempts: int
    passed: bool
    best_percent: float


def exam_results(who: ColumnElement[bool], years: Collection[int]) -> list[ExamResult]:
    """The exams the users `who` selects took, dated in `years` by the hand-in that decided
    them (the pass, else the latest), in the organisation's time zone: the archive's "exams
    taken, pass rate" (`tracker.core.exams.tally`) and the unit report read these."""
    if not years:
        return []
    close_overdue(who=who)
    a, recent = ExamAttempt, aliased(ExamAttempt)
    # Only exams with a hand-in since the first year began can be decided in `years`.
    since = datetime.combine(date(min(years), 1, 1), time(), timezone())
    rows = rows_of(
        select(
            a.user_id,
            a.exam_id,
            a.finished_at,
            a.passed,
            a.earned,
            a.possible,
            Exam.title,
            Exam.courseware_id,
            func.coalesce(Exam.subject, Courseware.subject),
        )
        .join(Exam, Exam.id == a.exam_id)
        .join(User, User.id == a.user_id)
        .outerjoin(Courseware, Courseware.id == Exam.courseware_id)
        .where(
            who,
            a.status != "open",
            exists().where(
                recent.user_id == a.user_id,
                recent.exam_id == a.exam_id,
                recent.finished_at >= since,
            ),
        )
        .order_by(a.user_id, a.exam_id, a.number)
    )
    grouped: dict[tuple[int, int], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row.user_id, row.exam_id), []).append(row)
    results = []
    for (user_id, exam_id), tries in grouped.items():
        decisive = next((t for t in tries if t.passed), tries[-1])
        day = local_day(decisive.finished_at)
        if day.year not in years:
            continue
        results.append(
            ExamResult(
                user_id=user_id,
                exam_id=exam_id,
                title=decisive.title,
                courseware_id=decisive.courseware_id,
                subject=decisive[-1],
                year=day.year,
                day=day,
                attempts=len(tries),
                passed=decisive.passed is True,
                best_percent=max(percent_of(t.earned or 0, t.possible or 0) for t in tries),
            )
        )
    return results


def exam_attempts(principal: Principal, exam_id: int, limit: int = 500) -> list[AttemptRow]:
    """An exam's attempts by the people `principal` administers, newest first."""
    load_exam(exam_id)
    close_overdue(exam_id=exam_id)
    rows = db.session.execute(
        select(ExamAttempt, User.username, User.display_name)
        .join(User, User.id == ExamAttempt.user_id)
        .where(ExamAttempt.exam_id == exam_id, admin_scope(principal).members())
        .order_by(ExamAttempt.started_at.desc(), ExamAttempt.id.desc())
        .limit(limit)
    )
    return [
        AttemptRow(
            id=a.id,
            user_id=a.user_id,
            username=username,
            display_name=display_name,
            number=a.number,
            status=a.status,
            started_at=a.started_at,
            finished_at=a.finished_at,
            outcome=(
                Outcome(a.earned or 0, a.possible or 0, bool(a.passed))
                if a.status != "open"
                else None
            ),
        )
        for a, username, display_name in rows
    ]

"""Exam outcomes for admins and for the archive: plain values, one row per person and exam."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from tracker.auth import Principal
from tracker.clock import local_day
from tracker.core.exams import percent_of
from tracker.extensions import db
from tracker.models import Courseware, Exam, ExamAttempt, User
from tracker.services.exams.attempts import close_overdue
from tracker.services.exams.authoring import load_exam
from tracker.services.exams.views import AttemptRow, Outcome
from tracker.services.scope import admin_scope


@dataclass(frozen=True)
class ExamResult:
    """One person's exam, in the year they finished with it (passed, or last tried)."""

    user_id: int
    exam_id: int
    courseware_id: int | None
    subject: str | None
    year: int
    day: date  # the day of the pass, or of the last finished attempt
    attempts: int
    passed: bool
    best_percent: float


def exam_results(user_ids: Collection[int], years: Collection[int]) -> list[ExamResult]:
    """The exams the users took, dated in `years`: the archive's "exams taken, pass rate" and
    the rule "a public subject counts once its exam is passed" read these."""
    if not user_ids or not years:
        return []
    close_overdue()
    rows = db.session.execute(
        select(ExamAttempt, Exam.courseware_id, func.coalesce(Exam.subject, Courseware.subject))
        .join(Exam, Exam.id == ExamAttempt.exam_id)
        .outerjoin(Courseware, Courseware.id == Exam.courseware_id)
        .where(ExamAttempt.user_id.in_(list(user_ids)), ExamAttempt.status != "open")
        .order_by(ExamAttempt.user_id, ExamAttempt.exam_id, ExamAttempt.number)
    ).all()
    grouped: dict[tuple[int, int], list[tuple[ExamAttempt, int | None, str | None]]] = {}
    for attempt, courseware_id, subject in rows:
        grouped.setdefault((attempt.user_id, attempt.exam_id), []).append(
            (attempt, courseware_id, subject)
        )
    results = []
    for (user_id, exam_id), tries in grouped.items():
        attempts = [a for a, _, _ in tries]
        decisive = next((a for a in attempts if a.passed), attempts[-1])
        day = local_day(decisive.finished_at)
        if day.year not in years:
            continue
        _, courseware_id, subject = tries[0]
        results.append(
            ExamResult(
                user_id=user_id,
                exam_id=exam_id,
                courseware_id=courseware_id,
                subject=subject,
                year=day.year,
                day=day,
                attempts=len(attempts),
                passed=decisive.passed is True,
                best_percent=max(percent_of(a.earned or 0, a.possible or 0) for a in attempts),
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

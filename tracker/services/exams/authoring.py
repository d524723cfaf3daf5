"""Exams as admins make them: settings, the question bank, publishing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker.auth import Principal
from tracker.clock import now
from tracker.core.exams import MAX_QUESTIONS, TRUE_FALSE
from tracker.core.rules import hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.ids import is_id
from tracker.models import Courseware, Exam, ExamAttempt, ExamChoice, ExamQuestion
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.exams.views import ChoiceView, ExamView, QuestionView
from tracker.services.scope import actor_scope, admin_scope

TRUE, FALSE = "true", "false"  # the stored text of true/false choices (pages translate them)


@dataclass(frozen=True)
class QuestionDraft:
    """A question to add: its choices as (text, correct) in order."""

    kind: str
    text: str
    points: int
    choices: tuple[tuple[str, bool], ...]

    @classmethod
    def of(cls, fields: dict[str, Any]) -> QuestionDraft:
        """From the API's question body."""
        if fields["kind"] == TRUE_FALSE:
            choices = ((TRUE, fields["answer"]), (FALSE, not fields["answer"]))
        else:
            choices = tuple((c["text"], c["correct"]) for c in fields["choices"])
        return cls(fields["kind"], fields["text"], fields.get("points", 1), choices)


# --- reading --------------------------------------------------------------------------------


def exam_view(exam: Exam) -> ExamView:
    """The view of one exam (a few small queries)."""
    item = db.session.get(Courseware, exam.courseware_id) if exam.courseware_id else None
    bank = db.session.scalar(
        select(func.count()).select_from(ExamQuestion).where(ExamQuestion.exam_id == exam.id)
    )
    locked = db.session.scalar(
        select(ExamAttempt.id).where(ExamAttempt.exam_id == exam.id).limit(1)
    )
    return ExamView(
        id=exam.id,
        title=exam.title,
        description=exam.description,
        courseware_id=exam.courseware_id,
        courseware_title=item.title if item else None,
        subject=exam.subject or (item.subject if item else None),
        hours_ms=hours_to_ms(float(item.hours_limit)) if item else (exam.hours_ms or 0),
        pass_mark=exam.pass_mark,
        time_limit_s=exam.time_limit_s,
        max_attempts=exam.max_attempts,
        question_count=exam.question_count,
        requires_completion=exam.requires_completion,
        published=exam.published,
        bank_size=bank or 0,
        locked=locked is not None,
    )


def load_exam(exam_id: int, published_only: bool = False, lock: bool = False) -> Exam:
    """The exam, or `exam_not_found` (also for an unpublished one when `published_only`)."""
    exam = db.session.get(Exam, exam_id, with_for_update=lock) if is_id(exam_id) else None
    if exam is None or (published_only and not exam.published):
        fail("exam_not_found")
    return exam


def get_exam(exam_id: int, admin: bool = False) -> ExamView:
    """One exam; learners see published ones only."""
    return exam_view(load_exam(exam_id, published_only=not admin))


def list_exams(published_only: bool = True) -> list[ExamView]:
    """Every exam (or the published ones), oldest first."""
    query = select(Exam).order_by(Exam.id)
    if published_only:
        query = query.where(Exam.published.is_(True))
    return [exam_view(exam) for exam in db.session.scalars(query)]


def all_exams(principal: Principal) -> list[ExamView]:
    """Every exam with its settings, for the organisation's admins who author them."""
    admin_scope(principal).require_organisation()
    return list_exams(published_only=False)


def question_bank(principal: Principal, exam_id: int) -> list[QuestionView]:
    """An exam's bank with the key, for the organisation's admins who author it."""
    admin_scope(principal).require_organisation()
    return questions(exam_id)


def exam_for_item(courseware_id: int) -> ExamView | None:
    """The exam attached to a courseware item, if any."""
    exam = db.session.scalar(select(Exam).where(Exam.courseware_id == courseware_id))
    return exam_view(exam) if exam else None


def questions(exam_id: int) -> list[QuestionView]:
    """An exam's bank in order, with the key (admins only)."""
    load_exam(exam_id)
    rows = db.session.scalars(
        select(ExamQuestion)
        .where(ExamQuestion.exam_id == exam_id)
        .order_by(ExamQuestion.position, ExamQuestion.id)
    ).all()
    choices: dict[int, list[ChoiceView]] = {q.id: [] for q in rows}
    for choice in db.session.scalars(
        select(ExamChoice)
        .where(ExamChoice.question_id.in_(list(choices)))
        .order_by(ExamChoice.position, ExamChoice.id)
    ):
        choices[choice.question_id].append(ChoiceView(choice.id, choice.text, choice.correct))
    return [
        QuestionView(q.id, q.position, q.kind, q.text, q.points, tuple(choices[q.id])) for q in rows
    ]


# --- settings -------------------------------------------------------------------------------


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    columns = dict(fields)
    if "hours" in columns:
        hours = columns.pop("hours")
        columns["hours_ms"] = None if hours is None else hours_to_ms(hours)
    if "time_limit_minutes" in columns:
        minutes = columns.pop("time_limit_minutes")
        columns["time_limit_s"] = None if minutes is None else max(1, round(minutes * 60))
    return columns


def _check_ready(exam: Exam) -> None:
    """A published exam has a bank at least as large as what it draws."""
    if not exam.published:
        return
    bank = db.session.scalar(
        select(func.count()).select_from(ExamQuestion).where(ExamQuestion.exam_id == exam.id)
    )
    if not bank or (exam.question_count or 0) > bank:
        fail("exam_not_ready")


def create_exam(actor_id: int, fields: dict[str, Any]) -> ExamView:
    """A new exam (unpublished until it has questions)."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        item_id = fields.get("courseware_id")
        if item_id is not None:
            if db.session.get(Courseware, item_id) is None:
                fail("courseware_not_found")
            if db.session.scalar(select(Exam.id).where(Exam.courseware_id == item_id)):
                fail("exam_exists")
        at = now()
        exam = Exam(**_columns(fields), created_by=actor_id, created_at=at, updated_at=at)
        db.session.add(exam)
        db.session.flush()
        _check_ready(exam)
        log_action(actor_id, "exam.create", "exam", exam.id, new=fields)
        return exam_view(exam)


def update_exam(actor_id: int, exam_id: int, fields: dict[str, Any]) -> ExamView:
    """Change an exam's settings; they apply to attempts started afterwards."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        exam = load_exam(exam_id, lock=True)
        columns = _columns(fields)
        old = {name: getattr(exam, name) for name in columns}
        for name, value in columns.items():
            setattr(exam, name, value)
        if exam.requires_completion and exam.courseware_id is None:
            message = _("Only the exam of a courseware item can wait for the item's hours.")
            fail("bad_payload", details=[{"field": "requires_completion", "problem": message}])
        if exam.courseware_id is None and exam.subject is None:
            message = _("A stand-alone exam needs a subject.")
            fail("bad_payload", details=[{"field": "subject", "problem": message}])
        _check_ready(exam)
        changed = {name for name in columns if old[name] != getattr(exam, name)}
        if changed:
            exam.updated_at = now()
            log_action(
                actor_id,
                "exam.update",
                "exam",
                exam.id,
                old={n: old[n] for n in sorted(changed)},
                new={n: getattr(exam, n) for n in sorted(changed)},
            )
        db.session.flush()
        return exam_view(exam)


# --- the question bank ----------------------------------------------------------------------


def _editable(exam_id: int) -> Exam:
    exam = load_exam(exam_id, lock=True)
    if db.session.scalar(select(ExamAttempt.id).where(ExamAttempt.exam_id == exam_id).limit(1)):
        fail("exam_locked")
    return exam


def _add_choices(question_id: int, draft: QuestionDraft) -> None:
    db.session.add_all(
        ExamChoice(question_id=question_id, position=i, text=text, correct=correct)
        for i, (text, correct) in enumerate(draft.choices)
    )


def _add(exam: Exam, drafts: Sequence[QuestionDraft], start: int) -> list[ExamQuestion]:
    added = []
    for offset, draft in enumerate(drafts):
        question = ExamQuestion(
            exam_id=exam.id,
            position=start + offset,
            kind=draft.kind,
            text=draft.text,
            points=draft.points,
        )
        db.session.add(question)
        db.session.flush()
        _add_choices(question.id, draft)
        added.append(question)
    return added


def _bank_size(exam_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ExamQuestion).where(ExamQuestion.exam_id == exam_id)
    )


def _next_position(exam_id: int) -> int:
    last = db.session.scalar(
        select(func.max(ExamQuestion.position)).where(ExamQuestion.exam_id == exam_id)
    )
    return (last or 0) + 1


def add_questions(
    actor_id: int, exam_id: int, drafts: Sequence[QuestionDraft], replace: bool = False
) -> list[int]:
    """Add questions to the bank (after emptying it, if `replace`): all of them or none."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        exam = _editable(exam_id)
        if replace:
            _delete_questions(exam_id)
        if _bank_size(exam_id) + len(drafts) > MAX_QUESTIONS:
            fail("exam_too_long")
        added = _add(exam, drafts, _next_position(exam_id))
        db.session.flush()
        _check_ready(exam)
        log_action(
            actor_id,
            "exam.questions",
            "exam",
            exam.id,
            added=len(added),
            replaced=replace,
        )
        return [q.id for q in added]


def _question(exam_id: int, question_id: int) -> ExamQuestion:
    question = db.session.get(ExamQuestion, question_id) if is_id(question_id) else None
    if question is None or question.exam_id != exam_id:
        fail("question_not_found")
    return question


def _delete_questions(exam_id: int, *question_ids: int) -> None:
    query = select(ExamQuestion.id).where(ExamQuestion.exam_id == exam_id)
    if question_ids:
        query = query.where(ExamQuestion.id.in_(question_ids))
    ids = list(db.session.scalars(query))
    for choice in db.session.scalars(select(ExamChoice).where(ExamChoice.question_id.in_(ids))):
        db.session.delete(choice)
    for question in db.session.scalars(select(ExamQuestion).where(ExamQuestion.id.in_(ids))):
        db.session.delete(question)
    db.session.flush()


def replace_question(
    actor_id: int, exam_id: int, question_id: int, draft: QuestionDraft
) -> QuestionView:
    """Rewrite one question (kind, text, points, choices) in its place."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        exam = _editable(exam_id)
        question = _question(exam_id, question_id)
        question.kind, question.text, question.points = draft.kind, draft.text, draft.points
        for choice in db.session.scalars(
            select(ExamChoice).where(ExamChoice.question_id == question_id)
        ):
            db.session.delete(choice)
        db.session.flush()
        _add_choices(question_id, draft)
        log_action(actor_id, "exam.question", "exam", exam.id, changed=question_id)
    return next(q for q in questions(exam_id) if q.id == question_id)


def delete_question(actor_id: int, exam_id: int, question_id: int) -> None:
    """Remove a question from the bank."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        exam = _editable(exam_id)
        _question(exam_id, question_id)
        _delete_questions(exam_id, question_id)
        _check_ready(exam)
        log_action(actor_id, "exam.question", "exam", exam.id, deleted=question_id)

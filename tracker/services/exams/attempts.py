"""Taking an exam: start (or resume) an attempt, save answers, hand it in, read the outcome.

The server decides everything: the paper is drawn and kept here, the deadline is the server's
clock, answers must fit the paper, and the key never leaves this module except as marks.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError

from tracker.clock import now
from tracker.core.exams import (
    TRUE_FALSE,
    AnswerRefused,
    KeyedQuestion,
    Paper,
    Standing,
    check_answers,
    deadline_of,
    draw_paper,
    is_late,
    percent_of,
    score,
)
from tracker.errors import fail
from tracker.extensions import db
from tracker.ids import is_id
from tracker.models import Certificate, Exam, ExamAttempt, ExamChoice, ExamQuestion, User
from tracker.services import transaction
from tracker.services.certificates import issue_for_exam
from tracker.services.completion import completed_courseware
from tracker.services.exams.authoring import TRUE, exam_view, load_exam
from tracker.services.exams.views import (
    AttemptView,
    MyExam,
    Outcome,
    PaperChoice,
    PaperItem,
)

_shuffler = random.SystemRandom()  # a paper's order must not be predictable

REFUSALS = {
    "question_not_in_attempt": lambda: _("Question %(id)s is not part of this attempt."),
    "choice_not_in_question": lambda: _("An answer to question %(id)s is not one of its choices."),
    "one_choice_only": lambda: _("Question %(id)s takes only one answer."),
}


def _bank(exam_id: int, question_ids: Sequence[int] | None = None) -> dict[int, KeyedQuestion]:
    query = select(ExamQuestion.id, ExamQuestion.kind, ExamQuestion.points).where(
        ExamQuestion.exam_id == exam_id
    )
    if question_ids is not None:
        query = query.where(ExamQuestion.id.in_(list(question_ids)))
    questions = db.session.execute(query).all()
    choices: dict[int, list[tuple[int, bool]]] = {q.id: [] for q in questions}
    for question_id, choice_id, correct in db.session.execute(
        select(ExamChoice.question_id, ExamChoice.id, ExamChoice.correct)
        .where(ExamChoice.question_id.in_(list(choices)))
        .order_by(ExamChoice.position, ExamChoice.id)
    ):
        choices[question_id].append((choice_id, correct))
    return {
        q.id: KeyedQuestion(
            q.id,
            q.kind,
            q.points,
            tuple(c for c, _ in choices[q.id]),
            frozenset(c for c, right in choices[q.id] if right),
        )
        for q in questions
    }


def _attempts(exam_id: int, user_id: int) -> list[ExamAttempt]:
    return list(
        db.session.scalars(
            select(ExamAttempt)
            .where(ExamAttempt.exam_id == exam_id, ExamAttempt.user_id == user_id)
            .order_by(ExamAttempt.number)
        )
    )


def _standing(exam: Exam, user_id: int, attempts: Sequence[ExamAttempt]) -> Standing:
    completed = bool(exam.courseware_id and completed_courseware(user_id, [exam.courseware_id]))
    return Standing(
        attempts_used=len(attempts),
        max_attempts=exam.max_attempts,
        passed=any(a.passed for a in attempts),
        has_open_attempt=any(a.status == "open" for a in attempts),
        requires_completion=exam.requires_completion,
        item_completed=completed,
    )


def _answers(stored: Mapping[str, Sequence[int]]) -> dict[int, frozenset[int]]:
    return {int(q): frozenset(c) for q, c in stored.items()}


def _finish(attempt: ExamAttempt, exam: Exam, status: str, at: datetime) -> None:
    """Score the saved answers and close the attempt; a pass earns the certificate."""
    paper = Paper.from_plain(attempt.paper)
    result = score(
        paper, _bank(exam.id, paper.question_ids), _answers(attempt.answers), exam.pass_mark
    )
    attempt.status = status
    attempt.finished_at = at
    attempt.earned, attempt.possible, attempt.passed = result.earned, result.possible, result.passed
    attempt.wrong = list(result.wrong)
    db.session.flush()
    if result.passed:
        issue_for_exam(exam_view(exam), attempt, result.percent, at)


def close_overdue(
    user_id: int | None = None,
    exam_id: int | None = None,
    who: ColumnElement[bool] | None = None,
) -> int:
    """Hand in every open attempt whose deadline has passed, with its saved answers (only the
    user's, the exam's, or those of the users `who` selects, if given)."""
    at = now()
    with transaction():
        query = select(ExamAttempt).where(
            ExamAttempt.status == "open", ExamAttempt.deadline_at < at
        )
        if user_id is not None:
            query = query.where(ExamAttempt.user_id == user_id)
        if who is not None:
            query = query.where(ExamAttempt.user_id.in_(select(User.id).where(who)))
        if exam_id is not None:
            query = query.where(ExamAttempt.exam_id == exam_id)
        overdue = list(db.session.scalars(query.with_for_update()))
        for attempt in overdue:
            _finish(attempt, db.session.get(Exam, attempt.exam_id), "expired", at)
        return len(overdue)


# --- a learner's exams ----------------------------------------------------------------------


def _certificate_of(user_id: int, exam_id: int) -> str | None:
    return db.session.scalar(
        select(Certificate.number).where(
            Certificate.user_id == user_id,
            Certificate.exam_id == exam_id,
            Certificate.revoked_at.is_(None),
        )
    )


def my_exam(user_id: int, exam_id: int) -> MyExam:
    """A published exam with where the user stands."""
    exam = load_exam(exam_id, published_only=True)
    close_overdue(user_id, exam_id)
    return _mine(user_id, exam)


def my_exams(user_id: int) -> list[MyExam]:
    """Every published exam with where the user stands."""
    close_overdue(user_id)
    exams = db.session.scalars(select(Exam).where(Exam.published.is_(True)).order_by(Exam.id))
    return [_mine(user_id, exam) for exam in list(exams)]


def _mine(user_id: int, exam: Exam) -> MyExam:
    attempts = _attempts(exam.id, user_id)
    finished = [a for a in attempts if a.status != "open"]
    best = max(
        finished, key=lambda a: (bool(a.passed), percent_of(a.earned, a.possible)), default=None
    )
    return MyExam(
        exam=exam_view(exam),
        standing=_standing(exam, user_id, attempts),
        best=Outcome(best.earned, best.possible, bool(best.passed)) if best else None,
        open_attempt_id=next((a.id for a in attempts if a.status == "open"), None),
        last_attempt_id=attempts[-1].id if attempts else None,
        certificate=_certificate_of(user_id, exam.id),
    )


# --- one attempt ----------------------------------------------------------------------------


def start_attempt(user_id: int, exam_id: int, retry: bool = True) -> tuple[AttemptView, bool]:
    """Start an attempt, or resume the open one; (the attempt, whether it is new)."""
    close_overdue(user_id, exam_id)
    try:
        with transaction():
            exam = load_exam(exam_id, published_only=True)
            attempts = _attempts(exam_id, user_id)
            current = next((a for a in attempts if a.status == "open"), None)
            if current is not None:
                return _view(current, exam), False
            refusal = _standing(exam, user_id, attempts).refusal
            if refusal is not None:
                fail(refusal)
            paper = draw_paper(list(_bank(exam_id).values()), _shuffler, exam.question_count)
            at = now()
            attempt = ExamAttempt(
                exam_id=exam_id,
                user_id=user_id,
                number=len(attempts) + 1,
                status="open",
                started_at=at,
                deadline_at=deadline_of(at, exam.time_limit_s),
                paper=paper.to_plain(),
                answers={},
            )
            db.session.add(attempt)
            db.session.flush()
            return _view(attempt, exam), True
    except IntegrityError:
        if not retry:
            raise
        # The same try was started at the same moment elsewhere (another tab): resume that one.
        return start_attempt(user_id, exam_id, retry=False)


def _own(user_id: int, attempt_id: int, lock: bool = False) -> ExamAttempt:
    query = select(ExamAttempt).where(ExamAttempt.id == attempt_id)
    if lock:
        query = query.with_for_update()
    attempt = (
        db.session.scalar(query.execution_options(populate_existing=True))
        if is_id(attempt_id)
        else None
    )
    if attempt is None or attempt.user_id != user_id:
        fail("attempt_not_found")
    return attempt


def _merge(attempt: ExamAttempt, answers: Mapping[int, Sequence[int]]) -> None:
    """Check `answers` against the attempt's paper and keep them; nothing kept if one is wrong."""
    paper = Paper.from_plain(attempt.paper)
    kinds = dict(
        db.session.execute(
            select(ExamQuestion.id, ExamQuestion.kind).where(
                ExamQuestion.id.in_(list(paper.question_ids))
            )
        ).all()
    )
    try:
        checked = check_answers(paper, kinds, answers)
    except AnswerRefused as refused:
        message = REFUSALS[refused.code]() % {"id": refused.question_id}
        fail(
            "answer_refused",
            details=[{"question_id": refused.question_id, "problem": message}],
        )
    merged = dict(attempt.answers or {})
    for question_id, chosen in checked.items():
        merged[str(question_id)] = sorted(chosen)
    attempt.answers = merged


def _hand_in(
    user_id: int, attempt_id: int, answers: Mapping[int, Sequence[int]], submit: bool
) -> AttemptView:
    late = False
    with transaction():
        attempt = _own(user_id, attempt_id, lock=True)
        if attempt.status != "open":
            fail("attempt_closed")
        exam = db.session.get(Exam, attempt.exam_id)
        at = now()
        if is_late(at, attempt.deadline_at):
            _finish(attempt, exam, "expired", at)
            late = True
        else:
            _merge(attempt, answers)
            if submit:
                _finish(attempt, exam, "submitted", at)
    if late:
        fail("attempt_expired", details=[{"attempt_id": attempt_id}])
    return get_attempt(user_id, attempt_id)


def save_answers(
    user_id: int, attempt_id: int, answers: Mapping[int, Sequence[int]]
) -> AttemptView:
    """Keep answers of an open attempt before its deadline (a reload finds them again)."""
    return _hand_in(user_id, attempt_id, answers, submit=False)


def submit_attempt(
    user_id: int, attempt_id: int, answers: Mapping[int, Sequence[int]]
) -> AttemptView:
    """Hand in an attempt with its last answers, by the deadline; it is scored at once."""
    return _hand_in(user_id, attempt_id, answers, submit=True)


def get_attempt(user_id: int, attempt_id: int) -> AttemptView:
    """An attempt of the user (handed in first if its time is up)."""
    attempt = _own(user_id, attempt_id)
    if attempt.status == "open" and is_late(now(), attempt.deadline_at):
        close_overdue(user_id, attempt.exam_id)
        attempt = _own(user_id, attempt_id)
    return _view(attempt, db.session.get(Exam, attempt.exam_id))


def _shown(text: str, true_false: bool) -> str:
    """A choice's text in the reader's language (true/false choices are stored as tokens)."""
    if not true_false:
        return text
    return _("True") if text == TRUE else _("False")


def _view(attempt: ExamAttempt, exam: Exam) -> AttemptView:
    paper = Paper.from_plain(attempt.paper)
    questions = {
        q.id: q
        for q in db.session.scalars(
            select(ExamQuestion).where(ExamQuestion.id.in_(list(paper.question_ids)))
        )
    }
    texts = dict(
        db.session.execute(
            select(ExamChoice.id, ExamChoice.text).where(
                ExamChoice.question_id.in_(list(paper.question_ids))
            )
        ).all()
    )
    finished = attempt.status != "open"
    reveal = finished and (
        bool(attempt.passed)
        or _standing(exam, attempt.user_id, _attempts(exam.id, attempt.user_id)).reveals_mistakes
    )
    wrong = set(attempt.wrong or [])
    chosen = _answers(attempt.answers or {})
    items = []
    for drawn in paper.questions:
        question = questions[drawn.question_id]
        tf = question.kind == TRUE_FALSE
        items.append(
            PaperItem(
                question_id=question.id,
                kind=question.kind,
                text=question.text,
                points=question.points,
                choices=tuple(PaperChoice(c, _shown(texts[c], tf)) for c in drawn.choice_ids),
                chosen=tuple(c for c in drawn.choice_ids if c in chosen.get(question.id, ())),
                wrong=(question.id in wrong) if reveal else None,
            )
        )
    outcome = (
        Outcome(attempt.earned or 0, attempt.possible or 0, bool(attempt.passed))
        if finished
        else None
    )
    return AttemptView(
        id=attempt.id,
        exam_id=exam.id,
        exam_title=exam.title,
        number=attempt.number,
        max_attempts=exam.max_attempts,
        status=attempt.status,
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        finished_at=attempt.finished_at,
        now=now(),
        items=tuple(items),
        outcome=outcome,
        pass_mark=exam.pass_mark,
        reveals_mistakes=reveal,
        certificate=_certificate_of(attempt.user_id, exam.id) if attempt.passed else None,
    )

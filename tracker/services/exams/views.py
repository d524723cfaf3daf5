"""Exams, questions and attempts as the services hand them out (plain, frozen values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker import wire
from tracker.core.exams import TRUE_FALSE, Standing, percent_of


@dataclass(frozen=True)
class ChoiceView:
    """A choice; `correct` is only ever shown to admins."""

    id: int
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionView:
    """A question of the bank with its choices in their authored order."""

    id: int
    position: int
    kind: str
    text: str
    points: int
    choices: tuple[ChoiceView, ...]

    def public(self) -> dict[str, Any]:
        """As admins see it, key included."""
        out: dict[str, Any] = {
            "id": self.id,
            "position": self.position,
            "kind": self.kind,
            "text": self.text,
            "points": self.points,
            "choices": [{"id": c.id, "text": c.text, "correct": c.correct} for c in self.choices],
        }
        if self.kind == TRUE_FALSE:
            out["answer"] = self.choices[0].correct
        return out


@dataclass(frozen=True)
class ExamView:
    """An exam's settings, what it is about, and how large its bank is."""

    id: int
    title: str
    description: str
    courseware_id: int | None
    courseware_title: str | None
    subject: str | None
    hours_ms: int
    pass_mark: int
    time_limit_s: int | None
    max_attempts: int
    question_count: int | None
    requires_completion: bool
    published: bool
    bank_size: int
    locked: bool  # attempts exist: the questions can no longer change

    @property
    def paper_size(self) -> int:
        """How many questions one attempt gets."""
        return min(self.question_count or self.bank_size, self.bank_size)

    def public(self, admin: bool = False) -> dict[str, Any]:
        """As the API shows it; the bank's size and lock are for admins."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "courseware_id": self.courseware_id,
            "courseware_title": self.courseware_title,
            "subject": self.subject,
            "hours": wire.hours(self.hours_ms),
            "pass_mark": self.pass_mark,
            "time_limit_minutes": (
                None if self.time_limit_s is None else round(self.time_limit_s / 60, 4)
            ),
            "max_attempts": self.max_attempts,
            "questions_per_attempt": self.paper_size,
            "requires_completion": self.requires_completion,
            "published": self.published,
        }
        if admin:
            out |= {
                "question_count": self.question_count,
                "bank_size": self.bank_size,
                "locked": self.locked,
            }
        return out


@dataclass(frozen=True)
class Outcome:
    """A finished attempt's score."""

    earned: int
    possible: int
    passed: bool

    @property
    def percent(self) -> float:
        return percent_of(self.earned, self.possible)

    def public(self) -> dict[str, Any]:
        return {
            "earned": self.earned,
            "possible": self.possible,
            "percent": self.percent,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class MyExam:
    """An exam with where the caller stands: tries used, best outcome, an open attempt."""

    exam: ExamView
    standing: Standing
    best: Outcome | None
    open_attempt_id: int | None
    last_attempt_id: int | None
    certificate: str | None  # its number

    def public(self) -> dict[str, Any]:
        """As the API shows it to a learner."""
        return {
            **self.exam.public(),
            "attempts_used": self.standing.attempts_used,
            "attempts_left": self.standing.attempts_left,
            "passed": self.standing.passed,
            "best": self.best.public() if self.best else None,
            "open_attempt_id": self.open_attempt_id,
            "last_attempt_id": self.last_attempt_id,
            "can_start": self.standing.refusal is None,
            "refusal": self.standing.refusal,
            "certificate": self.certificate,
        }


@dataclass(frozen=True)
class PaperChoice:
    """A choice as a learner sees it: no key."""

    id: int
    text: str


@dataclass(frozen=True)
class PaperItem:
    """A question of an attempt as the learner sees it, with what they chose."""

    question_id: int
    kind: str
    text: str
    points: int
    choices: tuple[PaperChoice, ...]
    chosen: tuple[int, ...]
    wrong: bool | None  # None: not revealed

    def public(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "kind": self.kind,
            "text": self.text,
            "points": self.points,
            "choices": [{"id": c.id, "text": c.text} for c in self.choices],
            "chosen": list(self.chosen),
            "wrong": self.wrong,
        }


@dataclass(frozen=True)
class AttemptView:
    """An attempt as its learner sees it: the paper, the clock, and once finished the outcome."""

    id: int
    exam_id: int
    exam_title: str
    number: int
    max_attempts: int
    status: str
    started_at: datetime
    deadline_at: datetime | None
    finished_at: datetime | None
    now: datetime
    items: tuple[PaperItem, ...]
    outcome: Outcome | None
    pass_mark: int
    reveals_mistakes: bool
    certificate: str | None

    @property
    def remaining_s(self) -> float | None:
        if self.status != "open" or self.deadline_at is None:
            return None
        return max(0.0, (self.deadline_at - self.now).total_seconds())

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "exam_id": self.exam_id,
            "exam_title": self.exam_title,
            "number": self.number,
            "max_attempts": self.max_attempts,
            "status": self.status,
            "started_at": self.started_at,
            "deadline_at": self.deadline_at,
            "finished_at": self.finished_at,
            "server_time": self.now,
            "remaining_s": self.remaining_s,
            "pass_mark": self.pass_mark,
            "questions": [item.public() for item in self.items],
            "result": self.outcome.public() if self.outcome else None,
            "mistakes_shown": self.reveals_mistakes,
            "certificate": self.certificate,
        }


@dataclass(frozen=True)
class AttemptRow:
    """One attempt in an admin's list of an exam's results."""

    id: int
    user_id: int
    username: str
    display_name: str
    number: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    outcome: Outcome | None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "number": self.number,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "result": self.outcome.public() if self.outcome else None,
        }

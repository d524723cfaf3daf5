"""Exams: drawing a shuffled paper, checking answers against it, scoring, deadlines, eligibility.

Plain values in, frozen values out; the services own the database and the clock.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"
QUESTION_KINDS = (SINGLE, MULTIPLE, TRUE_FALSE)
MAX_QUESTIONS = 200  # in one exam's bank
MIN_CHOICES, MAX_CHOICES = 2, 8
MAX_ATTEMPTS = 20
MAX_POINTS = 100  # of one question


@dataclass(frozen=True)
class KeyedQuestion:
    """A question of the bank with its key: the ids of its choices and of the correct ones."""

    id: int
    kind: str
    points: int
    choice_ids: tuple[int, ...]
    correct: frozenset[int]


@dataclass(frozen=True)
class PaperQuestion:
    """One question of an attempt, with its choices in the order the learner sees them."""

    question_id: int
    choice_ids: tuple[int, ...]


@dataclass(frozen=True)
class Paper:
    """The questions of one attempt, in the order drawn for it; never the key."""

    questions: tuple[PaperQuestion, ...]

    @property
    def question_ids(self) -> tuple[int, ...]:
        return tuple(q.question_id for q in self.questions)

    def to_plain(self) -> list[list[int]]:
        """As stored: [[question id, choice id, ...], ...]."""
        return [[q.question_id, *q.choice_ids] for q in self.questions]

    @classmethod
    def from_plain(cls, rows: Sequence[Sequence[int]]) -> Paper:
        """The paper stored by `to_plain`."""
        return cls(tuple(PaperQuestion(int(r[0]), tuple(int(c) for c in r[1:])) for r in rows))


def draw_paper(bank: Sequence[KeyedQuestion], rng: random.Random, count: int | None) -> Paper:
    """`count` questions of the bank (all if None) in a random order, their choices shuffled
    (true/false keeps its order: true first)."""
    size = len(bank) if count is None else min(count, len(bank))
    drawn = rng.sample(list(bank), size)
    questions = []
    for question in drawn:
        choices = list(question.choice_ids)
        if question.kind != TRUE_FALSE:
            rng.shuffle(choices)
        questions.append(PaperQuestion(question.id, tuple(choices)))
    return Paper(tuple(questions))


class AnswerRefused(ValueError):
    """An answer that does not fit the paper; `code` says why, `question_id` where."""

    def __init__(self, code: str, question_id: int) -> None:
        super().__init__(f"{code}: question {question_id}")
        self.code = code
        self.question_id = question_id


def check_answers(
    paper: Paper, kinds: Mapping[int, str], answers: Mapping[int, Collection[int]]
) -> Mapping[int, frozenset[int]]:
    """The answers as sets of choice ids, if each names a question of the paper and only its
    choices (one at most for single choice and true/false); else `AnswerRefused`.

    Codes: `question_not_in_attempt`, `choice_not_in_question`, `one_choice_only`.
    """
    offered = {q.question_id: frozenset(q.choice_ids) for q in paper.questions}
    checked: dict[int, frozenset[int]] = {}
    for question_id, chosen in answers.items():
        if question_id not in offered:
            raise AnswerRefused("question_not_in_attempt", question_id)
        choices = frozenset(chosen)
        if not choices <= offered[question_id]:
            raise AnswerRefused("choice_not_in_question", question_id)
        if len(choices) > 1 and kinds.get(question_id) != MULTIPLE:
            raise AnswerRefused("one_choice_only", question_id)
        checked[question_id] = choices
    return MappingProxyType(checked)


@dataclass(frozen=True)
class Mark:
    """How one question of the paper was answered."""

    question_id: int
    points: int
    answered: bool
    correct: bool

    @property
    def earned(self) -> int:
        return self.points if self.correct else 0


def percent_of(earned: int, possible: int) -> float:
    """Points earned as a percentage of those possible, to two decimals."""
    return round(100 * earned / possible, 2) if possible else 0.0


def passes(earned: int, possible: int, pass_mark: int) -> bool:
    """Whether the points reach the pass mark (in percent), compared exactly in whole numbers."""
    return possible > 0 and earned * 100 >= pass_mark * possible


@dataclass(frozen=True)
class Score:
    """The outcome of an attempt: points earned of those possible, and each question's mark."""

    earned: int
    possible: int
    pass_mark: int  # percent
    marks: tuple[Mark, ...]

    @property
    def percent(self) -> float:
        """The score in percent, to two decimals."""
        return percent_of(self.earned, self.possible)

    @property
    def passed(self) -> bool:
        """At least the pass mark."""
        return passes(self.earned, self.possible, self.pass_mark)

    @property
    def wrong(self) -> tuple[int, ...]:
        """The questions answered wrongly or not at all, in paper order."""
        return tuple(m.question_id for m in self.marks if not m.correct)


def score(
    paper: Paper,
    key: Mapping[int, KeyedQuestion],
    answers: Mapping[int, frozenset[int]],
    pass_mark: int,
) -> Score:
    """Score checked answers: a question earns its points only when exactly its correct
    choices were chosen (all or nothing, multiple choice included)."""
    marks = []
    for question_id in paper.question_ids:
        question = key[question_id]
        chosen = answers.get(question_id, frozenset())
        marks.append(Mark(question_id, question.points, bool(chosen), chosen == question.correct))
    return Score(
        earned=sum(m.earned for m in marks),
        possible=sum(m.points for m in marks),
        pass_mark=pass_mark,
        marks=tuple(marks),
    )


def deadline_of(started_at: datetime, time_limit_s: int | None) -> datetime | None:
    """When an attempt started at `started_at` must be in (None: no time limit)."""
    return None if time_limit_s is None else started_at + timedelta(seconds=time_limit_s)


def is_late(now: datetime, deadline: datetime | None) -> bool:
    """Whether `now` is past the deadline (an answer at the very deadline still counts)."""
    return deadline is not None and now > deadline


def remaining_s(now: datetime, deadline: datetime | None) -> float | None:
    """Seconds left until the deadline, never negative (None: no time limit)."""
    return None if deadline is None else max(0.0, (deadline - now).total_seconds())


@dataclass(frozen=True)
class Standing:
    """Where a learner stands with one exam."""

    attempts_used: int
    max_attempts: int
    passed: bool
    has_open_attempt: bool
    requires_completion: bool
    item_completed: bool

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_attempts - self.attempts_used)

    @property
    def refusal(self) -> str | None:
        """Why a new attempt may not start now (None: it may, or an open one resumes).

        Codes: `exam_passed`, `no_attempts_left`, `item_not_completed`.
        """
        if self.has_open_attempt:
            return None
        if self.passed:
            return "exam_passed"
        if self.attempts_left == 0:
            return "no_attempts_left"
        if self.requires_completion and not self.item_completed:
            return "item_not_completed"
        return None

    @property
    def reveals_mistakes(self) -> bool:
        """Whether the learner may see which answers were wrong: after a pass or the last try."""
        return self.passed or (self.attempts_left == 0 and not self.has_open_attempt)


@dataclass(frozen=True)
class ExamTally:
    """Exams taken and passed, as the archive counts them: each exam once per person."""

    # An exam counts once it has a handed-in attempt, as passed if any attempt passed; it is
    # dated by the hand-in that decided it (the pass, else the latest one), so an exam failed
    # in one year and passed in the next is one exam, passed, in the later year.

    taken: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> float:
        """Exams passed as a percentage of exams taken, to two decimals (0.0 when none)."""
        return percent_of(self.passed, self.taken)

    def __add__(self, other: ExamTally) -> ExamTally:
        return ExamTally(self.taken + other.taken, self.passed + other.passed)


def tally(passed: Iterable[bool]) -> ExamTally:
    """The tally of exams, one `passed` flag per exam taken."""
    flags = list(passed)
    return ExamTally(len(flags), sum(flags))

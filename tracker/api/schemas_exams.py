"""Request and response bodies of exams and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel, Strict, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from tracker.api.fields import Id, IdParam, In, Query, Subject
from tracker.core.exams import MAX_ATTEMPTS, MAX_CHOICES, MAX_POINTS, MAX_QUESTIONS, MIN_CHOICES

QuestionKind = Literal["single", "multiple", "true_false"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]
PassMark = Annotated[int, Strict(), Field(ge=1, le=100)]
Minutes = Annotated[float, Strict(), Field(gt=0, le=600, allow_inf_nan=False)]
Attempts = Annotated[int, Strict(), Field(ge=1, le=MAX_ATTEMPTS)]
QuestionCount = Annotated[int, Strict(), Field(ge=1, le=MAX_QUESTIONS)]
Hours = Annotated[float, Strict(), Field(ge=0, le=1000, allow_inf_nan=False)]


# --- exams ----------------------------------------------------------------------------------


def exam_target(courseware_id: int | None, subject: str | None, requires_completion: bool) -> None:
    """An exam is on a courseware item, or stand-alone for a subject (and then has no item's
    hours to require)."""
    if courseware_id is None and subject is None:
        raise PydanticCustomError("exam_needs_subject", "a stand-alone exam needs a subject")
    if courseware_id is None and requires_completion:
        raise PydanticCustomError(
            "completion_needs_item", "requires_completion needs a courseware item"
        )


def question_keyed(kind: str, corrects: list[bool] | None, answer: bool | None) -> None:
    """A true/false question has its answer; a choice question its choices (`corrects`: which
    are correct) with one correct (single) or at least one (multiple)."""
    if kind == "true_false":
        if answer is None or corrects is not None:
            raise PydanticCustomError(
                "true_false_answer", "a true/false question has an answer and no choices"
            )
        return
    if answer is not None or not corrects or len(corrects) < MIN_CHOICES:
        raise PydanticCustomError(
            "choices_count",
            "give {low} to {high} choices and no answer",
            {"low": MIN_CHOICES, "high": MAX_CHOICES},
        )
    right = sum(corrects)
    if kind == "single" and right != 1:
        raise PydanticCustomError(
            "single_one_correct", "a single choice question has exactly one correct choice"
        )
    if right == 0:
        raise PydanticCustomError("none_correct", "mark at least one choice correct")


class ExamSettings(In):
    """What an admin sets on an exam; every field optional, as in a change."""

    title: Title | None = None
    description: Description | None = None
    subject: Subject | None = None
    hours: Hours | None = None
    pass_mark: PassMark | None = None
    time_limit_minutes: Minutes | None = None
    max_attempts: Attempts | None = None
    question_count: QuestionCount | None = None
    requires_completion: StrictBool | None = None
    published: StrictBool | None = None


class ExamCreate(In):
    """A new exam: on a courseware item (`courseware_id`) or stand-alone for a `subject`."""

    title: Title
    description: Description = ""
    courseware_id: Id | None = None
    subject: Subject | None = None
    hours: Hours | None = None
    pass_mark: PassMark = 60
    time_limit_minutes: Minutes | None = None
    max_attempts: Attempts = 3
    question_count: QuestionCount | None = None
    requires_completion: StrictBool = False
    published: StrictBool = False

    @model_validator(mode="after")
    def _item_or_subject(self) -> ExamCreate:
        exam_target(self.courseware_id, self.subject, self.requires_completion)
        return self


class ExamPatch(ExamSettings):
    """Changes to an exam; `null` clears the time limit, the drawn count, subject or hours."""

    @model_validator(mode="after")
    def _not_clearable(self) -> ExamPatch:
        clearable = {"time_limit_minutes", "question_count", "subject", "hours"}
        nulls = sorted(n for n in self.model_fields_set - clearable if getattr(self, n) is None)
        if nulls:
            raise PydanticCustomError("not_null", "{fields} cannot be null", {"fields": nulls})
        return self


class ExamOut(BaseModel):
    """An exam as the API shows it (bank size and lock for admins only)."""

    id: int
    title: str
    description: str
    courseware_id: int | None
    courseware_title: str | None
    subject: Subject | None
    hours: float
    pass_mark: int
    time_limit_minutes: float | None
    max_attempts: int
    questions_per_attempt: int
    requires_completion: bool
    published: bool
    question_count: int | None = None
    bank_size: int | None = None
    locked: bool | None = None


class OutcomeOut(BaseModel):
    """A finished attempt's score."""

    earned: int
    possible: int
    percent: float
    passed: bool


class MyExamOut(ExamOut):
    """An exam with where the caller stands."""

    attempts_used: int
    attempts_left: int
    passed: bool
    best: OutcomeOut | None
    open_attempt_id: int | None
    last_attempt_id: int | None
    can_start: bool
    refusal: Literal["exam_passed", "no_attempts_left", "item_not_completed"] | None
    certificate: str | None


class MyExamList(RootModel[list[MyExamOut]]):
    """Published exams with the caller's standing on each."""


class ExamList(RootModel[list[ExamOut]]):
    """Every exam (admins)."""


class ChoiceIn(In):
    """A choice of a single or multiple choice question."""

    text: Annotated[str, Field(min_length=1, max_length=500)]
    correct: StrictBool = False


class QuestionIn(In):
    """A question: choices with their key, or for true/false just `answer`."""

    kind: QuestionKind
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    points: Annotated[int, Strict(), Field(ge=1, le=MAX_POINTS)] = 1
    choices: Annotated[list[ChoiceIn], Field(max_length=MAX_CHOICES)] | None = None
    answer: StrictBool | None = None

    @model_validator(mode="after")
    def _keyed(self) -> QuestionIn:
        corrects = None if self.choices is None else [c.correct for c in self.choices]
        question_keyed(self.kind, corrects, self.answer)
        return self


class ChoiceOut(BaseModel):
    """A choice with its key (admins)."""

    id: int
    text: str
    correct: bool


class QuestionOut(BaseModel):
    """A question with its key (admins)."""

    id: int
    position: int
    kind: QuestionKind
    text: str
    points: int
    choices: list[ChoiceOut]
    answer: bool | None = None


class QuestionList(RootModel[list[QuestionOut]]):
    """An exam's question bank (admins)."""


class ImportOut(BaseModel):
    """What a question import added."""

    imported: int
    bank_size: int


class ImportQuery(Query):
    """`replace=true` empties the bank first."""

    replace: bool = False


# --- attempts -------------------------------------------------------------------------------

ChoiceIds = Annotated[list[Id], Field(max_length=MAX_CHOICES)]
QuestionKey = IdParam  # JSON object keys are strings: "12"
Answers = Annotated[dict[QuestionKey, ChoiceIds], Field(max_length=MAX_QUESTIONS)]


class AnswersIn(In):
    """Answers by question id: the ids of the chosen choices (an empty list clears one)."""

    answers: Answers


class SubmitIn(In):
    """The last answers, handed in with the attempt (they replace saved ones per question)."""

    answers: Answers = Field(default_factory=dict)


class PaperChoiceOut(BaseModel):
    """A choice as a learner sees it."""

    id: int
    text: str


class PaperQuestionOut(BaseModel):
    """A question of an attempt, without its key; `wrong` is set once mistakes are shown."""

    question_id: int
    kind: QuestionKind
    text: str
    points: int
    choices: list[PaperChoiceOut]
    chosen: list[int]
    wrong: bool | None


class AttemptOut(BaseModel):
    """An attempt: its paper, the server's deadline and clock, and once finished its result."""

    id: int
    exam_id: int
    exam_title: str
    number: int
    max_attempts: int
    status: Literal["open", "submitted", "expired"]
    started_at: datetime
    deadline_at: datetime | None
    finished_at: datetime | None
    server_time: datetime
    remaining_s: float | None
    pass_mark: int
    questions: list[PaperQuestionOut]
    result: OutcomeOut | None
    mistakes_shown: bool
    certificate: str | None


class AttemptRowOut(BaseModel):
    """One attempt in an exam's results (admins)."""

    id: int
    user_id: int
    username: str
    display_name: str
    number: int
    status: Literal["open", "submitted", "expired"]
    started_at: datetime
    finished_at: datetime | None
    result: OutcomeOut | None


class AttemptRows(RootModel[list[AttemptRowOut]]):
    """An exam's attempts, newest first."""

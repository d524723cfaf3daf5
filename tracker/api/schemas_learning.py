"""Request and response bodies of trainings, attendance and self-reported records."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    Strict,
    StrictBool,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tracker.api.schemas import Hours, Text200, refuse_nulls

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError("iso_date", "Input should be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise PydanticCustomError("iso_date", "Input should be a valid calendar date") from error


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Days = Annotated[float, Strict(), Field(gt=0, le=366, multiple_of=0.5, allow_inf_nan=False)]
Fraction = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]
Capacity = Annotated[int, Strict(), Field(gt=0, le=1_000_000)]
Money = Annotated[float, Strict(), Field(ge=0, le=1e12, allow_inf_nan=False)]
Subject = Literal["public", "professional"]
TrainingType = Literal["training", "lecture", "conference", "seminar", "other"]
RecordKind = Literal["external_training", "self_study", "external_online"]
RecordStatus = Literal["pending", "approved", "rejected"]
Assessment = Literal["passed", "failed"]
MaterialKind = Literal[
    "notice", "schedule", "sign_in", "needs_analysis", "feedback", "summary", "courseware", "other"
]
Category = Annotated[str, Field(min_length=1, max_length=80)]
Text = Annotated[str, Field(max_length=5000)]
Id = Annotated[int, Strict(), Field(gt=0, lt=2**31)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Query(BaseModel):
    """Query strings: unknown keys are refused, empty values mean "not given"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


def _period_in_order(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise PydanticCustomError("end_before_start", "end_date must not be before start_date")


# --- trainings ------------------------------------------------------------------------------


class Participants(_In):
    """Actual participants by category (filing form)."""

    management: Count | None = None
    support: Count | None = None
    staff: Count | None = None
    research: Count | None = None
    external: Count | None = None


class _TrainingFields(_In):
    """The optional fields of the filing form (seed 000's attachment)."""

    type: TrainingType = "training"
    subject: Subject | None = None
    enrolment_open: StrictBool = True
    audience: Annotated[str, Field(max_length=500)] = ""
    capacity: Capacity | None = None
    participants: Participants | None = None
    budget: Money | None = None
    actual_spend: Money | None = None
    purpose: Text = ""
    content: Annotated[str, Field(max_length=10_000)] = ""
    department: Annotated[str, Field(max_length=200)] = ""
    contact: Annotated[str, Field(max_length=120)] = ""
    email: Annotated[str, Field(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+$")] = ""
    phone: Annotated[str, Field(max_length=60)] = ""


class TrainingCreate(_TrainingFields):
    """A new training project (admins only); its hours come from the rule set."""

    title: Text200
    category: Category
    organizer: Text200
    location: Text200
    start_date: IsoDate
    end_date: IsoDate
    days: Days

    @model_validator(mode="after")
    def _period(self) -> TrainingCreate:
        _period_in_order(self.start_date, self.end_date)
        return self


_CLEARABLE = frozenset({"subject", "capacity", "participants", "budget", "actual_spend"})


class TrainingPatch(_In):
    """Changes to a training; a change of days re-credits confirmed attendees."""

    title: Text200 | None = None
    category: Category | None = None
    organizer: Text200 | None = None
    location: Text200 | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    days: Days | None = None
    type: TrainingType | None = None
    subject: Subject | None = None
    enrolment_open: StrictBool | None = None
    audience: Annotated[str, Field(max_length=500)] | None = None
    capacity: Capacity | None = None
    participants: Participants | None = None
    budget: Money | None = None
    actual_spend: Money | None = None
    purpose: Text | None = None
    content: Annotated[str, Field(max_length=10_000)] | None = None
    department: Annotated[str, Field(max_length=200)] | None = None
    contact: Annotated[str, Field(max_length=120)] | None = None
    email: Annotated[str, Field(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+$")] | None = None
    phone: Annotated[str, Field(max_length=60)] | None = None

    @model_validator(mode="after")
    def _nulls_only_where_clearable(self) -> TrainingPatch:
        refuse_nulls(
            self, frozenset({"subject", "capacity", "participants", "budget", "actual_spend"})
        )
        _period_in_order(self.start_date, self.end_date)
        return self


class Filing(BaseModel):
    """Whether the organiser filed the materials in time (notice, schedule, sign-in sheet)."""

    due: date | None
    filed: bool
    filed_at: datetime | None
    missing: list[str]
    overdue: bool


class TrainingOut(BaseModel):
    """A training project; budget and spend are shown to admins only."""

    id: int
    title: str
    category: str
    type: TrainingType
    organizer: str
    location: str
    start_date: date
    end_date: date
    days: float
    hours: float
    rule_set: str
    subject: Subject | None = None
    enrolment_open: bool
    status: Literal["open", "full", "closed"]
    enrolled: int
    capacity: int | None = None
    audience: str = ""
    participants: Participants | None = None
    budget: float | None = None
    actual_spend: float | None = None
    purpose: str = ""
    content: str = ""
    department: str = ""
    contact: str = ""
    email: str = ""
    phone: str = ""
    filing: Filing | None = None
    my_status: Literal["approved", "confirmed"] | None = None
    my_credited_hours: float | None = None


class TrainingList(RootModel[list[TrainingOut]]):
    """Training projects, newest first."""


class TrainingQuery(_Query):
    """Filters of the training list (seed 001): category, source, type, time, open."""

    category: Annotated[str, Field(max_length=80)] | None = None
    source: Literal["all", "own", "other"] = "all"
    type: TrainingType | None = None
    year: Annotated[int, Field(ge=1900, le=3000)] | None = None
    open: bool | None = None
    overdue: bool | None = None
    q: Annotated[str, Field(max_length=200)] | None = None


class EnrolOut(BaseModel):
    """The caller's place on a training."""

    training_id: int
    status: Literal["approved", "confirmed"]


class AttendanceIn(_In):
    """An admin confirms one person's attendance; re-posting updates it."""

    user_id: Id
    absent_fraction: Fraction = 0.0
    assessment: Assessment = "passed"


class AttendanceOut(BaseModel):
    """One person on a training and the hours their rule set credits."""

    training_id: int
    user_id: int
    username: str
    display_name: str = ""
    status: Literal["approved", "confirmed"]
    absent_fraction: float | None = None
    assessment: Assessment | None = None
    credited_hours: float
    credited_s: float
    confirmed_at: datetime | None = None


class AttendanceList(RootModel[list[AttendanceOut]]):
    """Everyone enrolled on or confirmed for a training."""


class AttendanceImportOut(BaseModel):
    """The result of a CSV import: every line was applied."""

    count: int
    items: list[AttendanceOut]


class MaterialOut(BaseModel):
    """A filed document of a training."""

    id: int
    training_id: int
    kind: MaterialKind
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


class MaterialList(RootModel[list[MaterialOut]]):
    """A training's filed documents."""


# --- self-reported records ------------------------------------------------------------------


class RecordCreate(_In):
    """A claim of external training, self-study or external online learning."""

    kind: RecordKind
    title: Text200
    start_date: IsoDate
    end_date: IsoDate
    hours: Hours
    location: Annotated[str, Field(max_length=200)] = ""
    content: Text = ""
    organizer: Annotated[str, Field(max_length=200)] = ""
    subject: Subject | None = None

    @model_validator(mode="after")
    def _plausible(self) -> RecordCreate:
        _period_in_order(self.start_date, self.end_date)
        days = (self.end_date - self.start_date).days + 1
        if self.hours > 24 * days:
            raise PydanticCustomError(
                "hours_above_period", "hours cannot exceed 24 per day of the period"
            )
        return self


class EvidenceOut(BaseModel):
    """A supporting document of a record."""

    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


class RecordOut(BaseModel):
    """A self-reported record, its review and its evidence."""

    id: int
    user_id: int
    username: str
    display_name: str = ""
    kind: RecordKind
    title: str
    organizer: str = ""
    location: str = ""
    content: str = ""
    subject: Subject | None = None
    start_date: date
    end_date: date
    hours: float
    status: RecordStatus
    approved_hours: float | None = None
    note: str = ""
    reviewer_id: int | None = None
    reviewed_at: datetime | None = None
    created_at: datetime
    evidence: list[EvidenceOut] = []


class RecordList(RootModel[list[RecordOut]]):
    """Records, newest first."""


class RecordQuery(_Query):
    """Filters of the record list; admins see everyone's records, others their own."""

    status: RecordStatus | None = None
    kind: RecordKind | None = None
    year: Annotated[int, Field(ge=1900, le=3000)] | None = None
    user_id: Annotated[int, Field(gt=0, lt=2**31)] | None = None


class ReviewIn(_In):
    """An admin's decision: approve (possibly fewer hours) or reject (with a reason)."""

    decision: Literal["approve", "reject"]
    hours: Hours | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class ReviewOut(BaseModel):
    """The record's state after the review."""

    id: int
    status: RecordStatus
    approved_hours: float | None
    note: str = ""
    reviewer_id: int | None = None
    reviewed_at: datetime | None = None


class PreviewQuery(_Query):
    """A claim to preview: `hours` of `kind` completed on `date` (default: today)."""

    kind: RecordKind
    hours: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
    on: IsoDate | None = Field(default=None, alias="date")


class CapOut(BaseModel):
    """A yearly cap and how much of it the year already uses (pending claims included)."""

    name: str
    kinds: list[str]
    hours: float
    used_hours: float
    remaining_hours: float


class PreviewOut(BaseModel):
    """Of `hours` claimed, `counted_hours` would still count in `year`."""

    kind: RecordKind
    archive_kind: str
    hours: float
    date: date
    year: int
    rule_set: str
    counted_hours: float
    not_counted_hours: float
    counted_s: float
    cap: CapOut | None = None

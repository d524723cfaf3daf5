"""Request and response bodies of training projects, enrolment, attendance and materials."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasPath, BaseModel, Field, RootModel, StrictBool, model_validator

from tracker.api.fields import (
    Capacity,
    Count,
    Days,
    Fraction,
    Id,
    In,
    IsoDate,
    Money,
    Out,
    Query,
    Subject,
    Text,
    Text200,
    check_period,
    refuse_nulls,
)
from tracker.wire import Hours, Seconds, from_ms

TrainingType = Literal["training", "lecture", "conference", "seminar", "other"]
Assessment = Literal["passed", "failed"]
MaterialKind = Literal[
    "notice", "schedule", "sign_in", "needs_analysis", "feedback", "summary", "courseware", "other"
]
Category = Annotated[str, Field(min_length=1, max_length=80)]
Audience = Annotated[str, Field(max_length=500)]
Content = Annotated[str, Field(max_length=10_000)]
Department = Annotated[str, Field(max_length=200)]
Contact = Annotated[str, Field(max_length=120)]
Email = Annotated[str, Field(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+$")]
Phone = Annotated[str, Field(max_length=60)]
# A change may clear these; the other fields of a training always have a value.
CLEARABLE = frozenset({"subject", "capacity", "participants", "budget", "actual_spend"})


class Participants(In):
    """Actual participants by category (filing form)."""

    management: Count | None = None
    support: Count | None = None
    staff: Count | None = None
    research: Count | None = None
    external: Count | None = None


class _TrainingFields(In):
    """The optional fields of the filing form (docs/learning.md)."""

    type: TrainingType = "training"
    subject: Subject | None = None
    enrolment_open: StrictBool = True
    audience: Audience = ""
    capacity: Capacity | None = None
    participants: Participants | None = None
    budget: Money | None = None
    actual_spend: Money | None = None
    purpose: Text = ""
    content: Content = ""
    department: Department = ""
    contact: Contact = ""
    email: Email = ""
    phone: Phone = ""


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
        check_period(self.start_date, self.end_date, self.days)
        return self


class TrainingPatch(In):
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
    audience: Audience | None = None
    capacity: Capacity | None = None
    participants: Participants | None = None
    budget: Money | None = None
    actual_spend: Money | None = None
    purpose: Text | None = None
    content: Content | None = None
    department: Department | None = None
    contact: Contact | None = None
    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _nulls_only_where_clearable(self) -> TrainingPatch:
        refuse_nulls(self, CLEARABLE)
        check_period(self.start_date, self.end_date, self.days)
        return self


class Filing(Out):
    """Whether the organiser filed the materials in time (notice, schedule, sign-in sheet)."""

    due: date | None
    filed: bool
    filed_at: datetime | None
    missing: list[str]
    overdue: bool


def _form(name: str) -> Any:
    return Field(validation_alias=AliasPath("form", name))


class TrainingOut(Out):
    """A training project; budget, spend and filing are shown to admins only."""

    id: int
    title: str
    category: str
    type: TrainingType
    organizer: str
    location: str
    start_date: date
    end_date: date
    days: float
    hours: Hours = from_ms("hours_ms")
    rule_set: str
    subject: Subject | None = None
    enrolment_open: bool
    status: Literal["open", "full", "closed"]
    enrolled: int
    capacity: int | None = None
    audience: str = _form("audience")
    participants: Participants | None = _form("participants")
    budget: float | None = _form("budget")
    actual_spend: float | None = _form("actual_spend")
    purpose: str = _form("purpose")
    content: str = _form("content")
    department: str = _form("department")
    contact: str = _form("contact")
    email: str = _form("email")
    phone: str = _form("phone")
    filing: Filing | None = None
    my_status: Literal["approved", "confirmed", "voided"] | None = None
    my_void_reason: str = ""
    my_credited_hours: Hours | None = from_ms("my_credited_ms", default=None)


class TrainingList(RootModel[list[TrainingOut]]):
    """Training projects, newest first."""


class TrainingQuery(Query):
    """Filters of the training list: category, source, type, year, open, overdue, text."""

    category: Annotated[str, Field(max_length=80)] | None = None
    source: Literal["all", "own", "other"] = "all"
    type: TrainingType | None = None
    year: Annotated[int, Field(ge=1900, le=3000)] | None = None
    open: bool | None = None
    overdue: bool | None = None
    q: Annotated[str, Field(max_length=200)] | None = None


class EnrolOut(Out):
    """The caller's place on a training."""

    training_id: int
    status: Literal["approved", "confirmed"]


class AttendanceIn(In):
    """An admin confirms one person's attendance; re-posting updates it."""

    user_id: Id
    absent_fraction: Fraction = 0.0
    assessment: Assessment = "passed"


class AttendanceOut(Out):
    """One person on a training and the hours their rule set credits."""

    training_id: int
    user_id: int
    username: str
    display_name: str = ""
    status: Literal["approved", "confirmed", "voided"]
    absent_fraction: float | None = None
    assessment: Assessment | None = None
    credited_hours: Hours = from_ms("credited_ms")
    credited_s: Seconds = from_ms("credited_ms")
    confirmed_at: datetime | None = None
    voided_at: datetime | None = None
    void_reason: str = ""


class VoidQuery(Query):
    """Why a confirmation is voided (optional; shown to the person)."""

    reason: Annotated[str, Field(max_length=2000)] = ""


class AttendanceList(RootModel[list[AttendanceOut]]):
    """Everyone enrolled on or confirmed for a training."""


class AttendanceImportOut(Out):
    """The result of a CSV import: every line was applied."""

    count: int
    items: list[AttendanceOut]


class MaterialForm(BaseModel):
    """The text field sent with a material's file."""

    kind: MaterialKind


class MaterialOut(Out):
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

"""The archive and unit reports as the API answers them and every export renders them.

Read from `services.archive.Archive` and `services.reports.UnitReport` by attribute;
durations in seconds.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from tracker.api.fields import IdParam, Kinds, Out, Year
from tracker.wire import Seconds, from_ms

Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
KindName = Literal["online", "external_online", "offline", "self_study"]


class ArchiveQuery(BaseModel):
    """A month range (default: this calendar year); admins may name a user."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Month | None = Field(default=None, alias="from")
    to: Month | None = None
    user_id: IdParam | None = None


class ArchiveUser(Out):
    """Whose archive it is."""

    id: int
    username: str
    display_name: str
    role: str
    unit: str | None


class KindFigures(Out):
    """Raw and effective time of one kind, and how many items it has."""

    raw_s: Seconds = from_ms("raw_ms")
    effective_s: Seconds = from_ms("effective_ms")
    count: int


class SubjectFigures(Out):
    """Effective time of one subject."""

    effective_s: Seconds = from_ms("effective_ms")


class ArchiveItemOut(Out):
    """One credited item: a courseware (per year), a training, an approved record, or time
    taken back (negative: set aside, or deducted after review; `category` says why)."""

    kind: KindName = Field(validation_alias=AliasPath("source", "kind"))
    source: Literal["courseware", "training", "record", "taken_back"] = Field(
        validation_alias=AliasPath("source", "source")
    )
    source_id: int = Field(validation_alias=AliasPath("source", "source_id"))
    title: str = Field(validation_alias=AliasPath("source", "title"))
    start_date: date
    end_date: date
    year: int
    raw_s: Seconds = from_ms("raw_ms")
    effective_s: Seconds = from_ms("effective_ms")
    subject: str | None = Field(validation_alias=AliasPath("source", "subject"))
    capped_by: str | None = Field(validation_alias="cap")
    category: str = Field(validation_alias=AliasPath("source", "category"))
    organizer: str = Field(validation_alias=AliasPath("source", "organizer"))
    location: str = Field(validation_alias=AliasPath("source", "location"))
    record_kind: str | None = Field(validation_alias=AliasPath("source", "record_kind"))
    awaiting_exam: bool = Field(
        description="Some of its time counts only once its exam is passed (rule set's exams)"
    )


class CapFigures(Out):
    """A yearly cap group: its cap, what its kinds recorded, what counted and what it cut."""

    name: str
    kinds: Kinds
    cap_s: Seconds = from_ms("cap_ms")
    raw_s: Seconds = from_ms("raw_ms")
    effective_s: Seconds = from_ms("effective_ms")
    cut_s: Seconds = from_ms("cut_ms")


class YearFigures(Out):
    """One calendar year of the range: its target, compliance and caps."""

    year: int
    target_s: Seconds = from_ms(AliasPath("compliance", "target_ms"))
    effective_s: Seconds = from_ms(AliasPath("compliance", "effective_ms"))
    remaining_s: Seconds = from_ms(AliasPath("compliance", "remaining_ms"))
    compliant: bool = Field(validation_alias=AliasPath("compliance", "compliant"))
    subject_shortfalls_s: dict[str, Seconds] = from_ms(AliasPath("compliance", "shortfalls"))
    caps: list[CapFigures] = Field(validation_alias=AliasPath("archive", "caps"))
    awaiting_exam_s: Seconds = from_ms(
        AliasPath("archive", "awaiting_exam_ms"),
        description="Recorded time of the year that counts only once its exam is passed",
    )


class CountFigures(Out):
    """How many items and their recorded time."""

    count: int
    raw_s: Seconds = from_ms("raw_ms")


class ExamTallyOut(Out):
    """Exams taken and passed: each exam once, dated by the hand-in that decided it."""

    taken: int
    passed: int
    pass_rate: float = Field(description="Exams passed per exam taken, in percent (0.0: none)")


class ExamResultOut(Out):
    """One exam a person took: the pass, or the latest hand-in if not passed."""

    exam_id: int
    title: str
    courseware_id: int | None
    subject: str | None
    day: date
    attempts: int
    passed: bool
    best_percent: float


class ArchiveCounts(Out):
    """Trainings by category, and items by kind, as the filing forms count them."""

    trainings: int
    trainings_by_category: dict[str, int]
    external_trainings: CountFigures
    self_study: CountFigures
    online_courses: CountFigures
    external_online: CountFigures
    exams: ExamTallyOut


class ArchiveOut(Out):
    """An employee's recorded time over a month range, raw and effective."""

    user: ArchiveUser
    rule_set: str = Field(validation_alias=AliasPath("rule_set", "id"))
    from_: str = Field(alias="from", validation_alias="first_month")
    to: str = Field(validation_alias="last_month")
    target_s: Seconds = from_ms(AliasPath("compliance", "target_ms"))
    total_s: Seconds = from_ms("total_ms")
    effective_s: Seconds = from_ms(AliasPath("compliance", "effective_ms"))
    remaining_s: Seconds = from_ms(AliasPath("compliance", "remaining_ms"))
    by_kind: dict[KindName, KindFigures]
    by_subject: dict[str, SubjectFigures]
    compliant: bool = Field(validation_alias=AliasPath("compliance", "compliant"))
    subject_shortfalls_s: dict[str, Seconds] = from_ms(AliasPath("compliance", "shortfalls"))
    items: list[ArchiveItemOut]
    years: list[YearFigures]
    counts: ArchiveCounts
    exams: list[ExamResultOut]


class ReportQuery(BaseModel):
    """Which year of a unit's report, and its order."""

    model_config = ConfigDict(extra="forbid")

    year: Year | None = None
    sort: Literal["name", "unit", "total", "effective", "remaining", "compliant"] = "name"
    order: Literal["asc", "desc"] = "asc"


class MemberFigures(Out):
    """One member's year under their own rule set."""

    user_id: int
    username: str
    display_name: str
    unit: str
    role: str
    rule_set: str
    total_s: Seconds = from_ms("total_ms")
    effective_s: Seconds = from_ms(AliasPath("compliance", "effective_ms"))
    target_s: Seconds = from_ms(AliasPath("compliance", "target_ms"))
    remaining_s: Seconds = from_ms(AliasPath("compliance", "remaining_ms"))
    compliant: bool = Field(validation_alias=AliasPath("compliance", "compliant"))
    subject_shortfalls_s: dict[str, Seconds] = from_ms(AliasPath("compliance", "shortfalls"))
    exams: ExamTallyOut


class TrainingRatingOut(Out):
    """A training of the year that members attended, and how those members rated it (1–5)."""

    training_id: int
    title: str
    end_date: date
    attendees: int
    average_rating: float | None = Field(validation_alias=AliasPath("rating", "average"))
    ratings: int = Field(validation_alias=AliasPath("rating", "count"))


class MonthFigures(Out):
    """Where the unit stood at the end of one month."""

    month: int
    average_effective_s: Seconds = from_ms("average_effective_ms")
    reached_target: int


class UnitReportOut(Out):
    """A unit's year: every member's figures and the unit's progress month by month."""

    unit_id: int
    unit: str
    year: int
    members: int
    compliant: int = Field(validation_alias="compliant_count")
    rows: list[MemberFigures]
    months: list[MonthFigures]
    exams: ExamTallyOut
    trainings: list[TrainingRatingOut]

"""Bodies of the archive and report endpoints (durations in seconds)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
KindName = Literal["online", "external_online", "offline", "self_study"]


class ArchiveQuery(BaseModel):
    """A month range (default: this calendar year); admins may name a user."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Month | None = Field(default=None, alias="from")
    to: Month | None = None
    user_id: int | None = None


class ArchiveUser(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit: str | None


class KindFigures(BaseModel):
    raw_s: float
    effective_s: float
    count: int


class SubjectFigures(BaseModel):
    effective_s: float


class ArchiveItemOut(BaseModel):
    """One credited item: a courseware (per year), a training, or an approved record."""

    kind: KindName
    source: Literal["courseware", "training", "record"]
    source_id: int
    title: str
    start_date: str
    end_date: str
    year: int
    raw_s: float
    effective_s: float
    subject: str | None
    capped_by: str | None
    category: str
    organizer: str
    location: str
    record_kind: str | None


class CapFigures(BaseModel):
    name: str
    kinds: list[str]
    cap_s: float
    raw_s: float
    effective_s: float
    cut_s: float


class YearFigures(BaseModel):
    year: int
    target_s: float
    effective_s: float
    remaining_s: float
    compliant: bool
    subject_shortfalls_s: dict[str, float]
    caps: list[CapFigures]


class CountFigures(BaseModel):
    count: int
    raw_s: float


class ArchiveCounts(BaseModel):
    trainings: int
    trainings_by_category: dict[str, int]
    external_trainings: CountFigures
    self_study: CountFigures
    online_courses: CountFigures
    external_online: CountFigures


class ArchiveOut(BaseModel):
    """An employee's recorded time over a month range, raw and effective."""

    model_config = ConfigDict(populate_by_name=True)

    user: ArchiveUser
    rule_set: str
    from_: str = Field(alias="from")
    to: str
    target_s: float
    total_s: float
    effective_s: float
    remaining_s: float
    by_kind: dict[KindName, KindFigures]
    by_subject: dict[str, SubjectFigures]
    compliant: bool
    items: list[ArchiveItemOut]
    years: list[YearFigures]
    counts: ArchiveCounts


class ReportQuery(BaseModel):
    """Which year of a unit's report, and its order."""

    model_config = ConfigDict(extra="forbid")

    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    sort: Literal["name", "unit", "total", "effective", "remaining", "compliant"] = "name"
    order: Literal["asc", "desc"] = "asc"


class MemberFigures(BaseModel):
    user_id: int
    username: str
    display_name: str
    unit: str
    role: str
    rule_set: str
    total_s: float
    effective_s: float
    target_s: float
    remaining_s: float
    compliant: bool
    subject_shortfalls_s: dict[str, float]


class MonthFigures(BaseModel):
    month: int
    average_effective_s: float
    reached_target: int


class UnitReportOut(BaseModel):
    """A unit's year: every member's figures and the unit's progress month by month."""

    unit_id: int
    unit: str
    year: int
    members: int
    compliant: int
    rows: list[MemberFigures]
    months: list[MonthFigures]

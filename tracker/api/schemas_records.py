"""Request and response bodies of self-reported records, their review and the claim preview."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AliasPath, Field, RootModel, model_validator

from tracker.api.fields import (
    Days,
    Fraction,
    HoursIn,
    IdParam,
    In,
    IsoDate,
    Kinds,
    Out,
    Query,
    Subject,
    Text,
    Text200,
    check_period,
    refuse_nulls,
)
from tracker.api.schemas_trainings import Assessment
from tracker.wire import Hours, Seconds, from_ms

RecordKind = Literal["external_training", "self_study", "external_online"]
RecordStatus = Literal["pending", "approved", "rejected", "withdrawn", "revoked"]
Place = Annotated[str, Field(max_length=200)]


class RecordCreate(In):
    """A claim of external training, self-study or external online learning.

    An external training may give its `days` (half days allowed; default: the period's calendar
    days), `absent_fraction` and `assessment`: its hours are at most days × the rule set's hours
    per day, and absence or a failed assessment void it as they void attendance.
    """

    kind: RecordKind
    title: Text200
    start_date: IsoDate
    end_date: IsoDate
    hours: HoursIn
    location: Place = ""
    content: Text = ""
    organizer: Place = ""
    subject: Subject | None = None
    days: Days | None = None
    absent_fraction: Fraction | None = None
    assessment: Assessment | None = None

    @model_validator(mode="after")
    def _in_order(self) -> RecordCreate:
        check_period(self.start_date, self.end_date, self.days)
        return self


class RecordPatch(In):
    """Changes to one's own pending or rejected claim: any field of a new one."""

    kind: RecordKind | None = None
    title: Text200 | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    hours: HoursIn | None = None
    location: Place | None = None
    content: Text | None = None
    organizer: Place | None = None
    subject: Subject | None = None
    days: Days | None = None
    absent_fraction: Fraction | None = None
    assessment: Assessment | None = None

    @model_validator(mode="after")
    def _nulls_only_where_clearable(self) -> RecordPatch:
        refuse_nulls(self, frozenset({"subject", "days", "absent_fraction", "assessment"}))
        check_period(self.start_date, self.end_date, self.days)
        return self


class RevokeIn(In):
    """Why an approved claim is revoked (shown to its owner)."""

    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class StatusOut(Out):
    """A record's status after a correction."""

    id: int
    status: RecordStatus
    note: str = ""


class EvidenceOut(Out):
    """A supporting document of a record."""

    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


class RecordOut(Out):
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
    hours: Hours = from_ms("claimed_ms")
    status: RecordStatus
    approved_hours: Hours | None = from_ms("approved_ms", default=None)
    note: str = ""
    reviewer_id: int | None = None
    reviewed_at: datetime | None = None
    created_at: datetime
    evidence: list[EvidenceOut] = Field(default_factory=list)
    days: float | None = None
    absent_fraction: float | None = None
    assessment: Assessment | None = None


class RecordList(RootModel[list[RecordOut]]):
    """Records, newest first."""


class RecordQuery(Query):
    """Filters of the record list; admins see everyone's records, others their own."""

    status: RecordStatus | None = None
    kind: RecordKind | None = None
    year: Annotated[int, Field(ge=1900, le=3000)] | None = None
    user_id: IdParam | None = None


class ReviewIn(In):
    """An admin's decision: approve (possibly fewer hours) or reject (with a reason)."""

    decision: Literal["approve", "reject"]
    hours: HoursIn | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class ReviewOut(Out):
    """The record's state after the review."""

    id: int
    status: RecordStatus
    approved_hours: Hours | None = from_ms("approved_ms")
    note: str = ""
    reviewer_id: int | None = None
    reviewed_at: datetime | None = None


class PreviewQuery(Query):
    """A claim to preview: `hours` of `kind` completed on `date` (default: today)."""

    kind: RecordKind
    hours: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
    on: IsoDate | None = Field(default=None, alias="date")


class CapOut(Out):
    """A yearly cap and how much of it the year already uses (pending claims included)."""

    name: str
    kinds: Kinds
    hours: Hours = from_ms("cap_ms")
    used_hours: Hours = from_ms("raw_ms")
    remaining_hours: Hours = from_ms("room_ms")


def _claim(*path: str) -> AliasPath:
    return AliasPath("claim", *path)


class PreviewOut(Out):
    """Of `hours` claimed, `counted_hours` would still count in `year`."""

    kind: RecordKind = Field(validation_alias="record_kind")
    archive_kind: str = Field(validation_alias=_claim("kind"))
    hours: Hours = from_ms(_claim("raw_ms"))
    on: date = Field(alias="date", validation_alias=_claim("day"))
    year: int = Field(validation_alias=_claim("day", "year"))
    rule_set: str = Field(validation_alias=_claim("rule_set_id"))
    counted_hours: Hours = from_ms(_claim("counted_ms"))
    not_counted_hours: Hours = from_ms(_claim("not_counted_ms"))
    counted_s: Seconds = from_ms(_claim("counted_ms"))
    cap: CapOut | None = Field(default=None, validation_alias=_claim("cap"))

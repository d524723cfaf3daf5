"""Request and response bodies of certificates and evaluations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel, Strict

from tracker.api.fields import Id, IdParam, In, Query, Subject

Year = Annotated[int, Strict(), Field(ge=2000, le=2100)]


# --- certificates ---------------------------------------------------------------------------


class CertificateOut(BaseModel):
    """A certificate (its holder sees their own; admins any)."""

    id: int
    number: str
    kind: Literal["exam", "year"]
    user_id: int
    holder: str
    title: str
    subject: Subject | None
    hours: float
    score: float | None
    year: int | None
    exam_id: int | None
    issued_on: date
    revoked: bool
    revoked_at: datetime | None
    revoke_reason: str | None = None


class CertificateList(RootModel[list[CertificateOut]]):
    """Certificates, newest first."""


class CertificateQuery(Query):
    """Whose certificates (admins may name anyone; others see their own)."""

    user_id: IdParam | None = None
    kind: Literal["exam", "year"] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class YearlyIn(In):
    """Issue the year's certificate to everyone in a unit (and below) who met the target."""

    unit_id: Id
    year: Year


class YearlyOut(BaseModel):
    """What a yearly issue did."""

    issued: list[CertificateOut]
    already_held: int
    not_met: int


class RevokeIn(In):
    """Why a certificate is revoked (kept in the audit log)."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]


class VerifyQuery(Query):
    """The certificate number as printed."""

    number: Annotated[str, Field(min_length=1, max_length=64)]


class VerificationOut(BaseModel):
    """Whether a certificate is genuine and what it certifies; nothing else about the holder."""

    number: str
    genuine: bool
    valid: bool
    kind: Literal["exam", "year"] | None = None
    holder: str | None = None
    title: str | None = None
    subject: Subject | None = None
    hours: float | None = None
    score: float | None = None
    year: int | None = None
    issued_on: date | None = None
    revoked_on: date | None = None


# --- evaluations ----------------------------------------------------------------------------


class EvaluationIn(In):
    """A rating from 1 to 5 and an optional comment."""

    rating: Annotated[int, Strict(), Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=2000)] = ""


class EvaluationOut(BaseModel):
    """One person's evaluation."""

    id: int
    target: Literal["courseware", "training"]
    target_id: int
    rating: int
    comment: str
    created_at: datetime
    updated_at: datetime


class RatingOut(BaseModel):
    """What people thought of one item or training, and the caller's own evaluation."""

    target: Literal["courseware", "training"]
    target_id: int
    average: float | None
    count: int
    mine: EvaluationOut | None
    can_evaluate: bool


class EvaluationRowOut(EvaluationOut):
    """An evaluation with who wrote it and on what (admins)."""

    user_id: int
    username: str
    display_name: str
    target_title: str


class EvaluationPage(BaseModel):
    """One page of evaluations, newest first, and how many match."""

    items: list[EvaluationRowOut]
    total: int


class EvaluationQuery(Query):
    """Which evaluations (admins)."""

    target: Literal["courseware", "training"] | None = None
    target_id: IdParam | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class ExportQuery(Query):
    """Which evaluations to export, and as what."""

    target: Literal["courseware", "training"] | None = None
    target_id: IdParam | None = None
    format: Literal["csv", "xlsx"] = "csv"

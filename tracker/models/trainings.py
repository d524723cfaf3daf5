"""Training projects run inside the organisation: the filing form, materials, participants."""

# Durations are integer milliseconds (`*_ms`), like the ledger; `days` is a count of training
# days in half-day steps; money is a decimal amount.

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow


class Training(Base):
    """A training project with every field of the filing form of the 2016 registration rules."""

    __tablename__ = "trainings"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="period"),
        CheckConstraint("days > 0", name="days_positive"),
        Index("ix_trainings_period", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80), index=True)
    training_type: Mapped[str] = mapped_column(String(16), default="training")
    organizer: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    location: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    days: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    hours_ms: Mapped[int] = mapped_column(BigInteger)
    rule_set_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(16))
    enrolment_open: Mapped[bool] = mapped_column(Boolean, default=True)
    audience: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    participants_management: Mapped[int | None] = mapped_column(Integer)
    participants_support: Mapped[int | None] = mapped_column(Integer)
    participants_staff: Mapped[int | None] = mapped_column(Integer)
    participants_research: Mapped[int | None] = mapped_column(Integer)
    participants_external: Mapped[int | None] = mapped_column(Integer)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    actual_spend: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    purpose: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    # When the last of the required filing materials arrived (None: not filed yet).
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TrainingMaterial(Base):
    """A filed document of a training (notice, schedule, sign-in sheet, ...)."""

    __tablename__ = "training_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, shown only
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)  # generated path
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingParticipant(Base):
    """One person on a training: enrolled by themselves, then confirmed by an admin."""

    __tablename__ = "training_participants"
    __table_args__ = (
        CheckConstraint("status in ('approved', 'confirmed', 'voided')", name="status"),
        CheckConstraint(
            "absent_fraction is null or (absent_fraction >= 0 and absent_fraction <= 1)",
            name="absent_fraction",
        ),
        Index("ix_training_participants_user", "user_id", "status"),
    )

    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    absent_fraction: Mapped[float | None] = mapped_column(Float)
    assessment: Mapped[str | None] = mapped_column(String(16))
    credited_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A voided confirmation: who voided it, when and why (shown to the person).
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

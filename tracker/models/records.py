"""Self-reported learning (external training, self-study, external online) and its evidence."""

# Hours are integer milliseconds: `claimed_ms` as filed, `approved_ms` as the reviewer set it.

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow

RECORD_KINDS = ("external_training", "self_study", "external_online")
RECORD_STATUSES = ("pending", "approved", "rejected", "withdrawn", "revoked")


class LearningRecord(Base):
    """A claim of learning hours filed by an employee and reviewed by an admin."""

    __tablename__ = "learning_records"
    __table_args__ = (
        CheckConstraint(
            "kind in ('external_training', 'self_study', 'external_online')", name="kind"
        ),
        CheckConstraint(
            "status in ('pending', 'approved', 'rejected', 'withdrawn', 'revoked')", name="status"
        ),
        CheckConstraint(
            "absent_fraction is null or (absent_fraction >= 0 and absent_fraction <= 1)",
            name="absent_fraction",
        ),
        CheckConstraint("end_date >= start_date", name="period"),
        CheckConstraint("claimed_ms > 0", name="claimed_positive"),
        CheckConstraint(
            "approved_ms is null or (approved_ms > 0 and approved_ms <= claimed_ms)",
            name="approved_within_claim",
        ),
        Index("ix_learning_records_user_status", "user_id", "status"),
        Index("ix_learning_records_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    organizer: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str | None] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    claimed_ms: Mapped[int] = mapped_column(BigInteger)
    # An external training's days (half days allowed), absence and assessment, as attendance.
    days: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    absent_fraction: Mapped[float | None] = mapped_column(Float)
    assessment: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    approved_ms: Mapped[int | None] = mapped_column(BigInteger)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")  # the last decision's reason
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordEvidence(Base):
    """A supporting document uploaded with a record (certificate, notes, screenshot, ...)."""

    __tablename__ = "record_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("learning_records.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, shown only
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)  # generated path
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

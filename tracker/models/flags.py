"""Flags for review and the time taken back from the archive (set aside or deducted)."""

# Durations are integer milliseconds. A flag's `evidence` is the finding's evidence as
# `core.heuristics` made it (sessions, times, figures), kept as it was when it was found.

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow

FLAG_STATUSES = ("open", "dismissed", "deducted")


class Flag(Base):
    """A heuristic's finding about one person, waiting for or decided by a reviewer."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("user_id", "rule", "key"),
        CheckConstraint("status in ('open', 'dismissed', 'deducted')", name="status"),
        CheckConstraint("deducted_ms is null or deducted_ms > 0", name="deducted_positive"),
        Index("ix_flags_status_year", "status", "year"),
        Index("ix_flags_user_year", "user_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rule: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))  # which finding of the rule (a day, a session)
    year: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    figure_ms: Mapped[int] = mapped_column(BigInteger)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    deducted_ms: Mapped[int | None] = mapped_column(BigInteger)


class TakenBack(Base):
    """Time the archive does not count: set aside (the same hour from two sources, a day
    above the ceiling) or deducted by a reviewer for a flag. Counted as a negative entry."""

    __tablename__ = "taken_back"
    __table_args__ = (
        CheckConstraint("ms > 0", name="ms_positive"),
        Index("ix_taken_back_year_user", "year", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    year: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # the day its entry is dated by in the archive
    on_day: Mapped[date] = mapped_column(Date)  # the day the time was claimed twice
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(16))
    ms: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))  # a core.overlaps reason, or "deduction"
    source: Mapped[str] = mapped_column(String(64))  # e.g. "session:ab12…", "record:7"
    against: Mapped[str] = mapped_column(String(500), default="")
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Courseware items that the player shows and credits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow


class Courseware(Base):
    """A video or document with the hour limit its admin set."""

    __tablename__ = "courseware"
    __table_args__ = (
        CheckConstraint("kind in ('video', 'document')", name="kind"),
        CheckConstraint("hours_limit > 0", name="hours_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    hours_limit: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    subject: Mapped[str | None] = mapped_column(String(16))
    source_url: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

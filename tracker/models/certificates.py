"""Certificates: of a passed exam, or of a year's completed continuing education."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime


class Certificate(Base):
    """What was certified, as it was at issue (names and titles are copied, not joined)."""

    __tablename__ = "certificates"
    __table_args__ = (CheckConstraint("kind in ('exam', 'year')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("exam_attempts.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(16))
    hours_ms: Mapped[int] = mapped_column(BigInteger)
    score_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "exam:<exam>:<user>" or "year:<year>:<user>" while valid, None once revoked: at most one
    # valid certificate of each, even when two admins issue at once.
    valid_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

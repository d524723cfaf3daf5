"""In-app notices: what happened that concerns a user, stored as a kind and its parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow


class Notice(Base):
    """One notice to one user; its words are rendered when it is read, in the reader's language."""

    __tablename__ = "notices"
    __table_args__ = (
        # A notice sent "once" (a monthly reminder, an overdue filing) has a key; NULLs differ.
        UniqueConstraint("user_id", "once_key"),
        Index("ix_notices_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    once_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

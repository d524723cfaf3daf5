"""Evaluations: a learner's rating (1–5) and comment on a courseware item or a training."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow


class Evaluation(Base):
    """One person's evaluation of one thing they took (editable, never a second one)."""

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint("rating >= 1 and rating <= 5", name="rating"),
        CheckConstraint("(courseware_id is null) <> (training_id is null)", name="one_target"),
        UniqueConstraint("user_id", "courseware_id", name="uq_evaluations_courseware"),
        UniqueConstraint("user_id", "training_id", name="uq_evaluations_training"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    courseware_id: Mapped[int | None] = mapped_column(ForeignKey("courseware.id"), index=True)
    training_id: Mapped[int | None] = mapped_column(ForeignKey("trainings.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

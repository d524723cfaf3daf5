"""Exams: their settings, question bank and choices, and the learners' attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime, utcnow


class Exam(Base):
    """An exam attached to a courseware item, or stand-alone for a subject."""

    __tablename__ = "exams"
    __table_args__ = (
        CheckConstraint("pass_mark >= 1 and pass_mark <= 100", name="pass_mark"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
        CheckConstraint("time_limit_s is null or time_limit_s > 0", name="time_limit"),
        CheckConstraint("question_count is null or question_count > 0", name="question_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # One exam per item at most; None: a stand-alone exam.
    courseware_id: Mapped[int | None] = mapped_column(ForeignKey("courseware.id"), unique=True)
    subject: Mapped[str | None] = mapped_column(String(16))
    # What a stand-alone exam's certificate certifies (an item's exam: the item's hours).
    hours_ms: Mapped[int | None] = mapped_column(BigInteger)
    pass_mark: Mapped[int] = mapped_column(Integer)  # percent
    time_limit_s: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    question_count: Mapped[int | None] = mapped_column(Integer)  # drawn per attempt; None: all
    requires_completion: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ExamQuestion(Base):
    """A question of an exam's bank."""

    __tablename__ = "exam_questions"
    __table_args__ = (
        CheckConstraint("kind in ('single', 'multiple', 'true_false')", name="kind"),
        CheckConstraint("points >= 1", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer, default=1)


class ExamChoice(Base):
    """A choice of a question; `correct` is the key and never leaves the server for learners."""

    __tablename__ = "exam_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("exam_questions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    correct: Mapped[bool] = mapped_column(Boolean, default=False)


class ExamAttempt(Base):
    """One learner's try at an exam: the paper drawn for it, the answers, the outcome."""

    __tablename__ = "exam_attempts"
    __table_args__ = (
        # Two starts racing for the same try: one of them fails on this.
        UniqueConstraint("exam_id", "user_id", "number", name="uq_exam_attempts_try"),
        CheckConstraint("status in ('open', 'submitted', 'expired')", name="status"),
        Index("ix_exam_attempts_user", "user_id", "exam_id"),
        Index("ix_exam_attempts_open", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paper: Mapped[list[Any]] = mapped_column(JSON)  # [[question id, choice id, ...], ...]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"qid": [cid, ...]}
    wrong: Mapped[list[Any] | None] = mapped_column(JSON)  # question ids, once scored
    earned: Mapped[int | None] = mapped_column(Integer)
    possible: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)

"""Units (the organisation tree) and users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, UTCDateTime, utcnow

ROLES = ("admin", "leader", "learner")


class Unit(Base):
    """A branch, institute or department; units may carry their own rule set."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    rule_set_id: Mapped[str | None] = mapped_column(String(64))

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class User(Base):
    """An employee (learner or leader) or an administrator."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role in ('admin', 'leader', 'learner')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # The username as it is unique and looked up (`services.accounts.username_key`).
    username_key: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16), default="learner")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to revoke every token and cookie session issued before.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str | None] = mapped_column(String(16))  # preferred over the browser's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship()


class SignIn(Base):
    """One login of a browser: its cookie session and "remember me" cookie name this row, and
    stop working once it is gone (logout, or any change of the user's password or account)."""

    __tablename__ = "sign_ins"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

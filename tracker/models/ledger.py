"""The ledger of live learning: sessions, their credit per year, and running totals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, UTCDateTime


class WatchSession(Base):
    """One opened courseware, from `open` to its end; its clock lives here between beats."""

    __tablename__ = "watch_sessions"
    __table_args__ = (Index("ix_watch_sessions_open", "user_id", "ended_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    courseware_id: Mapped[int] = mapped_column(ForeignKey("courseware.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=-1)
    last_position: Mapped[float | None] = mapped_column(Float)
    was_live: Mapped[bool] = mapped_column(Boolean, default=False)
    socket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    live_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    raw_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    effective_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    # The heartbeat interval the player was last asked to keep (longer while the server is
    # busy): the session lapses after two of them. Null on sessions from before it was kept.
    interval_ms: Mapped[int | None] = mapped_column(Integer)
    # Where it was watched from (the socket's client address, the player's device id) and the
    # rhythm of its heartbeats, kept cheaply for the heuristics (core.heuristics.Rhythm).
    # Null on sessions from before they were kept.
    client_address: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(64))
    beats: Mapped[int | None] = mapped_column(Integer)
    gap_sum_ms: Mapped[int | None] = mapped_column(BigInteger)
    gap_square_sum: Mapped[int | None] = mapped_column(BigInteger)
    streak_ms: Mapped[int | None] = mapped_column(BigInteger)
    longest_live_ms: Mapped[int | None] = mapped_column(BigInteger)
    breaks: Mapped[int | None] = mapped_column(Integer)


class SessionCredit(Base):
    """The part of a session's credit that fell into one calendar year: the ledger entry."""

    __tablename__ = "session_credits"
    # Year first: a unit report reads one year of everybody; one person's years are a few
    # probes of the same index.
    __table_args__ = (Index("ix_session_credits_year_user", "year", "user_id"),)

    session_id: Mapped[str] = mapped_column(ForeignKey("watch_sessions.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    courseware_id: Mapped[int] = mapped_column(ForeignKey("courseware.id"))
    # The local day the session began counting in this year (its opening day, or 1 January
    # for a session that ran into the year): the day the archive dates its time by.
    day: Mapped[date] = mapped_column(Date)
    raw_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    effective_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class ItemProgress(Base):
    """Running total of what a user has been credited on one item (checked against its cap)."""

    __tablename__ = "item_progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    courseware_id: Mapped[int] = mapped_column(ForeignKey("courseware.id"), primary_key=True)
    credited_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class OnlineYearTotal(Base):
    """Running total of a user's live online time in one year (checked against the year cap)."""

    __tablename__ = "online_year_totals"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    effective_ms: Mapped[int] = mapped_column(BigInteger, default=0)

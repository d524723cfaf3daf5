"""Live crediting of player sessions: open, heartbeat, close, detach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import uuid4

from flask import current_app
from sqlalchemy import select, update

from tracker.auth import Principal
from tracker.core.calendar import credit_day, year_of
from tracker.core.crediting import (
    NO_CREDIT,
    Beat,
    HeartbeatOutcome,
    SessionClock,
    Standing,
    Status,
    evaluate_heartbeat,
    is_lapsed,
    open_clock,
    restart_interval,
    status_of,
)
from tracker.core.rules import RuleSet, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.live.fanout import announce_superseded
from tracker.live.store import LiveSessionStore, Presence
from tracker.models import (
    Courseware,
    ItemProgress,
    OnlineYearTotal,
    SessionCredit,
    User,
    WatchSession,
)
from tracker.services import transaction
from tracker.services.rules import rule_set_for

_Row = TypeVar("_Row")

ENDED_ERRORS = {
    "superseded": "session_superseded",
    "closed": "session_closed",
    "expired": "session_expired",
    "disabled": "account_disabled",
}


@dataclass(frozen=True)
class BeatIn:
    """A heartbeat as the client sent it (already validated)."""

    session_id: str
    seq: int
    state: str
    visible: bool
    position: float
    rate: float = 1.0

    def stamped(self, now: datetime) -> Beat:
        """The core's view of this heartbeat, received at `now` by the server's clock."""
        return Beat(now, self.seq, self.state, self.visible, self.position, self.rate)


@dataclass(frozen=True)
class LiveView:
    """The totals a player shows: this item against its cap, this year against the cap."""

    courseware_id: int
    item_credited_ms: int
    item_cap_ms: int
    year: int
    year_effective_ms: int
    year_raw_ms: int
    year_cap_ms: int | None


@dataclass(frozen=True)
class OpenResult:
    """A freshly opened session."""

    session_id: str
    heartbeat_interval_s: float
    status: Status
    view: LiveView
    superseded: tuple[str, ...]


@dataclass(frozen=True)
class BeatResult:
    """What a heartbeat or close did."""

    session_id: str
    status: Status
    accepted: bool
    delta_ms: int
    raw_delta_ms: int
    view: LiveView


def _interval_ms() -> int:
    return round(float(current_app.config["HEARTBEAT_INTERVAL_S"]) * 1000)


def _store() -> LiveSessionStore:
    return current_app.extensions["tracker.live_store"]


def _now() -> datetime:
    # The clock is an app extension so that tests can drive time without sleeping.
    return current_app.extensions["tracker.clock"]()


def _tz():
    return current_app.extensions["tracker.timezone"]


def _lock_user(user_id: int) -> User:
    # Every crediting transaction of one user starts by locking that user's row, so opens,
    # heartbeats and closes of one user never interleave (SQLite serialises all writers).
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None or not user.active:
        fail("account_disabled")
    return user


def _year_cap_ms(rule_set: RuleSet) -> int | None:
    group = rule_set.cap_group("online")
    return group.cap_ms if group else None


class _Ledger:
    """The rows one crediting transaction reads and books into."""

    def __init__(self, user: User, item: Courseware, years: set[int]) -> None:
        self.user, self.item = user, item
        self.rule_set = rule_set_for(user)
        self.progress = db.session.get(ItemProgress, (user.id, item.id)) or self._add(
            ItemProgress(user_id=user.id, courseware_id=item.id, credited_ms=0)
        )
        self.totals = {
            year: db.session.get(OnlineYearTotal, (user.id, year))
            or self._add(OnlineYearTotal(user_id=user.id, year=year, raw_ms=0, effective_ms=0))
            for year in years
        }

    @staticmethod
    def _add(row: _Row) -> _Row:
        db.session.add(row)
        return row

    def standing(self) -> Standing:
        return Standing(
            item_credited_ms=self.progress.credited_ms,
            item_cap_ms=hours_to_ms(float(self.item.hours_limit)),
            year_effective_ms={y: t.effective_ms for y, t in self.totals.items()},
            year_cap_ms=_year_cap_ms(self.rule_set),
        )

    def book(self, session: WatchSession, outcome: HeartbeatOutcome) -> None:
        credit = outcome.credit
        _set_clock(session, outcome.clock)
        session.live_ms += credit.live_ms
        session.raw_ms += credit.raw_ms
        session.effective_ms += credit.effective_ms
        self.progress.credited_ms += credit.raw_ms
        for part in credit.parts:
            total = self.totals[part.year]
            total.raw_ms += part.raw_ms
            total.effective_ms += part.effective_ms
            entry = db.session.get(SessionCredit, (session.id, part.year))
            if entry is None:
                entry = SessionCredit(
                    session_id=session.id,
                    year=part.year,
                    user_id=session.user_id,
                    courseware_id=session.courseware_id,
                    day=credit_day(session.opened_at, part.year, _tz()),
                    raw_ms=0,
                    effective_ms=0,
                )
                db.session.add(entry)
            entry.raw_ms += part.raw_ms
            entry.effective_ms += part.effective_ms

    def view(self, standing: Standing, now: datetime) -> LiveView:
        year = year_of(now, _tz())
        total = self.totals.get(year)
        return LiveView(
            courseware_id=self.item.id,
            item_credited_ms=standing.item_credited_ms,
            item_cap_ms=standing.item_cap_ms,
            year=year,
            year_effective_ms=standing.year_effective(year),
            year_raw_ms=total.raw_ms if total else 0,
            year_cap_ms=standing.year_cap_ms,
        )


def _clock(session: WatchSession, kind: str) -> SessionClock:
    return SessionClock(
        kind=kind,
        last_at=session.last_beat_at,
        last_seq=session.last_seq,
        last_position=session.last_position,
        was_live=session.was_live,
    )


def _set_clock(session: WatchSession, clock: SessionClock) -> None:
    session.last_beat_at = clock.last_at
    session.last_seq = clock.last_seq
    session.last_position = clock.last_position
    session.was_live = clock.was_live


def _end(session: WatchSession, now: datetime, reason: str) -> None:
    session.ended_at = now
    session.end_reason = reason
    session.was_live = False


def end_user_sessions(user_id: int, reason: str) -> list[str]:
    """End every open session of a user now (in the caller's transaction); their ids."""
    sessions = db.session.scalars(
        select(WatchSession).where(WatchSession.user_id == user_id, WatchSession.ended_at.is_(None))
    ).all()
    for session in sessions:
        _end(session, _now(), reason)
    _store().drop(*(s.id for s in sessions))
    return [session.id for session in sessions]


def _presence(session_id: str, user_id: int, courseware_id: int, status: Status) -> None:
    presence = Presence(session_id, user_id, courseware_id, str(status), _now().timestamp())
    _store().touch(presence, ttl_s=2 * _interval_ms() / 1000 + 1)


def open_session(principal: Principal, courseware_id: int, socket_id: str | None) -> OpenResult:
    """Open a courseware, ending every other open session of the user at this instant."""
    now = _now()
    interval = _interval_ms()
    with transaction():
        user = _lock_user(principal.id)
        item = db.session.get(Courseware, courseware_id)
        if item is None or not (item.published or user.role == "admin"):
            fail("courseware_not_found")
        superseded = []
        for other in db.session.scalars(
            select(WatchSession).where(
                WatchSession.user_id == user.id, WatchSession.ended_at.is_(None)
            )
        ):
            lapsed = is_lapsed(_clock(other, item.kind), now, interval)
            _end(other, now, "expired" if lapsed else "superseded")
            if not lapsed:
                superseded.append(other.id)
        clock = open_clock(item.kind, now)
        session_id = uuid4().hex
        session = WatchSession(
            id=session_id,
            user_id=user.id,
            courseware_id=item.id,
            opened_at=now,
            last_beat_at=clock.last_at,
            last_seq=clock.last_seq,
            was_live=False,
            socket_id=socket_id,
            live_ms=0,
            raw_ms=0,
            effective_ms=0,
        )
        db.session.add(session)
        ledger = _Ledger(user, item, {year_of(now, _tz())})
        standing = ledger.standing()
        view = ledger.view(standing, now)
        status = status_of(False, standing, view.year)
    # After the commit, only plain values: touching ORM objects now would reload them.
    announce_superseded(superseded, courseware_id)
    _store().drop(*superseded)
    _presence(session_id, principal.id, courseware_id, status)
    return OpenResult(session_id, interval / 1000, status, view, tuple(superseded))


def _live_session(user: User, session_id: str) -> WatchSession:
    session = db.session.get(WatchSession, session_id)
    if session is None or session.user_id != user.id:
        fail("session_not_found")
    return session


def record_heartbeat(principal: Principal, beat: BeatIn, socket_id: str | None) -> BeatResult:
    """Credit the interval a heartbeat closes, if it was live; ignore replays."""
    return _advance(principal, beat.session_id, beat, socket_id, close=False)


def close_session(
    principal: Principal, session_id: str, beat: BeatIn | None, socket_id: str | None
) -> BeatResult:
    """End a session; a final heartbeat sent along is credited first. Closing twice is harmless."""
    return _advance(principal, session_id, beat, socket_id, close=True)


def _refusal(
    session: WatchSession, clock: SessionClock, now: datetime, interval: int, close: bool
) -> str | None:
    """Why this session takes no more heartbeats (ending it if it lapsed), else None."""
    if session.ended_at is not None:
        if close and session.end_reason == "closed":
            return None  # closing twice is harmless
        return ENDED_ERRORS.get(session.end_reason or "", "session_closed")
    if is_lapsed(clock, now, interval):
        _end(session, now, "expired")
        return None if close else "session_expired"
    return None


def _advance(
    principal: Principal,
    session_id: str,
    beat: BeatIn | None,
    socket_id: str | None,
    close: bool,
) -> BeatResult:
    now, interval, tz = _now(), _interval_ms(), _tz()
    outcome = None
    with transaction():
        user = _lock_user(principal.id)
        session = _live_session(user, session_id)
        item = db.session.get(Courseware, session.courseware_id)
        clock = _clock(session, item.kind)
        error = _refusal(session, clock, now, interval, close)
        if error is None:
            ledger = _Ledger(user, item, {year_of(clock.last_at, tz), year_of(now, tz)})
            if beat is not None and session.ended_at is None:
                if session.socket_id != socket_id:
                    # A new socket (a reconnect) starts a fresh interval: the gap earns nothing.
                    _set_clock(session, restart_interval(clock, now))
                    session.socket_id = socket_id
                outcome = evaluate_heartbeat(
                    _clock(session, item.kind), beat.stamped(now), ledger.standing(), interval, tz
                )
                if outcome.accepted:
                    ledger.book(session, outcome)
            if close and session.ended_at is None:
                _end(session, now, "closed")
            standing = ledger.standing()
            view = ledger.view(standing, now)
            status = status_of(session.was_live, standing, view.year)
        ended, courseware_id = session.ended_at is not None, session.courseware_id
    # After the commit, only plain values: touching ORM objects now would reload them.
    if error is not None:
        if error == "session_expired":
            _store().drop(session_id)
        fail(error)
    if ended:
        _store().drop(session_id)
    else:
        _presence(session_id, principal.id, courseware_id, status)
    credit = outcome.credit if outcome and outcome.accepted else NO_CREDIT
    return BeatResult(
        session_id=session_id,
        status=status,
        accepted=bool(outcome and outcome.accepted),
        delta_ms=credit.effective_ms,
        raw_delta_ms=credit.raw_ms,
        view=view,
    )


def detach_socket(socket_id: str) -> None:
    """A socket went away: its sessions stay open but earn nothing until the next heartbeat."""
    with transaction() as session:
        session.execute(
            update(WatchSession)
            .where(WatchSession.socket_id == socket_id, WatchSession.ended_at.is_(None))
            .values(was_live=False, socket_id=None)
        )

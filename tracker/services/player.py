"""Live crediting of player sessions: open, heartbeat, close, detach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from flask import current_app
from sqlalchemy import select

from tracker import clock
from tracker.auth import Principal
from tracker.core.calendar import year_of
from tracker.core.crediting import Status, is_lapsed, open_clock, status_of
from tracker.core.rules import hours_to_ms
from tracker.errors import RetryLater, TrackerError, fail
from tracker.extensions import db
from tracker.live.fanout import announce_superseded
from tracker.live.load import LoadGauge
from tracker.live.store import LiveSessionStore, Presence
from tracker.models import Courseware, SignIn, User, WatchSession
from tracker.services import flags, transaction
from tracker.services.group_commit import BatchStats, GroupCommit
from tracker.services.heartbeats import BeatIn, BeatRequest, BeatResult, credit_batch, online_cap
from tracker.services.running_totals import LiveView, RunningTotals

__all__ = ["BeatIn", "BeatResult", "LiveView", "OpenResult"]


@dataclass(frozen=True)
class Client:
    """Where a session is watched from, as far as the server can tell."""

    address: str | None = None
    device_id: str | None = None


@dataclass(frozen=True)
class OpenResult:
    """A freshly opened session."""

    session_id: str
    heartbeat_interval_s: float
    status: Status
    view: LiveView
    superseded: tuple[str, ...]


def _interval_ms() -> int:
    return round(float(current_app.config["HEARTBEAT_INTERVAL_S"]) * 1000)


def _store() -> LiveSessionStore:
    return current_app.extensions["tracker.live_store"]


def _gauge() -> LoadGauge:
    return current_app.extensions["tracker.load"]


def _lock_user(principal: Principal) -> User:
    # Every crediting transaction of one user starts by locking that user's row, so opens,
    # heartbeats and closes of one user never interleave (SQLite serialises all writers).
    user = db.session.scalar(select(User).where(User.id == principal.id).with_for_update())
    if user is None or not user.active:
        fail("account_disabled")
    if user.token_version != principal.token_version:
        fail("signed_out")  # a socket of an earlier sign-in: the password or account changed
    if principal.sign_in is not None and db.session.get(SignIn, principal.sign_in) is None:
        fail("signed_out")  # a socket of a browser login that has logged out
    return user


def _end(session: WatchSession, at: datetime, reason: str) -> None:
    session.ended_at = at
    session.end_reason = reason
    session.was_live = False


def end_user_sessions(user_id: int, reason: str) -> list[str]:
    """End every open session of a user now (in the caller's transaction); their ids."""
    sessions = db.session.scalars(
        select(WatchSession).where(WatchSession.user_id == user_id, WatchSession.ended_at.is_(None))
    ).all()
    for session in sessions:
        _end(session, clock.now(), reason)
    _store().drop(*(s.id for s in sessions))
    return [session.id for session in sessions]


def _presence_ttl_s(interval_ms: int) -> float:
    return 2 * interval_ms / 1000 + 1


def open_session(
    principal: Principal, courseware_id: int, socket_id: str | None, client: Client = Client()
) -> OpenResult:
    """Open a courseware, ending every other open session of the user at this instant.

    While the process is busy, new opens are refused with a hint when to retry, so that the
    sessions already live keep being credited in time.
    """
    asked_at = clock.now().timestamp()
    if _gauge().busy(asked_at):
        raise RetryLater("server_busy", _gauge().refuse(asked_at))
    with current_app.extensions["tracker.open_turns"]:
        return _open(principal, courseware_id, socket_id, client)


def _open(
    principal: Principal, courseware_id: int, socket_id: str | None, client: Client
) -> OpenResult:
    # Stamped once its turn came: the session starts when it is opened, not when asked.
    now, interval, tz = clock.now(), _interval_ms(), clock.timezone()
    with transaction():
        user = _lock_user(principal)
        item = db.session.get(Courseware, courseware_id)
        if item is None or not (item.published or user.role == "admin"):
            fail("courseware_not_found")
        superseded = []
        for other in db.session.scalars(
            select(WatchSession).where(
                WatchSession.user_id == user.id, WatchSession.ended_at.is_(None)
            )
        ):
            started = open_clock(item.kind, other.last_beat_at)
            lapsed = is_lapsed(started, now, other.interval_ms or interval)
            _end(other, now, "expired" if lapsed else "superseded")
            if not lapsed:
                superseded.append(other.id)
        session_id = uuid4().hex
        db.session.add(
            WatchSession(
                id=session_id,
                user_id=user.id,
                courseware_id=item.id,
                opened_at=now,
                last_beat_at=open_clock(item.kind, now).last_at,
                last_seq=-1,
                was_live=False,
                socket_id=socket_id,
                live_ms=0,
                raw_ms=0,
                effective_ms=0,
                interval_ms=interval,
                client_address=client.address,
                device_id=client.device_id,
            )
        )
        group = online_cap(user)
        totals = RunningTotals(tz).load(
            [(user.id, item.id)], [(user.id, year_of(now, tz))], group.kinds if group else ()
        )
        cap_ms = hours_to_ms(float(item.hours_limit))
        standing = totals.standing(user.id, item.id, cap_ms, group)
        view = totals.view(user.id, item.id, standing, now)
        status = status_of(False, standing, view.year)
    # After the commit, only plain values: touching ORM objects now would reload them.
    announce_superseded(superseded, courseware_id)
    _store().drop(*superseded)
    presence = Presence(session_id, principal.id, courseware_id, str(status), now.timestamp())
    _store().refresh([presence], [], ttl_s=_presence_ttl_s(interval))
    return OpenResult(session_id, interval / 1000, status, view, tuple(superseded))


def record_heartbeat(principal: Principal, beat: BeatIn, socket_id: str | None) -> BeatResult:
    """Credit the interval a heartbeat closes, if it was live; ignore replays."""
    return _submit(principal, beat.session_id, beat, socket_id, close=False)


def close_session(
    principal: Principal, session_id: str, beat: BeatIn | None, socket_id: str | None
) -> BeatResult:
    """End a session; a final heartbeat sent along is credited first. Closing twice is harmless.

    Then the person's year is scanned again for flags and time claimed twice: its own
    transaction, after the credit is committed, so a failing scan costs the player nothing.
    """
    result = _submit(principal, session_id, beat, socket_id, close=True)
    try:
        flags.scan_people([principal.id], year_of(clock.now(), clock.timezone()))
    except Exception:  # the nightly scan catches up; the credit is already safe
        current_app.logger.exception("flag scan after closing %s failed", session_id)
    return result


def _submit(
    principal: Principal,
    session_id: str,
    beat: BeatIn | None,
    socket_id: str | None,
    close: bool,
) -> BeatResult:
    # Stamped on arrival: time spent queueing for a batch never counts against the player.
    now = clock.now()
    gauge, at = _gauge(), now.timestamp()
    backlog_ms = round(1000 * gauge.backlog_s(at))
    request = BeatRequest(
        principal.id,
        session_id,
        beat,
        socket_id,
        close,
        now,
        gauge.interval_ms(_interval_ms(), at),
        backlog_ms,
        principal.token_version,
    )
    return _batches().submit(request)


def _batches() -> GroupCommit[BeatRequest, BeatResult]:
    extensions = current_app.extensions
    found = extensions.get("tracker.credit_batches")
    if found is None:
        config = current_app.config
        found = extensions.setdefault(
            "tracker.credit_batches",
            GroupCommit(
                _credit,
                key=lambda request: request.user_id,
                size=int(config["CREDIT_BATCH_SIZE"]),
                per_key=int(config["CREDIT_BATCH_PER_USER"]),
                gather_s=float(config["CREDIT_GATHER_MS"]) / 1000,
                observe=_observe,
            ),
        )
    return found


def _observe(stats: BatchStats) -> None:
    _gauge().observe(stats.waited_s, clock.now().timestamp())


def _credit(requests: Sequence[BeatRequest]) -> list[BeatResult | TrackerError]:
    """One batch: credit and commit, then tell the live store (acks go out after this)."""
    with transaction():
        outcomes = credit_batch(requests, _interval_ms())
    live, ended, ttl_s = [], [], 0.0
    for request, outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, BeatResult) and not outcome.ended:
            seen = request.received_at.timestamp()
            live.append(
                Presence(
                    outcome.session_id,
                    outcome.user_id,
                    outcome.courseware_id,
                    str(outcome.status),
                    seen,
                )
            )
            ttl_s = max(ttl_s, _presence_ttl_s(outcome.heartbeat_interval_ms))
        elif isinstance(outcome, BeatResult) or outcome.code == "session_expired":
            ended.append(request.session_id)
    _store().refresh(live, ended, ttl_s)
    return outcomes

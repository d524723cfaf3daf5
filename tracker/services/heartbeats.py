"""Crediting many heartbeats in one transaction: lock their users, read once, write once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from tracker import clock
from tracker.core.calendar import year_of
from tracker.core.crediting import (
    NO_CREDIT,
    Beat,
    Status,
    evaluate_heartbeat,
    is_lapsed,
    restart_interval,
    status_of,
)
from tracker.core.heuristics import next_rhythm
from tracker.core.rules import CapGroup
from tracker.errors import TrackerError
from tracker.extensions import db
from tracker.models import Courseware, User
from tracker.models import WatchSession as WS
from tracker.services.rules import rule_set_for, rules_for_units
from tracker.services.running_totals import (
    LiveView,
    RunningTotals,
    SessionState,
    Upsert,
    upsert,
)
from tracker.sql import one_of, per_dialect, values

ENDED_ERRORS = {
    "superseded": "session_superseded",
    "closed": "session_closed",
    "expired": "session_expired",
    "disabled": "account_disabled",
    "signed_out": "signed_out",
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

    def stamped(self, at: datetime) -> Beat:
        """The core's view of this heartbeat, received at `at` by the server's clock."""
        return Beat(at, self.seq, self.state, self.visible, self.position, self.rate)


@dataclass(frozen=True)
class BeatRequest:
    """One heartbeat or close to credit, stamped when the server received it."""

    user_id: int
    session_id: str
    beat: BeatIn | None
    socket_id: str | None
    close: bool
    received_at: datetime
    next_interval_ms: int  # the interval the ack asks the player to wait before the next beat
    backlog_ms: int = 0  # how far behind the server has lately been: not the player's silence
    token_version: int | None = None  # the sender's sign-in; None: not checked (tests only)


@dataclass(frozen=True)
class BeatResult:
    """What a heartbeat or close did."""

    session_id: str
    user_id: int
    courseware_id: int
    status: Status
    accepted: bool
    delta_ms: int
    raw_delta_ms: int
    view: LiveView
    ended: bool
    heartbeat_interval_ms: int


# ---------------------------------------------------------------- one batch


def online_cap(user: User) -> CapGroup | None:
    """The user's yearly cap group of online time, if the rule set has one."""
    return rule_set_for(user).cap_group("online")


@per_dialect
def _sessions_and_users() -> Select[Any]:
    """The sessions of the parameter `sessions` with their items' kind and cap and their
    users' unit, sign-in and state, locking the users' and the sessions' rows."""
    # Every crediting transaction locks its users' rows first, in id order, so opens,
    # heartbeats and closes of one user never interleave and two batches never deadlock
    # (SQLite serialises all writers anyway). Rows are locked as the sorted rows come out,
    # a user's with their sessions. Plain rows: ORM objects cost more than the rest.
    ws, cw, users = WS.__table__, Courseware.__table__, User.__table__
    return (
        select(ws, cw.c.kind, cw.c.hours_limit, users.c.unit_id, users.c.token_version)
        .add_columns(users.c.active.label("user_active"))
        .join(cw, cw.c.id == ws.c.courseware_id)
        .join(users, users.c.id == ws.c.user_id)
        .where(one_of(ws.c.id, "sessions"))
        .order_by(users.c.id, ws.c.id)
        .with_for_update(of=[users, ws])
    )


def _lock(
    requests: Sequence[BeatRequest],
) -> tuple[dict[str, SessionState], dict[int, CapGroup | None], dict[int, int]]:
    """Lock the batch's sessions together with their users' rows and read them in one
    statement; the sessions, and the online cap group and token version of each active user."""
    # Core statements go straight to the transaction's connection: the ORM session's layer
    # around them cost a few per cent of a heartbeat (docs/benchmarks.md).
    rows = (
        db.session.connection()
        .execute(_sessions_and_users(), values("sessions", (r.session_id for r in requests)))
        .all()
    )
    sessions = {row.id: SessionState(row) for row in rows}
    members = {(row.user_id, row.unit_id, row.token_version) for row in rows if row.user_active}
    strangers = {r.user_id for r in requests} - {row.user_id for row in rows}
    if strangers:  # senders of unknown sessions, or of others': read only to say why not
        users = User.__table__
        members |= {
            (row.id, row.unit_id, row.token_version)
            for row in db.session.execute(
                select(users.c.id, users.c.unit_id, users.c.token_version).where(
                    users.c.id.in_(sorted(strangers)), users.c.active
                )
            )
        }
    rules = rules_for_units(unit_id for _id, unit_id, _version in members)
    caps = {unit_id: found.cap_group("online") for unit_id, found in rules.items()}
    versions = {user_id: version for user_id, _unit, version in members}
    return sessions, {user_id: caps[unit_id] for user_id, unit_id, _v in members}, versions


def _session_changes(sessions: Iterable[SessionState]) -> Upsert:
    return Upsert(
        WS.__table__,
        [
            {
                "id": s.id,
                "user_id": s.user_id,
                "courseware_id": s.courseware_id,
                "opened_at": s.opened_at,
                **s.values,
            }
            for s in sorted(sessions, key=lambda s: s.id)
        ],
    )


def credit_batch(
    requests: Sequence[BeatRequest], base_interval_ms: int
) -> list[BeatResult | TrackerError]:
    """Credit every request in one transaction (the caller commits); a result or error each."""
    tz = clock.timezone()
    sessions, caps, versions = _lock(requests)
    years = {year_of(r.received_at, tz) for r in requests}
    for s in sessions.values():
        years.add(year_of(s.values["last_beat_at"], tz))
    totals = RunningTotals(tz).load(
        ((s.user_id, s.courseware_id) for s in sessions.values()),
        ((u, y) for u in caps for y in years),
        {kind for group in caps.values() if group for kind in group.kinds},
    )
    touched: dict[str, SessionState] = {}
    outcomes: list[BeatResult | TrackerError] = []
    for request in requests:
        session = sessions.get(request.session_id)
        try:
            if request.user_id not in caps:
                raise TrackerError("account_disabled")
            if request.token_version not in (None, versions[request.user_id]):
                raise TrackerError("signed_out")  # a socket of an earlier sign-in
            if session is None or session.user_id != request.user_id:
                raise TrackerError("session_not_found")
            touched[session.id] = session
            outcomes.append(
                _advance(session, request, totals, caps[request.user_id], base_interval_ms)
            )
        except TrackerError as error:
            outcomes.append(error)
    upsert(_session_changes(touched.values()), *totals.changes())
    return outcomes


def _refusal(
    session: SessionState, now: datetime, interval_ms: int, backlog_ms: int, close: bool
) -> str | None:
    """Why this session takes no more heartbeats (ending it if it lapsed), else None."""
    if session.ended:
        if close and session.values["end_reason"] == "closed":
            return None  # closing twice is harmless
        return ENDED_ERRORS.get(session.values["end_reason"] or "", "session_closed")
    if is_lapsed(session.clock(), now, interval_ms, backlog_ms):
        session.end(now, "expired")
        return None if close else "session_expired"
    return None


def _advance(
    session: SessionState,
    request: BeatRequest,
    totals: RunningTotals,
    online: CapGroup | None,
    base_interval_ms: int,
) -> BeatResult:
    now, beat = request.received_at, request.beat
    # The lapse window and the longest creditable interval follow the interval this
    # session was last asked to keep (longer while the server is busy).
    interval = session.values["interval_ms"] or base_interval_ms
    error = _refusal(session, now, interval, request.backlog_ms, request.close)
    if error is not None:
        raise TrackerError(error)
    standing = totals.standing(session.user_id, session.courseware_id, session.item_cap_ms, online)
    credit, accepted = NO_CREDIT, False
    if beat is not None and not session.ended:
        if session.values["socket_id"] != request.socket_id:
            # A new socket (a reconnect) starts a fresh interval: the gap earns nothing.
            session.set_clock(restart_interval(session.clock(), now))
            session.values["socket_id"] = request.socket_id
        outcome = evaluate_heartbeat(
            session.clock(), beat.stamped(now), standing, interval, totals.tz
        )
        accepted = outcome.accepted
        if accepted:
            before = session.clock()
            # A video's position is its playing time (a seek breaks the rhythm); a document's
            # is its page.
            known = session.kind == "video" and before.last_position is not None
            moved = beat.position - before.last_position if known else None
            gap_ms = round((now - before.last_at) / timedelta(milliseconds=1))
            session.set_rhythm(
                next_rhythm(
                    session.rhythm(),
                    gap_ms,
                    outcome.clock.was_live,
                    before.was_live,
                    moved,
                    beat.rate,
                )
            )
            session.set_clock(outcome.clock)
            totals.book(session, outcome.credit)
            credit, standing = outcome.credit, outcome.standing
    if request.close and not session.ended:
        session.end(now, "closed")
    if not session.ended:
        session.values["interval_ms"] = request.next_interval_ms
    view = totals.view(session.user_id, session.courseware_id, standing, now)
    return BeatResult(
        session_id=session.id,
        user_id=session.user_id,
        courseware_id=session.courseware_id,
        status=status_of(session.values["was_live"], standing, view.year),
        accepted=accepted,
        delta_ms=credit.effective_ms,
        raw_delta_ms=credit.raw_ms,
        view=view,
        ended=session.ended,
        heartbeat_interval_ms=request.next_interval_ms,
    )

"""The `/player` namespace: courseware players open sessions and send heartbeats here."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from flask import current_app, request, session
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, Namespace, join_room
from pydantic import ValidationError

from tracker.auth import Principal, current_principal, principal_from_token
from tracker.db import unavailable
from tracker.errors import TrackerError, fail
from tracker.extensions import socketio
from tracker.live.fanout import session_room, sign_in_room, user_room
from tracker.live.limits import EventLimiter
from tracker.live.load import watch_loop_lag
from tracker.live.store import LiveSessionStore
from tracker.proxies import client_address
from tracker.services import player
from tracker.services.player import BeatIn, BeatResult, LiveView
from tracker.sockets.payloads import ClosePayload, HeartbeatPayload, OpenPayload
from tracker.validation import invalid
from tracker.wire import seconds


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else seconds(ms)


def _view(view: LiveView) -> dict[str, Any]:
    return {
        "item": {
            "courseware_id": view.courseware_id,
            "credited_s": _seconds(view.item_credited_ms),
            "cap_s": _seconds(view.item_cap_ms),
        },
        "year": {
            "year": view.year,
            "online_effective_s": _seconds(view.year_effective_ms),
            "online_raw_s": _seconds(view.year_raw_ms),
            "online_cap_s": _seconds(view.year_cap_ms),
        },
    }


def _beat_ack(result: BeatResult) -> dict[str, Any]:
    return {
        "ok": True,
        "session_id": result.session_id,
        "status": str(result.status),
        "accepted": result.accepted,
        "delta_s": _seconds(result.delta_ms),
        "raw_delta_s": _seconds(result.raw_delta_ms),
        # Longer than at `open` while the server is busy: the player waits this long.
        "heartbeat_interval_s": _seconds(result.heartbeat_interval_ms),
        **_view(result.view),
    }


def _beat_in(payload: HeartbeatPayload) -> BeatIn:
    return BeatIn(**payload.model_dump())


def _watch_load() -> None:
    """Start watching this process's event-loop lag, once, when the first player connects."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if socketio.async_mode != "gevent" or app.extensions.get("tracker.lag_watch"):
        return  # with real threads there is no single loop to fall behind
    gauge = app.extensions["tracker.load"]
    clock = app.extensions["tracker.clock"]
    app.extensions["tracker.lag_watch"] = socketio.start_background_task(
        watch_loop_lag, gauge, lambda: clock().timestamp()
    )


def _rooms(principal: Principal) -> list[str]:
    """The rooms by which the end of the socket's sign-in reaches it."""
    login = [sign_in_room(principal.sign_in)] if principal.sign_in else []
    return [user_room(principal.id), *login]


def _store() -> LiveSessionStore:
    return current_app.extensions["tracker.live_store"]


def _limiter() -> EventLimiter:
    return current_app.extensions["tracker.limiter"]


def _admit(data: Any) -> None:
    """Refuse an event over its socket's or user's rate, or larger than a frame may be."""
    if not _limiter().allow(request.sid):
        fail("rate_limited")
    if _json_size(data) > current_app.config["SOCKET_MAX_EVENT_BYTES"]:
        fail("frame_too_large")


_SCALAR = (int, float, str, type(None))


def _json_size(data: Any) -> int:
    """About how many bytes `data` took as JSON (a heartbeat is about 150)."""
    flat = isinstance(data, dict) and all(isinstance(v, _SCALAR) for v in data.values())
    if flat:  # a heartbeat: no need to run the encoder
        return sum(len(str(k)) + len(str(v)) + 4 for k, v in data.items())
    return len(json.dumps(data, separators=(",", ":"), default=str))


def _acked(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn every failure of an event into an error ack; a player never sees a crash."""

    @wraps(handler)
    def wrapper(self: PlayerNamespace, data: Any = None) -> dict[str, Any]:
        try:
            _admit(data)
            return handler(self, data)
        except ValidationError as exc:
            error = invalid(exc)
        except TrackerError as exc:
            error = exc
        except Exception as exc:
            outage = unavailable(exc)
            if outage is None:
                current_app.logger.exception("player event %s failed", handler.__name__)
                message = _("Something went wrong.")
                return {"ok": False, "error": "internal_error", "message": message}
            # Expected while the database restarts; one line, not a traceback per event.
            current_app.logger.warning(
                "player event %s: database unavailable: %s",
                handler.__name__,
                exc.__class__.__name__,
            )
            error = outage
        return {"ok": False, **error.to_dict()}

    return wrapper


class PlayerNamespace(Namespace):
    """Live player protocol: `open`, `heartbeat`, `close`; the server may emit `superseded`."""

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Each socket's events run in that socket's own task, one after another (the server
        # is made with `async_handlers=False`), so a flood queues behind itself. Yielding
        # after every event sends this task to the back of the ready queue, behind every
        # other socket's ready work: round robin between sockets, not first come, first
        # served (with gevent a socket's buffered frames are read without ever yielding).
        try:
            return super().trigger_event(event, *args)
        finally:
            time.sleep(0)

    def on_connect(self, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        principal = principal_from_token(token) if token else current_principal()
        if principal is None:
            raise ConnectionRefusedError(
                {"error": "unauthorized", "message": _("Please log in first.")}
            )
        _watch_load()
        if not _limiter().attach(principal.id, request.sid):
            raise ConnectionRefusedError(TrackerError("too_many_sockets").to_dict())
        session["principal"] = asdict(principal)
        # Where a change of the user's password or account, or the logout of the browser
        # login it came with, finds this socket (in any process).
        for room in _rooms(principal):
            join_room(room)
            _store().add_socket(room, request.sid)

    def on_disconnect(self, *_reason: Any) -> None:
        # Nothing to write: the session stays open, and its next heartbeat comes from another
        # socket, which restarts the interval (the gap earns nothing). No database work here
        # keeps a mass reconnect (a network blip, a proxy restart) cheap.
        _limiter().detach(request.sid)
        if "principal" in session:
            for room in _rooms(self._principal()):
                _store().remove_socket(room, request.sid)

    @staticmethod
    def _principal() -> Principal:
        return Principal(**session["principal"])

    @_acked
    def on_open(self, data: Any) -> dict[str, Any]:
        payload = OpenPayload.model_validate(data)
        client = player.Client(client_address(), payload.device_id)
        result = player.open_session(self._principal(), payload.courseware_id, request.sid, client)
        join_room(session_room(result.session_id))
        return {
            "ok": True,
            "session_id": result.session_id,
            "heartbeat_interval_s": result.heartbeat_interval_s,
            "status": str(result.status),
            **_view(result.view),
        }

    @_acked
    def on_heartbeat(self, data: Any) -> dict[str, Any]:
        payload = HeartbeatPayload.model_validate(data)
        result = player.record_heartbeat(self._principal(), _beat_in(payload), request.sid)
        join_room(session_room(result.session_id))  # after a reconnect this is a new socket
        return _beat_ack(result)

    @_acked
    def on_close(self, data: Any) -> dict[str, Any]:
        payload = ClosePayload.model_validate(data)
        final = payload.final_beat()
        result = player.close_session(
            self._principal(), payload.session_id, final and _beat_in(final), request.sid
        )
        return _beat_ack(result)

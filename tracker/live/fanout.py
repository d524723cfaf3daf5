"""Telling player sockets, in whichever server process holds them, what happened."""

from __future__ import annotations

from tracker.extensions import socketio

NAMESPACE = "/player"


def session_room(session_id: str) -> str:
    """The Socket.IO room of the socket(s) driving one viewing session."""
    return f"session:{session_id}"


def user_room(user_id: int) -> str:
    """The Socket.IO room of every player socket of one user."""
    return f"user:{user_id}"


def sign_in_room(sign_in: str) -> str:
    """The Socket.IO room of the player sockets of one browser login."""
    return f"sign_in:{sign_in}"


def announce_superseded(session_ids: list[str], by_courseware_id: int) -> None:
    """Tell each superseded session's player that it stopped being recorded."""
    for session_id in session_ids:
        socketio.emit(
            "superseded",
            {"session_id": session_id, "by_courseware_id": by_courseware_id},
            to=session_room(session_id),
            namespace=NAMESPACE,
        )


def announce_ended(session_ids: list[str], reason: str) -> None:
    """Tell each session's player that the server ended it (for example, account disabled)."""
    for session_id in session_ids:
        socketio.emit(
            "session_ended",
            {"session_id": session_id, "reason": reason},
            to=session_room(session_id),
            namespace=NAMESPACE,
        )


def end_sign_in(room: str, session_ids: list[str], reason: str, socket_ids: list[str]) -> None:
    """Tell the player sockets in `room` (a user's or a login's), in any process, that their
    sign-in ended; then disconnect them (through the message queue, wherever each is)."""
    announce_ended(session_ids, reason)
    socketio.emit(
        "session_ended", {"session_id": None, "reason": reason}, to=room, namespace=NAMESPACE
    )
    for socket_id in socket_ids:
        socketio.server.disconnect(socket_id, namespace=NAMESPACE)

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


def end_sign_in(user_id: int, session_ids: list[str], reason: str, socket_ids: list[str]) -> None:
    """Tell every player socket of a user, in any process, that its sign-in ended; then
    disconnect them (through the message queue, to whichever process holds each)."""
    announce_ended(session_ids, reason)
    socketio.emit(
        "session_ended",
        {"session_id": None, "reason": reason},
        to=user_room(user_id),
        namespace=NAMESPACE,
    )
    for socket_id in socket_ids:
        socketio.server.disconnect(socket_id, namespace=NAMESPACE)

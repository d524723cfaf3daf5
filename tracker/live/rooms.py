"""Socket.IO client managers that know each socket's rooms without scanning every room.

python-socketio finds the rooms of a disconnecting socket by copying and scanning the map of
every room to its sockets: O(rooms) per disconnect, so a mass reconnect (a proxy restart, a
network blip) of n sockets costs O(n²), seconds of a frozen event loop at a few thousand
players (docs/benchmarks.md). These managers keep the reverse map beside it.
"""

from __future__ import annotations

from typing import Any

import socketio


class RoomIndex:
    """Mixin for a python-socketio manager: each socket's rooms, kept as they change."""

    rooms: dict[Any, dict[Any, Any]]
    callbacks: dict[Any, Any]
    pending_connect: dict[Any, list[Any]]
    pending_disconnect: dict[Any, list[Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[str, str], set[Any]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid)  # type: ignore[misc]
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[(namespace, sid)]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        """The rooms a socket is in (its own sid room among them, as upstream)."""
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    def basic_disconnect(self, sid: str, namespace: str, **_kwargs: Any) -> None:
        # Upstream's `BaseManager.basic_disconnect`, with the scan replaced by the index.
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]


class IndexedManager(RoomIndex, socketio.Manager):
    """The in-process manager (one server process)."""


class IndexedRedisManager(RoomIndex, socketio.RedisManager):
    """The Redis manager (several processes share rooms and emits through Redis)."""

"""`LiveSessionStore`: who is watching what right now, in process or in Redis."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Protocol

import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Presence:
    """One live viewing session as last seen by any server process."""

    session_id: str
    user_id: int
    courseware_id: int
    status: str
    seen_at: float


class LiveSessionStore(Protocol):
    """Presence of live sessions; entries expire on their own when heartbeats stop."""

    def touch(self, presence: Presence, ttl_s: float) -> None:
        """Record or refresh a live session for `ttl_s` seconds."""

    def drop(self, *session_ids: str) -> None:
        """Forget sessions that have ended."""

    def refresh(self, live: list[Presence], ended: list[str], ttl_s: float) -> None:
        """Touch the `live` sessions for `ttl_s` seconds and drop the `ended` ones, at once."""

    def watching(self) -> list[Presence]:
        """Every session still live, oldest first."""

    def add_socket(self, room: str, socket_id: str) -> None:
        """Remember that `socket_id` (in any process) is in `room` (a user's or a login's)."""

    def remove_socket(self, room: str, socket_id: str) -> None:
        """Forget a socket that went away."""

    def take_sockets(self, room: str) -> list[str]:
        """The sockets in `room`, forgotten at once (their sign-in has ended)."""


class InProcessLiveStore:
    """Presence kept in this process only: for the embedded single-process default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Presence]] = {}
        self._sockets: dict[str, set[str]] = {}

    def touch(self, presence: Presence, ttl_s: float) -> None:
        with self._lock:
            self._entries[presence.session_id] = (time.monotonic() + ttl_s, presence)

    def drop(self, *session_ids: str) -> None:
        with self._lock:
            for session_id in session_ids:
                self._entries.pop(session_id, None)

    def refresh(self, live: list[Presence], ended: list[str], ttl_s: float) -> None:
        expires = time.monotonic() + ttl_s
        with self._lock:
            for presence in live:
                self._entries[presence.session_id] = (expires, presence)
            for session_id in ended:
                self._entries.pop(session_id, None)

    def watching(self) -> list[Presence]:
        now = time.monotonic()
        with self._lock:
            for session_id in [k for k, (exp, _) in self._entries.items() if exp <= now]:
                del self._entries[session_id]
            return sorted((p for _, p in self._entries.values()), key=lambda p: p.seen_at)

    def add_socket(self, room: str, socket_id: str) -> None:
        with self._lock:
            self._sockets.setdefault(room, set()).add(socket_id)

    def remove_socket(self, room: str, socket_id: str) -> None:
        with self._lock:
            sockets = self._sockets.get(room, set())
            sockets.discard(socket_id)
            if not sockets:
                self._sockets.pop(room, None)

    def take_sockets(self, room: str) -> list[str]:
        with self._lock:
            return sorted(self._sockets.pop(room, set()))


# A socket's entry outlives its process only this long (a killed process cannot remove it).
SOCKETS_TTL_S = 7 * 24 * 3600


class RedisLiveStore:
    """Presence shared by every server process through Redis (keys expire by themselves).

    Writes are best-effort: they happen after the credit is committed, and presence is
    rebuilt by the next heartbeats, so a Redis outage must not turn a booked heartbeat into
    an error for the player.
    """

    def __init__(self, client: redis.Redis, prefix: str = "tracker:live:") -> None:
        self._redis = client
        self._prefix = prefix
        self._index = f"{prefix}index"

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}{session_id}"

    def touch(self, presence: Presence, ttl_s: float) -> None:
        self.refresh([presence], [], ttl_s)

    def drop(self, *session_ids: str) -> None:
        self.refresh([], list(session_ids), 0)

    def refresh(self, live: list[Presence], ended: list[str], ttl_s: float) -> None:
        if not (live or ended):
            return
        pipe = self._redis.pipeline(transaction=False)
        if live:
            ttl_ms = int(ttl_s * 1000)
            for presence in live:
                pipe.set(self._key(presence.session_id), json.dumps(asdict(presence)), px=ttl_ms)
            expires = time.time() + ttl_s
            pipe.zadd(self._index, {presence.session_id: expires for presence in live})
        if ended:
            pipe.delete(*(self._key(s) for s in ended))
            pipe.zrem(self._index, *ended)
        self._run(pipe)  # one round trip for a whole batch

    @staticmethod
    def _run(pipe: redis.client.Pipeline) -> None:
        try:
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("live store not updated (Redis unavailable): %s", exc)

    def watching(self) -> list[Presence]:
        self._redis.zremrangebyscore(self._index, "-inf", time.time())
        ids = [raw.decode() for raw in self._redis.zrange(self._index, 0, -1)]
        if not ids:
            return []
        found = [json.loads(raw) for raw in self._redis.mget([self._key(i) for i in ids]) if raw]
        return sorted((Presence(**entry) for entry in found), key=lambda p: p.seen_at)

    def _sockets_key(self, room: str) -> str:
        return f"{self._prefix}sockets:{room}"

    def add_socket(self, room: str, socket_id: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.sadd(self._sockets_key(room), socket_id)
        pipe.expire(self._sockets_key(room), SOCKETS_TTL_S)
        self._run(pipe)

    def remove_socket(self, room: str, socket_id: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.srem(self._sockets_key(room), socket_id)
        self._run(pipe)

    def take_sockets(self, room: str) -> list[str]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.smembers(self._sockets_key(room))
        pipe.delete(self._sockets_key(room))
        try:
            members, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("sockets in %s not found (Redis unavailable): %s", room, exc)
            return []
        return sorted(member.decode() for member in members)

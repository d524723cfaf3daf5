"""Fair shares of one server process: event rates per socket and per user, sockets per user."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class TokenBucket:
    """`rate` events a second on average, `burst` at once; time is passed in (seconds)."""

    rate: float
    burst: float
    tokens: float
    at: float

    @classmethod
    def full(cls, rate: float, burst: float, at: float) -> TokenBucket:
        """A bucket that allows a whole burst right away."""
        return cls(rate, burst, burst, at)

    def refill(self, now: float) -> None:
        """Add what accrued since the last look (a clock going backwards adds nothing)."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = max(self.at, now)

    def has(self, now: float) -> bool:
        """Whether one event may pass now (takes nothing)."""
        self.refill(now)
        return self.tokens >= 1

    def take(self) -> None:
        """Spend one event (after `has` said yes)."""
        self.tokens -= 1


@dataclass(frozen=True)
class Limits:
    """The shares: events per second and burst per socket and per user; sockets per user."""

    socket_rate: float
    socket_burst: float
    user_rate: float
    user_burst: float
    sockets_per_user: int


class EventLimiter:
    """Token buckets per socket and per user, and the sockets each user holds, in this process.

    An event passes only if both its socket's and its user's bucket have a token; a refused
    event spends neither, so a flood on one socket cannot drain the allowance of the user's
    other tabs beyond the user's own bucket.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._lock = threading.Lock()
        self._sockets: dict[str, tuple[int, TokenBucket]] = {}
        self._users: dict[int, tuple[set[str], TokenBucket]] = {}

    def attach(self, user_id: int, socket_id: str) -> bool:
        """Admit a new socket of `user_id`; false when the user holds too many already."""
        now, limits = self.clock(), self.limits
        with self._lock:
            sockets, _bucket = self._users.setdefault(
                user_id, (set(), TokenBucket.full(limits.user_rate, limits.user_burst, now))
            )
            if len(sockets) >= limits.sockets_per_user:
                return False
            sockets.add(socket_id)
            own = TokenBucket.full(limits.socket_rate, limits.socket_burst, now)
            self._sockets[socket_id] = (user_id, own)
            return True

    def detach(self, socket_id: str) -> None:
        """Forget a socket that went away (and its user, when it was the last one)."""
        with self._lock:
            user_id, _ = self._sockets.pop(socket_id, (None, None))
            if user_id is None:
                return
            sockets, _bucket = self._users[user_id]
            sockets.discard(socket_id)
            if not sockets:
                del self._users[user_id]

    def allow(self, socket_id: str) -> bool:
        """Whether one more event of this socket may be handled now (and count it if so)."""
        now = self.clock()
        with self._lock:
            found = self._sockets.get(socket_id)
            if found is None:
                return False
            user_id, own = found
            _sockets, shared = self._users[user_id]
            if not (own.has(now) and shared.has(now)):
                return False
            own.take()
            shared.take()
            return True

    def sockets_of(self, user_id: int) -> int:
        """How many sockets `user_id` holds in this process."""
        with self._lock:
            return len(self._users.get(user_id, (set(),))[0])

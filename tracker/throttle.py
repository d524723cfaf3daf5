"""Counting failed logins per account and per client address, across server processes.

Built on `limits` (the engine of Flask-Limiter): moving windows kept in Redis when
`TRACKER_REDIS_URL` is set, else in this process's memory. Only failures are counted, so a
whole office logging in from one address all morning is never slowed.
"""

from __future__ import annotations

import hashlib
import logging
import time

import redis
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


class LoginThrottle:
    """How many failed logins an account and a client address may have in a window."""

    def __init__(
        self, per_account: str, per_address: str, storage_uri: str, key_prefix: str
    ) -> None:
        self.limits: dict[str, RateLimitItem] = {}
        for scope, text in (("account", per_account), ("address", per_address)):
            try:
                self.limits[scope] = parse(text)
            except ValueError as error:
                raise ValueError(
                    f"the failed-login limit per {scope} must read like '10 per 15 minutes',"
                    f" not {text!r}"
                ) from error
        # Fail fast rather than hold a login while Redis is away.
        options = {"socket_timeout": 2, "socket_connect_timeout": 2}
        remote = storage_uri.startswith("redis")
        storage: Storage = storage_from_string(
            storage_uri, key_prefix=key_prefix, **(options if remote else {})
        )
        self._shared = MovingWindowRateLimiter(storage)
        # While Redis is away each process counts on its own: looser, but never open wide.
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def _keys(self, account: str, address: str | None) -> list[tuple[RateLimitItem, str, str]]:
        # Hashed: any text may be typed as a username, and it need not sit in Redis as typed.
        digest = hashlib.sha256(account.encode()).hexdigest()[:32]
        keys = [(self.limits["account"], "account", digest)]
        if address:
            keys.append((self.limits["address"], "address", address))
        return keys

    def wait_s(self, account: str, address: str | None) -> float:
        """Seconds before this account may try again from this address; 0 if it may now."""
        waits = [0.0]
        for limit, scope, key in self._keys(account, address):
            try:
                allowed = self._shared.test(limit, "login", scope, key)
                stats = (
                    None if allowed else self._shared.get_window_stats(limit, "login", scope, key)
                )
            except (redis.RedisError, OSError) as error:  # the store is away: count here alone
                log.warning("login throttle falls back to this process (%s)", error)
                allowed = self._local.test(limit, "login", scope, key)
                stats = (
                    None if allowed else self._local.get_window_stats(limit, "login", scope, key)
                )
            if stats is not None:
                waits.append(max(1.0, stats.reset_time - time.time()))
        return max(waits)

    def failed(self, account: str, address: str | None) -> None:
        """Count one failed login of this account from this address."""
        for limit, scope, key in self._keys(account, address):
            try:
                self._shared.hit(limit, "login", scope, key)
            except (redis.RedisError, OSError) as error:
                log.warning("login throttle falls back to this process (%s)", error)
                self._local.hit(limit, "login", scope, key)

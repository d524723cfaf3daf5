"""How busy this server process is, judged by how long heartbeats wait to be credited."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_RETRY_S = 300.0


@dataclass(frozen=True)
class BusyPolicy:
    """When a process counts as busy and what it asks of players then."""

    wait_s: float  # busy when heartbeats wait longer than this for their batch, on average
    hold_s: float  # and it stays busy this long after the average was last above it
    stretch: float  # while busy, players are asked to beat this many times less often
    retry_s: float  # new opens are refused with a hint to retry after about this long


class LoadGauge:
    """Busy or not, with hysteresis; times are the server clock's seconds, passed in.

    The wait is smoothed over batches (an exponential moving average), so one slow batch
    (a checkpoint, a neighbour's burst of CPU) does not shed load; a backlog that persists
    over a few batches does.
    """

    SMOOTHING = 0.3  # weight of the newest batch in the average

    def __init__(self, policy: BusyPolicy) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._busy_until = float("-inf")
        self._refusing_until = float("-inf")
        self._refused = 0
        self._peaks: list[tuple[float, float]] = []  # (when, wait) of recent slow waits
        self.average_wait_s = 0.0

    def observe(self, waited_s: float, now: float) -> None:
        """A batch began whose oldest request had waited `waited_s` seconds."""
        with self._lock:
            if waited_s > self.policy.wait_s:
                self._peaks = [p for p in self._peaks if p[0] > now - self.policy.hold_s]
                self._peaks.append((now, waited_s))
            self.average_wait_s += self.SMOOTHING * (waited_s - self.average_wait_s)
            if self.average_wait_s > self.policy.wait_s:
                self._busy_until = max(self._busy_until, now + self.policy.hold_s)

    def backlog_s(self, now: float) -> float:
        """The longest that work waited in this process lately (0 when it kept up)."""
        with self._lock:
            return max((w for at, w in self._peaks if at > now - self.policy.hold_s), default=0.0)

    def busy(self, now: float) -> bool:
        """Whether the process is shedding load right now."""
        return now < self._busy_until

    def interval_ms(self, base_ms: int, now: float) -> int:
        """The heartbeat interval to ask players for: longer while busy."""
        return round(base_ms * self.policy.stretch) if self.busy(now) else base_ms

    def refuse(self, now: float) -> float:
        """Count a refused open; seconds it should wait before trying again.

        The hint grows with the opens refused in this busy spell (one more `retry_s` per
        hundred, up to five minutes) and is spread over twice its span: thousands of players
        told to come back in five seconds would be a load of their own.
        """
        with self._lock:
            if now >= self._refusing_until:
                self._refused = 0
            self._refused += 1
            self._refusing_until = self._busy_until
            base = self.policy.retry_s * (1 + (self._refused - 1) / 100)
        return round(min(base, MAX_RETRY_S) * random.uniform(1.0, 2.0), 1)


LAG_PERIOD_S = 0.1


def watch_loop_lag(gauge: LoadGauge, now: Callable[[], float]) -> None:
    """Forever: sleep a tenth of a second and report how much later than asked it woke.

    Under gevent that lateness is the time every ready greenlet waits for the one OS thread:
    a backlog of socket events that the batches' own waits cannot see, because a heartbeat
    is stamped only when its handler finally runs. Run it as a background task.
    """
    while True:
        started = time.monotonic()
        time.sleep(LAG_PERIOD_S)
        gauge.observe(max(0.0, time.monotonic() - started - LAG_PERIOD_S), now())

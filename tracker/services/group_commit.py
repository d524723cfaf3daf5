"""Group commit: callers that arrive together share one transaction, fairly, leader by leader."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Req = TypeVar("Req")
Res = TypeVar("Res")


@dataclass
class _Waiter(Generic[Req]):
    request: Req
    key: Hashable
    queued_at: float
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    done: bool = False
    outcome: object = None


def take_fair(queue: list[_Waiter[Req]], size: int, per_key: int) -> list[_Waiter[Req]]:
    """Up to `size` waiters in arrival order, at most `per_key` of one key; removed from `queue`.

    What is left keeps its order, so one key's requests are still handled in the order they
    came; a key that floods the queue only waits longer itself.
    """
    taken: list[_Waiter[Req]] = []
    left: list[_Waiter[Req]] = []
    per: Counter[Hashable] = Counter()
    for waiter in queue:
        if len(taken) < size and per[waiter.key] < per_key:
            per[waiter.key] += 1
            taken.append(waiter)
        else:
            left.append(waiter)
    queue[:] = left
    return taken


@dataclass(frozen=True)
class BatchStats:
    """What the last batch looked like: how many requests, how long the oldest had waited."""

    size: int
    waited_s: float


class GroupCommit(Generic[Req, Res]):
    """Runs `work` over batches of requests submitted concurrently, one batch at a time.

    Whoever submits while no batch is running becomes the leader: it waits `gather_s` for
    company, takes a fair batch, runs it and hands each caller its result; when its own
    request is served it passes the lead to the oldest caller still waiting. Works alike
    with real threads and with gevent's patched ones. `work` returns one result or exception
    per request; if it raises, every request of the batch gets that exception.
    """

    def __init__(
        self,
        work: Callable[[Sequence[Req]], Sequence[Res | BaseException]],
        *,
        key: Callable[[Req], Hashable],
        size: int = 200,
        per_key: int = 2,
        gather_s: float = 0.0,
        observe: Callable[[BatchStats], None] | None = None,
    ) -> None:
        self._work, self._key = work, key
        self._size, self._per_key, self._gather_s = size, per_key, gather_s
        self._observe = observe
        self._lock = threading.Lock()
        self._queue: list[_Waiter[Req]] = []
        self._leading = False

    def pending(self) -> int:
        """Requests waiting for a batch right now."""
        with self._lock:
            return len(self._queue)

    def submit(self, request: Req) -> Res:
        """Run `request` in the next batch that takes it; its result, or raise its exception."""
        waiter = _Waiter(request, self._key(request), time.monotonic())
        with self._lock:
            self._queue.append(waiter)
            if not self._leading:
                self._leading = waiter.lead = True
        if not waiter.lead:
            waiter.ready.wait()  # served, or asked to lead
        if not waiter.done:
            self._lead(waiter)
        if isinstance(waiter.outcome, BaseException):
            raise waiter.outcome
        return waiter.outcome  # type: ignore[return-value]

    def _lead(self, own: _Waiter[Req]) -> None:
        try:
            while not own.done:
                if self._gather_s:
                    time.sleep(self._gather_s)
                with self._lock:
                    batch = take_fair(self._queue, self._size, self._per_key)
                self._run(batch)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.ready.set()
                else:
                    self._leading = False

    def _run(self, batch: list[_Waiter[Req]]) -> None:
        if self._observe is not None:
            self._observe(BatchStats(len(batch), time.monotonic() - batch[0].queued_at))
        try:
            outcomes: Sequence[object] = self._work([w.request for w in batch])
        except BaseException as error:
            outcomes = [error] * len(batch)
        for waiter, outcome in zip(batch, outcomes, strict=True):
            waiter.outcome, waiter.done = outcome, True
            waiter.ready.set()

"""Group commit and the load gauge: fair batches, results to their callers, busy spells."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from tracker.live.load import BusyPolicy, LoadGauge
from tracker.services.group_commit import GroupCommit, _Waiter, take_fair


def waiters(keys: str) -> list[_Waiter[str]]:
    return [_Waiter(f"{key}{n}", key, 0.0) for n, key in enumerate(keys)]


@pytest.mark.parametrize(
    ("keys", "size", "per_key", "taken", "left"),
    [
        ("aaaaab", 10, 2, "a0 a1 b5", "a2 a3 a4"),
        ("abcabc", 4, 1, "a0 b1 c2", "a3 b4 c5"),
        ("abcdef", 3, 2, "a0 b1 c2", "d3 e4 f5"),
        ("", 5, 1, "", ""),
    ],
)
def test_take_fair_keeps_order_and_shares(keys, size, per_key, taken, left):
    queue = waiters(keys)
    batch = take_fair(queue, size, per_key)
    assert " ".join(w.request for w in batch) == taken
    assert " ".join(w.request for w in queue) == left


def test_concurrent_callers_share_batches_and_get_their_own_results():
    batches: list[int] = []
    entered, gate = threading.Event(), threading.Event()

    def work(requests: Sequence[int]) -> list[int | BaseException]:
        entered.set()
        assert gate.wait(5)  # the first batch runs while the others queue up
        batches.append(len(requests))
        return [ValueError(r) if r == 3 else r * 10 for r in requests]

    commit = GroupCommit(work, key=lambda r: r, size=100, per_key=1)
    results: dict[int, object] = {}

    def call(n: int) -> None:
        try:
            results[n] = commit.submit(n)
        except ValueError as error:
            results[n] = error

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    threads[0].start()
    assert entered.wait(5)
    for thread in threads[1:]:
        thread.start()
    for _ in range(5000):
        if commit.pending() == 7:
            break
        threading.Event().wait(0.001)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert batches == [1, 7]
    assert {n: r for n, r in results.items() if n != 3} == {n: n * 10 for n in range(8) if n != 3}
    assert isinstance(results[3], ValueError)
    assert commit.pending() == 0


def test_a_failing_batch_fails_every_caller_in_it_and_the_next_batch_runs():
    calls = iter([RuntimeError("database went away"), None])

    def work(requests: Sequence[str]) -> list[str]:
        failure = next(calls)
        if failure:
            raise failure
        return list(requests)

    commit = GroupCommit(work, key=lambda r: r)
    with pytest.raises(RuntimeError):
        commit.submit("first")
    assert commit.submit("second") == "second"


def test_refused_opens_are_told_to_wait_longer_the_more_there_are():
    gauge = LoadGauge(BusyPolicy(wait_s=0.25, hold_s=15, stretch=2, retry_s=5))
    for _ in range(5):
        gauge.observe(waited_s=2.0, now=100.0)
    assert gauge.busy(100.0)
    assert gauge.interval_ms(15_000, 100.0) == 30_000
    first = gauge.refuse(100.0)
    assert 5 <= first <= 10
    hints = [gauge.refuse(101.0) for _ in range(400)]
    assert 25 <= hints[-1] <= 50  # five times the base after 400 refusals, spread up to 2x
    assert not gauge.busy(115.0)
    assert gauge.interval_ms(15_000, 115.0) == 15_000
    gauge.observe(waited_s=2.0, now=200.0)  # a new busy spell starts counting afresh
    assert gauge.busy(200.0)
    assert gauge.refuse(200.0) <= 10


def test_one_slow_batch_does_not_make_a_process_busy():
    gauge = LoadGauge(BusyPolicy(wait_s=0.25, hold_s=15, stretch=2, retry_s=5))
    gauge.observe(waited_s=0.6, now=100.0)
    assert not gauge.busy(100.0)
    gauge.observe(waited_s=0.6, now=100.1)
    assert gauge.busy(100.1)

"""Simulated courseware players over real websockets, and what they saw."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import socketio

NAMESPACE = "/player"


@dataclass
class Window:
    """The measured interval, in `time.perf_counter()` seconds (set once everyone is open)."""

    start: float = float("inf")
    end: float = float("inf")

    def holds(self, t: float) -> bool:
        """Whether `t` falls inside the window."""
        return self.start <= t < self.end


@dataclass
class Tally:
    """What the viewers saw; beats count when sent inside the window, acks when received."""

    sent: int = 0
    acks_in_window: int = 0
    not_accepted: int = 0
    credited_s: float = 0.0
    stretched: int = 0  # acks that asked for a longer interval (the server was busy)
    lapses: int = 0  # session_expired: a session lapsed and was opened again
    busy_opens: int = 0  # opens refused with server_busy (retried as told)
    tried: int = 0  # viewers that have connected and tried to open (or failed to)
    logins: int = 0
    login_latencies_ms: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def ack(self, ack: Any, sent_at: float, acked_at: float, window: Window) -> None:
        """Record one heartbeat ack."""
        if window.holds(acked_at) and isinstance(ack, dict) and ack.get("ok"):
            self.acks_in_window += 1
        if not window.holds(sent_at):
            return
        self.latencies_ms.append((acked_at - sent_at) * 1000)
        if not isinstance(ack, dict) or not ack.get("ok"):
            error = ack.get("error") if isinstance(ack, dict) else None
            self.errors[str(error or "bad_ack")] += 1
            return
        self.statuses[str(ack.get("status"))] += 1
        self.not_accepted += not ack.get("accepted")
        self.credited_s += ack.get("delta_s") or 0.0


@dataclass(frozen=True)
class Plan:
    """When and how the viewers beat, and where they record what they saw."""

    period: float
    closed_loop: bool
    ack_timeout: float
    window: Window
    tally: Tally
    courseware_id: int


@dataclass
class Viewer:
    """One connected player; like the browser it keeps the interval each ack asks for."""

    client: socketio.AsyncClient
    session_id: str = ""
    opened_at: float = 0.0
    interval_s: float = 0.0  # what `open` said
    stretch: float = 1.0  # what the last ack asked for, relative to that
    seq: int = 0
    due: float = 0.0  # when the next beat is due (open loop)
    # Set when an ack asked for another interval: like the browser, the next beat is then
    # due that long after the ack (the server judges lapses by the interval it last asked).
    rescheduled: asyncio.Event = field(default_factory=asyncio.Event)

    async def call(self, event: str, payload: dict[str, Any], timeout: float) -> Any:
        """Emit `event` and return its ack (or an error ack on timeout or disconnect)."""
        try:
            return await self.client.call(event, payload, namespace=NAMESPACE, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            return {"ok": False, "error": "ack_timeout"}
        except socketio.exceptions.SocketIOError:
            return {"ok": False, "error": "disconnected"}

    async def open(
        self, plan: Plan, give_up_at: float, gate: asyncio.Semaphore | None = None
    ) -> bool:
        """Open the courseware, waiting as told (outside `gate`) while the server is busy."""
        while time.perf_counter() < give_up_at:
            async with gate or contextlib.nullcontext():
                payload = {"courseware_id": plan.courseware_id}
                ack = await self.call("open", payload, plan.ack_timeout)
            if ack.get("ok"):
                self.session_id, self.opened_at = ack["session_id"], time.perf_counter()
                self.interval_s, self.stretch = ack["heartbeat_interval_s"], 1.0
                return True
            if ack.get("error") != "server_busy":
                plan.tally.errors[f"open:{ack.get('error')}"] += 1
                return False
            plan.tally.busy_opens += 1
            await asyncio.sleep(ack.get("retry_after_s", 5))
        return False

    async def beat(self, plan: Plan, due: float) -> None:
        """Send the next heartbeat; the media position follows the wall clock."""
        self.seq += 1
        payload = {
            "session_id": self.session_id,
            "seq": self.seq,
            "state": "playing",
            "visible": True,
            "position": round(time.perf_counter() - self.opened_at, 3),
            "rate": 1,
        }
        sent_at = time.perf_counter()
        if plan.window.holds(sent_at):
            plan.tally.sent += 1
            plan.tally.send_lag_ms.append((sent_at - due) * 1000)
        ack = await self.call("heartbeat", payload, plan.ack_timeout)
        plan.tally.ack(ack, sent_at, time.perf_counter(), plan.window)
        if ack.get("ok") and ack.get("heartbeat_interval_s"):
            stretch = ack["heartbeat_interval_s"] / self.interval_s
            plan.tally.stretched += stretch > 1
            if stretch != self.stretch:
                self.stretch, self.due = stretch, time.perf_counter() + plan.period * stretch
                self.rescheduled.set()
        elif ack.get("error") == "session_expired":
            plan.tally.lapses += 1
            await self.open(plan, plan.window.end)


async def connect(url: str, token: str, timeout: float) -> Viewer:
    """A viewer connected over the websocket transport."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        url,
        auth={"token": token},
        transports=["websocket"],
        namespaces=[NAMESPACE],
        wait_timeout=timeout,
    )
    return Viewer(client)


async def run_all(
    url: str, tokens: list[str], plan: Plan, warmup: float, duration: float, ramp: float = 0.0
) -> int:
    """Connect and open every viewer (25 at a time) and let each play as soon as it is open.

    With `ramp`, each viewer arrives at a random moment within that many seconds, as people
    do at the start of a working day, instead of all at once. The window starts `warmup`
    seconds after the last viewer opened. Failures are counted, not fatal; the number of
    viewers that played is returned.
    """
    gate, opened, done = asyncio.Semaphore(25), [0], asyncio.Event()

    async def one(token: str) -> bool:
        await asyncio.sleep(random.uniform(0, ramp))
        try:
            async with gate:
                viewer = await connect(url, token, plan.ack_timeout)
            is_open = await viewer.open(plan, time.perf_counter() + 600, gate)
        except Exception as exc:
            plan.tally.errors[f"connect:{type(exc).__name__}"] += 1
            is_open, viewer = False, None
        opened[0] += 1
        plan.tally.tried = opened[0]
        if opened[0] == len(tokens):
            plan.window.start = time.perf_counter() + warmup
            plan.window.end = plan.window.start + duration
            done.set()
        if viewer is None:
            return False
        try:
            if is_open:
                await play(viewer, plan)
        finally:
            await done.wait()
            await viewer.client.disconnect()
        return is_open

    return sum(await asyncio.gather(*(one(t) for t in tokens)))


async def play(viewer: Viewer, plan: Plan) -> None:
    """Beat until the window ends: on a schedule (open loop) or ack after ack (closed loop)."""
    pending: list[asyncio.Task[None]] = []
    viewer.due = time.perf_counter() + random.uniform(0, plan.period)  # phases spread evenly
    while viewer.due < plan.window.end:
        if plan.closed_loop:
            await asyncio.sleep(max(0.0, viewer.due - time.perf_counter()))
            await viewer.beat(plan, viewer.due)
            viewer.due = time.perf_counter()
            continue
        with contextlib.suppress(TimeoutError):
            wait = max(0.0, viewer.due - time.perf_counter())
            await asyncio.wait_for(viewer.rescheduled.wait(), wait)
        if viewer.rescheduled.is_set():  # an ack moved the next beat: wait for it anew
            viewer.rescheduled.clear()
            continue
        due = viewer.due
        viewer.due = due + plan.period * viewer.stretch
        pending.append(asyncio.create_task(viewer.beat(plan, due)))
    await asyncio.gather(*pending)

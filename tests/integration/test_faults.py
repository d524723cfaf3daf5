"""Faults under steady heartbeat load: kill -9 a server, restart PostgreSQL, restart Redis empty.

Two server processes share a private PostgreSQL and a private Redis (never the shared ones:
they are stopped and started here). A few dozen viewers beat every interval, each through its
own socket, and come back the way a browser player does: a dropped socket connects again (to
any server that answers), a session the server ended is opened again. After each fault:
every acknowledged second is in the ledger, nothing is credited twice, every viewer earns
again, and each user has at most one live session.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import socketio
import sqlalchemy as sa
from servers import INTERVAL_S, Ledger, LivePlayer, Processes, ServerProcess, ms, site

from deploy.local import PostgresProcess, RedisProcess

pytestmark = pytest.mark.faults

VIEWERS = 24
CHEAP_HASHES = {"TRACKER_ARGON2_TIME_COST": "1", "TRACKER_ARGON2_MEMORY_KIB": "1024"}
ACK_WAIT_S = 5.0
# The most one heartbeat can earn: two intervals, stretched twice while a process is busy.
MAX_BEAT_MS = 2 * 2 * INTERVAL_S * 1000
WARM_UP_S = 3 * INTERVAL_S
DOWN_S = 1.5 * INTERVAL_S  # how long PostgreSQL or Redis stays down
RECOVERED_BEATS = 2  # credited heartbeats each viewer must get after a fault
RECOVERY_DEADLINE_S = 30.0
ENDED = {"session_expired", "session_superseded", "session_closed", "session_not_found"}
# Answers that change nothing: the player waits and tries again.
TRANSIENT = {"server_busy", "rate_limited", "database_unavailable"}


class Viewer:
    """One learner watching one video, beating every interval from a thread of its own.

    Keeps what the server acknowledged per session, and how many heartbeats per session
    had no clear answer (no ack, or `database_unavailable`): those may or may not be booked.
    Any other answer than the protocol's (an `internal_error` above all) is a surprise.
    """

    def __init__(self, name: str, token: str, user_id: int, urls: list[str], item: int) -> None:
        self.name, self.token, self.user_id = name, token, user_id
        self.urls, self.item = urls, item
        self.acked: Counter[str] = Counter()
        self.uncertain: Counter[str] = Counter()
        self.credited_at: list[float] = []  # when each heartbeat that earned was acked
        self.surprises: list[object] = []
        self.first_open: float | None = None
        self.player: LivePlayer | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Start watching (again)."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the heartbeat in flight has its answer; leave the session open."""
        self._stopping.set()
        assert self._thread is not None
        self._thread.join(timeout=ACK_WAIT_S + 10)
        assert not self._thread.is_alive(), f"{self.name} did not stop"
        self._drop()

    def earned_since(self, moment: float) -> int:
        """Heartbeats that earned credit and were acked after `moment`."""
        return sum(at > moment for at in self.credited_at)

    def _loop(self) -> None:
        due = time.monotonic()
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception as error:  # kept: the test asserts there were none
                self.surprises.append(repr(error))
                self._drop()
            due = max(due + INTERVAL_S, time.monotonic())
            self._stopping.wait(due - time.monotonic())

    def _connect(self) -> LivePlayer:
        previous = self.player
        for url in self.urls:  # the first that answers, like a proxy skipping a dead upstream
            try:
                player = LivePlayer(url, self.token, self.name)
            except socketio.exceptions.ConnectionError:
                continue
            if previous is not None:  # the same session continues on the new socket
                player.session_id, player.seq = previous.session_id, previous.seq
                player.position = previous.position
                player._playing_since = previous._playing_since
            return player
        raise ConnectionError("no server answered")

    def _drop(self) -> None:
        if self.player is not None and self.player.client.connected:
            self.player.close()
        # A dropped player keeps its session and position for the next socket.

    def _step(self) -> None:
        if self.player is None or not self.player.client.connected:
            self._drop()
            self.player = self._connect()
        player = self.player
        if player.session_id is None:
            ack = player.open(self.item)
            if ack.get("ok"):
                self.first_open = self.first_open or time.monotonic()
            elif ack.get("error") not in TRANSIENT:
                self.surprises.append(ack)
            return
        session = player.session_id
        try:
            ack = player.beat(timeout=ACK_WAIT_S)
        except socketio.exceptions.SocketIOError:
            self.uncertain[session] += 1  # sent, maybe credited, never answered
            self._drop()
            return
        if ack.get("ok"):
            self.acked[session] += ms(ack["delta_s"])
            if ack["delta_s"]:
                self.credited_at.append(time.monotonic())
        elif ack.get("error") in ENDED:
            player.session_id = None  # open again at the next step
        elif ack.get("error") == "database_unavailable":
            self.uncertain[session] += 1  # the connection may have dropped during the commit
        elif ack.get("error") not in TRANSIENT:
            self.surprises.append(ack)


@dataclass
class Fleet:
    """The deployment under load: its processes, its viewers and the ledger."""

    postgres: PostgresProcess
    redis: RedisProcess
    servers: list[ServerProcess]
    viewers: list[Viewer]
    ledger: Ledger

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Viewers beat while inside; afterwards every heartbeat has its answer."""
        for viewer in self.viewers:
            viewer.run()
        try:
            yield
        finally:
            for viewer in self.viewers:
                viewer.stop()

    def recover(self, fault_at: float) -> None:
        """Wait until every viewer has earned again since `fault_at`."""
        deadline = time.monotonic() + RECOVERY_DEADLINE_S
        while True:
            behind = [v.name for v in self.viewers if v.earned_since(fault_at) < RECOVERED_BEATS]
            if not behind:
                return
            assert time.monotonic() < deadline, f"not earning again: {behind}"
            time.sleep(INTERVAL_S / 4)

    def check(self) -> None:
        """The ledger against what every viewer was told, and the one-open rule."""
        for v in self.viewers:
            assert not v.surprises, (v.name, v.surprises)
            totals = self.ledger.totals(v.user_id)
            assert len(set(totals.values())) == 1, (v.name, totals)  # running totals = ledger
            sessions = self.ledger.sessions(v.user_id)
            for session, booked in sessions.items():
                acked, unclear = v.acked[session], v.uncertain[session]
                # Every acked second is booked; more only by heartbeats without a clear
                # answer, and nothing to a session the viewer never sent a heartbeat to.
                assert acked <= booked <= acked + unclear * MAX_BEAT_MS, (
                    v.name,
                    session,
                    acked,
                    booked,
                    unclear,
                )
            assert v.first_open is not None
            assert totals["session_credits"] <= (time.monotonic() - v.first_open) * 1000
            assert self.ledger.open_sessions(v.user_id) <= 1, v.name


@pytest.fixture(scope="module")
def fleet(redis_server_binary: str) -> Iterator[Fleet]:
    """Private PostgreSQL and Redis, servers A and B, and the viewers (not yet watching)."""
    with (
        tempfile.TemporaryDirectory(prefix="tracker-faults-") as datadir,
        Processes() as processes,
    ):
        postgres = processes.postgres("postgres", Path(datadir))
        engine = sa.create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("create database tracker"))
        engine.dispose()
        redis = processes.redis("redis", redis_server_binary)
        with site(
            processes,
            postgres.url("tracker"),
            ["A", "B"],
            redis_url=redis.url,
            redis_prefix="faults",
            items=1,
            settings=CHEAP_HASHES,
        ) as s:
            (item,) = s.items
            names = [f"viewer{n:02}" for n in range(VIEWERS)]
            urls = [server.url for server in s.servers]
            viewers = [
                # Half start on A, half on B; each falls back to the other.
                Viewer(name, token, user_id, urls if n % 2 == 0 else urls[::-1], item)
                for n, (name, (token, user_id)) in enumerate(
                    zip(names, s.add_learners(names), strict=True)
                )
            ]
            yield Fleet(postgres, redis, s.servers, viewers, s.ledger)


def test_kill_9_of_one_server(fleet: Fleet) -> None:
    """Its viewers connect to the other server and go on; nothing acked is lost."""
    server_a = fleet.servers[0]
    with fleet.watching():
        time.sleep(WARM_UP_S + INTERVAL_S / 4)  # into an interval, heartbeats in flight
        fault_at = time.monotonic()
        server_a.kill()
        fleet.recover(fault_at)
    fleet.check()
    server_a.start()  # for the next faults, two processes again
    server_a.wait_ready()


def test_postgresql_restart(fleet: Fleet) -> None:
    """Heartbeats fail while it is down (no credit, no crash); then everyone earns again."""
    with fleet.watching():
        time.sleep(WARM_UP_S)
        fleet.postgres.stop()
        fault_at = time.monotonic()
        time.sleep(DOWN_S)
        fleet.postgres.start()
        fleet.postgres.wait_ready()
        fleet.recover(fault_at)
    assert all(server.running for server in fleet.servers)
    fleet.check()


def test_redis_stopped_and_started_empty(fleet: Fleet) -> None:
    """Redis holds only presence and fan-out: credit goes on, nothing acked is lost."""
    with fleet.watching():
        time.sleep(WARM_UP_S)
        fleet.redis.kill()
        fault_at = time.monotonic()
        time.sleep(DOWN_S)
        fleet.redis.start()  # not persistent: it comes back empty
        fleet.redis.wait_ready()
        fleet.recover(fault_at)
    assert all(server.running for server in fleet.servers)
    fleet.check()

"""Deployments for integration tests (processes from `deploy.local`), live players, the ledger."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import socketio
import sqlalchemy as sa

from deploy.local import ROOT as _ROOT
from deploy.local import (
    Processes,
    ServerProcess,
    child_env,
)

ROOT = str(_ROOT)
NAMESPACE = "/player"
PASSWORD = "integration pw 1"
INTERVAL_S = 1  # TRACKER_HEARTBEAT_INTERVAL_S of every server these tests start
ACK_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 60.0


def tracker_env(
    database_url: str,
    *,
    secret_key: str,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
    settings: dict[str, str] | None = None,
) -> dict[str, str]:
    """`TRACKER_*` settings shared by every process of one deployment (not the port)."""
    env = {
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": secret_key,
        "TRACKER_HEARTBEAT_INTERVAL_S": str(INTERVAL_S),
        "TRACKER_HOST": "127.0.0.1",
    }
    if redis_url is not None:
        env["TRACKER_REDIS_URL"] = redis_url
    if redis_prefix is not None:
        env["TRACKER_REDIS_PREFIX"] = redis_prefix
    env.update(settings or {})
    return env


def create_users(env: dict[str, str], users: Sequence[tuple[str, str]]) -> None:
    """Create `(username, role)` users with PASSWORD through the CLI, in parallel."""
    # The schema must be migrated already (start a server first): concurrent first
    # migrations of one schema would race.
    argv = [sys.executable, "-m", "flask", "--app", "wsgi", "create-user"]
    runs = [
        subprocess.Popen(
            [*argv, username, "--password", PASSWORD, "--role", role],
            cwd=ROOT,
            env=child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for username, role in users
    ]
    failures = []
    for (username, _role), run in zip(users, runs, strict=True):
        try:
            out, _ = run.communicate(timeout=CLI_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            run.kill()
            out, _ = run.communicate()
        if run.returncode != 0:
            failures.append(f"create-user {username} exited {run.returncode}:\n{out.decode()}")
    assert not failures, "\n".join(failures)


def api(
    base_url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """One JSON request to the HTTP API: (status, decoded body)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1{path}", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=ACK_TIMEOUT_S) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def login(base_url: str, username: str) -> tuple[str, int]:
    """A bearer token and the user id."""
    status, body = api(
        base_url, "POST", "/auth/token", {"username": username, "password": PASSWORD}
    )
    assert status == 200, (status, body)
    return body["token"], body["user"]["id"]


def create_video(base_url: str, admin_token: str, title: str, hours_limit: float = 1.0) -> int:
    """Create a published video courseware item as an admin; its id."""
    status, body = api(
        base_url,
        "POST",
        "/courseware",
        {"title": title, "kind": "video", "hours_limit": hours_limit},
        admin_token,
    )
    assert status == 201, (status, body)
    return body["id"]


def ms(seconds: float | None) -> int:
    """Seconds as sent in acks, back to the server's integral milliseconds."""
    return round((seconds or 0.0) * 1000)


class LivePlayer:
    """A courseware player on `/player` over a real websocket; keeps acks and `superseded`."""

    def __init__(self, server_url: str, token: str, name: str = "player") -> None:
        self.name = name
        self.client = socketio.Client(reconnection=False)
        self.superseded: list[dict[str, Any]] = []
        self.ended: list[dict[str, Any]] = []  # `session_ended` events
        self.disconnected = False
        self.acks: list[dict[str, Any]] = []
        self.session_id: str | None = None
        self.seq = 0
        self.position = 0.0
        self._playing_since: float | None = None
        self._events = threading.Condition()
        self.client.on("superseded", self._on_superseded, namespace=NAMESPACE)
        self.client.on("session_ended", self._on_ended, namespace=NAMESPACE)
        self.client.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.client.connect(
            server_url,
            auth={"token": token},
            namespaces=[NAMESPACE],
            transports=["websocket"],
            wait_timeout=ACK_TIMEOUT_S,
        )

    def _on_superseded(self, data: dict[str, Any]) -> None:
        with self._events:
            self.superseded.append(data)
            self._events.notify_all()

    def _on_ended(self, data: dict[str, Any]) -> None:
        with self._events:
            self.ended.append(data)
            self._events.notify_all()

    def _on_disconnect(self, *_reason: Any) -> None:
        with self._events:
            self.disconnected = True
            self._events.notify_all()

    def wait_disconnected(self, timeout: float) -> list[dict[str, Any]]:
        """Wait up to `timeout` s for the server to disconnect; the `session_ended` heard."""
        with self._events:
            if not self._events.wait_for(lambda: self.disconnected, timeout):
                raise AssertionError(f"{self.name}: still connected after {timeout} s")
            return list(self.ended)

    def call(self, event: str, data: Any, timeout: float = ACK_TIMEOUT_S) -> dict[str, Any]:
        """Emit `event` and return its ack."""
        return self.client.call(event, data, namespace=NAMESPACE, timeout=timeout)

    def open(self, courseware_id: int) -> dict[str, Any]:
        """Open a courseware; playback (and the media position) starts now."""
        ack = self.call("open", {"courseware_id": courseware_id})
        if ack.get("ok"):
            self.session_id, self.seq, self.position = ack["session_id"], 0, 0.0
            self._playing_since = time.monotonic()
        return ack

    def beat(
        self, state: str = "playing", visible: bool = True, timeout: float = ACK_TIMEOUT_S
    ) -> dict[str, Any]:
        """Send the next heartbeat; while playing, the position follows the real clock."""
        now = time.monotonic()
        if self._playing_since is not None:
            self.position += now - self._playing_since
        self._playing_since = now if state == "playing" else None
        self.seq += 1
        payload = {
            "session_id": self.session_id,
            "seq": self.seq,
            "state": state,
            "visible": visible,
            "position": round(self.position, 3),
            "rate": 1,
        }
        ack = self.call("heartbeat", payload, timeout)
        self.acks.append(ack)
        return ack

    def play(self, beats: int, period: float = INTERVAL_S) -> list[dict[str, Any]]:
        """Send `beats` heartbeats, the first now and then one every `period` s; all must pass."""
        start = time.monotonic()
        acks = []
        for n in range(beats):
            time.sleep(max(0.0, start + n * period - time.monotonic()))
            ack = self.beat()
            assert ack.get("ok"), f"{self.name}: heartbeat {self.seq} refused: {ack}"
            acks.append(ack)
        return acks

    def acked_ms(self) -> int:
        """Credit the server acknowledged to this player, in ms."""
        return sum(ms(ack["delta_s"]) for ack in self.acks if ack.get("ok"))

    def wait_superseded(self, session_id: str, timeout: float) -> dict[str, Any]:
        """The `superseded` event naming `session_id`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._events:
            while True:
                for event in self.superseded:
                    if event.get("session_id") == session_id:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{self.name}: no superseded event for {session_id} within {timeout} s;"
                        f" got {self.superseded}"
                    )
                self._events.wait(left)

    def close(self) -> None:
        """Disconnect (harmless when the server is gone already)."""
        ws = getattr(self.client.eio, "ws", None)
        if ws is not None:
            # websocket-client would wait 3 s for the server's close frame, which the read
            # loop swallows instead: send ours and shut the socket without waiting.
            ws.close = functools.partial(type(ws).close, ws, timeout=0)
        self.client.shutdown()
        self.client.eio.wait()  # joins the read loop, so no thread outlives the test


def connect_refused(server_url: str, token: str) -> bool:
    """Whether `/player` refuses a connection with `token`."""
    client = socketio.Client(reconnection=False)
    try:
        client.connect(
            server_url,
            auth={"token": token},
            namespaces=[NAMESPACE],
            transports=["websocket"],
            wait_timeout=ACK_TIMEOUT_S,
        )
    except socketio.exceptions.ConnectionError:
        return True
    finally:
        client.shutdown()
        client.eio.wait()
    return False


@contextmanager
def players() -> Iterator[Callable[..., LivePlayer]]:
    """Connect players with `connect(server_url, token, name)`; all are closed afterwards."""
    made: list[LivePlayer] = []

    def connect(server_url: str, token: str, name: str = "player") -> LivePlayer:
        player = LivePlayer(server_url, token, name)
        made.append(player)
        return player

    try:
        yield connect
    finally:
        errors = []
        for player in made:
            try:
                player.close()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]


class Ledger:
    """Read-only view of the SQL ledger, to check what is durable."""

    def __init__(self, database_url: str) -> None:
        self.engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)

    def close(self) -> None:
        """Release the engine."""
        self.engine.dispose()

    def _scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar_one()

    def item_credit_ms(self, user_id: int) -> int:
        """Sum of item_progress.credited_ms of the user."""
        return int(
            self._scalar(
                "select coalesce(sum(credited_ms), 0) from item_progress where user_id = :u",
                u=user_id,
            )
        )

    def totals(self, user_id: int) -> dict[str, int]:
        """Each place the user's credit is booked, summed (all of them must agree)."""
        sums = {
            "item_progress": "select coalesce(sum(credited_ms), 0) from item_progress"
            " where user_id = :u",
            "session_credits": "select coalesce(sum(effective_ms), 0) from session_credits"
            " where user_id = :u",
            "watch_sessions": "select coalesce(sum(effective_ms), 0) from watch_sessions"
            " where user_id = :u",
            "online_year_totals": "select coalesce(sum(effective_ms), 0)"
            " from online_year_totals where user_id = :u",
        }
        return {name: int(self._scalar(sql, u=user_id)) for name, sql in sums.items()}

    def session(self, session_id: str) -> dict[str, Any]:
        """One watch_sessions row."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.text("select * from watch_sessions where id = :id"), {"id": session_id}
            ).one()
            return dict(row._mapping)

    def sessions(self, user_id: int) -> dict[str, int]:
        """Each session of the user: its effective ms in the ledger (session_credits)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "select s.id, coalesce(sum(c.effective_ms), 0) from watch_sessions s"
                    " left join session_credits c on c.session_id = s.id"
                    " where s.user_id = :u group by s.id"
                ),
                {"u": user_id},
            )
            return {session_id: int(credited) for session_id, credited in rows}

    def open_sessions(self, user_id: int) -> int:
        """How many of the user's sessions have not ended."""
        return int(
            self._scalar(
                "select count(*) from watch_sessions where user_id = :u and ended_at is null",
                u=user_id,
            )
        )


@contextmanager
def ledger(database_url: str) -> Iterator[Ledger]:
    """A `Ledger`, disposed afterwards."""
    view = Ledger(database_url)
    try:
        yield view
    finally:
        view.close()


@dataclass
class Site:
    """A deployment under test: its servers, a learner, video items, players and the ledger."""

    env: dict[str, str]
    servers: list[ServerProcess]
    learner_token: str
    learner_id: int
    items: list[int]
    ledger: Ledger
    connect: Callable[..., LivePlayer]
    admin_token: str

    def add_learners(self, names: Sequence[str]) -> list[tuple[str, int]]:
        """Create learners through the API; a bearer token and the id of each."""
        made = []
        for name in names:
            status, body = api(
                self.servers[0].url,
                "POST",
                "/users",
                {"username": name, "password": PASSWORD},
                self.admin_token,
            )
            assert status == 201, (status, body)
            made.append(login(self.servers[0].url, name))
        return made


@contextmanager
def site(
    processes: Processes,
    database_url: str,
    server_names: Sequence[str],
    *,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
    items: int = 2,
    settings: dict[str, str] | None = None,
) -> Iterator[Site]:
    """Start servers on one database (one secret key), add users and items, then yield.

    `settings` are further `TRACKER_*` variables for every server and command.
    """
    env = tracker_env(
        database_url,
        secret_key=uuid.uuid4().hex,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        settings=settings,
    )
    # The first server migrates the fresh schema alone; the others start while the admin is
    # created (the schema is current by then, so nothing races on migrating it).
    first = processes.server(server_names[0], env)
    others = [processes.server(name, env, ready=False) for name in server_names[1:]]
    create_users(env, [("admin", "admin")])
    for server in others:
        server.wait_ready()
    admin_token, _ = login(first.url, "admin")
    # One more CLI process per user would cost seconds of CPU on a small machine.
    status, body = api(
        first.url, "POST", "/users", {"username": "learner", "password": PASSWORD}, admin_token
    )
    assert status == 201, (status, body)
    learner_token, learner_id = login(first.url, "learner")
    item_ids = [create_video(first.url, admin_token, f"Video {n + 1}") for n in range(items)]
    with players() as connect, ledger(database_url) as book:
        yield Site(
            env, [first, *others], learner_token, learner_id, item_ids, book, connect, admin_token
        )

"""App fixtures: a real app on SQLite or PostgreSQL, a clock the tests drive, players."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient
from sqlalchemy import func, select

from tracker import create_app
from tracker.extensions import db, socketio
from tracker.models import User
from tracker.services.accounts import save_user
from tracker.services.courseware import create_courseware

PASSWORD = "correct horse 1"
ROOT_CONFTEST = os.path.join(os.path.dirname(os.path.dirname(__file__)), "conftest.py")
INTERVAL_S = 10


@dataclass
class Clock:
    """The server's clock, moved by the test instead of by sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Each test that uses the app runs on the embedded default and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture(scope="session")
def shared_media(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One media folder for the session, so the demo video is made only once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(tmp_path: Any, clock: Clock) -> Iterator[Callable[..., Flask]]:
    """Build apps with test settings; each gets the test clock."""
    apps: list[Flask] = []

    def build(database_url: str, **config: Any) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "DATABASE_URL": database_url,
                "ASYNC_MODE": "threading",
                "HEARTBEAT_INTERVAL_S": INTERVAL_S,
                "MEDIA_DIR": str(tmp_path / "media"),
                "ARGON2_TIME_COST": 1,  # weak hashes keep the suite fast; strength is not tested
                "ARGON2_MEMORY_KIB": 1024,
                # Tests send one beat at a time: waiting for company would only slow them.
                "CREDIT_GATHER_MS": 2,
                **config,
            }
        )
        app.extensions["tracker.clock"] = clock
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], database_url: str) -> Flask:
    return make_app(database_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """Create a user and return its id."""

    def create(username: str, role: str = "learner", unit: str | None = None) -> int:
        with app.app_context():
            return save_user(username, PASSWORD, role, unit).id

    return create


@pytest.fixture
def make_courseware(app: Flask) -> Callable[..., int]:
    """Create a published courseware item and return its id."""

    def create(hours_limit: float = 2.0, kind: str = "video", title: str = "Item") -> int:
        with app.app_context():
            fields = {"title": title, "kind": kind, "hours_limit": hours_limit}
            return create_courseware(fields).id

    return create


@pytest.fixture
def admin(make_user: Callable[..., int], auth_headers: Callable[[str], dict[str, str]]) -> dict:
    """Bearer headers of an admin called root."""
    make_user("root", role="admin")
    return auth_headers("root")


@pytest.fixture
def learner(make_user: Callable[..., int], auth_headers: Callable[[str], dict[str, str]]) -> dict:
    """Bearer headers of a learner called ann."""
    make_user("ann")
    return auth_headers("ann")


def count(app: Flask, model: Any, *where: Any) -> int:
    """How many rows of `model` (matching `where`) the database holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def user_id(app: Flask, username: str) -> int:
    """The id of the user called `username`."""
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def assert_error(response: Any, status: int, code: str) -> None:
    """The response is the API error `code` with that status and a message for people."""
    assert response.status_code == status, response.json
    assert response.json["error"] == code
    assert isinstance(response.json["message"], str)
    assert response.json["message"]


def token_for(client: FlaskClient, username: str) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["token"]


@pytest.fixture
def auth_headers(client: FlaskClient) -> Callable[[str], dict[str, str]]:
    return lambda username: {"Authorization": f"Bearer {token_for(client, username)}"}


class Player:
    """A player connected to `/player` over the Socket.IO test client."""

    def __init__(self, socket: SocketIOTestClient) -> None:
        self.socket = socket
        self.session_id: str | None = None
        self.seq = 0
        self.position = 0.0

    def call(self, event: str, payload: Any) -> dict[str, Any]:
        return self.socket.emit(event, payload, namespace="/player", callback=True)

    def open(self, courseware_id: int) -> dict[str, Any]:
        ack = self.call("open", {"courseware_id": courseware_id})
        if ack["ok"]:
            self.session_id, self.seq, self.position = ack["session_id"], 0, 0.0
        return ack

    def beat(
        self,
        state: str = "playing",
        visible: bool = True,
        advance: float = 0.0,
        rate: float = 1.0,
        **extra: Any,
    ) -> dict[str, Any]:
        self.seq += 1
        self.position += advance
        payload = {
            "session_id": self.session_id,
            "seq": self.seq,
            "state": state,
            "visible": visible,
            "position": self.position,
            "rate": rate,
            **extra,
        }
        return self.call("heartbeat", payload)

    def close(self, **extra: Any) -> dict[str, Any]:
        return self.call("close", {"session_id": self.session_id, **extra})

    def received(self) -> list[dict[str, Any]]:
        """Events the server sent since the last look (also once it disconnected the socket)."""
        events = [e for e in self.socket.queue if e["namespace"] == "/player"]
        self.socket.queue[:] = [e for e in self.socket.queue if e["namespace"] != "/player"]
        return events

    @property
    def connected(self) -> bool:
        return self.socket.is_connected("/player")


@pytest.fixture
def connect(app: Flask, client: FlaskClient) -> Iterator[Callable[[str], Player]]:
    """Connect a player for a user, authenticated with a bearer token."""
    sockets: list[SocketIOTestClient] = []

    def make(username: str) -> Player:
        socket = socketio.test_client(
            app, namespace="/player", auth={"token": token_for(client, username)}
        )
        assert socket.is_connected("/player")
        sockets.append(socket)
        return Player(socket)

    yield make
    for socket in sockets:
        if socket.is_connected("/player"):
            socket.disconnect(namespace="/player")


def service_unavailable(config: pytest.Config, reason: str) -> None:
    """tests/conftest.py's rule (fail under CI, skip elsewhere), reached through pytest."""
    root_conftest = config.pluginmanager.get_plugin(ROOT_CONFTEST)
    assert root_conftest is not None, "tests/conftest.py is not loaded"
    root_conftest.service_unavailable(reason)


@pytest.fixture(scope="session")
def redis_server_binary(request: pytest.FixtureRequest) -> str:
    """The redis-server executable for a private, throw-away Redis."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(binary, os.X_OK):
        service_unavailable(request.config, "redis-server is not installed")
    return binary

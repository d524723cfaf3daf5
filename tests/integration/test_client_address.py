"""The client's address has one reader: HTTP requests and player sockets agree behind proxies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.conftest import token_for
from tracker.extensions import db, socketio
from tracker.models import WatchSession
from tracker.proxies import client_address

PEER = None  # the peer's own address: 127.0.0.1 over HTTP, none over the socket test client
CHAIN = "198.51.100.1, 203.0.113.7"

CASES = [
    pytest.param(0, CHAIN, PEER, id="no proxy trusted: the header is ignored"),
    pytest.param(1, CHAIN, "203.0.113.7", id="one proxy: the address it saw"),
    pytest.param(2, CHAIN, "198.51.100.1", id="two proxies: the outermost's"),
    pytest.param(3, CHAIN, PEER, id="fewer entries than proxies: the peer"),
    pytest.param(1, "", PEER, id="no header: the peer"),
    pytest.param(1, "x" * 100, "x" * 64, id="kept to 64 characters"),
]


@pytest.fixture
def player_user(make_user, make_courseware) -> int:
    make_user("ann")
    return make_courseware(hours_limit=20)


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), CASES)
def test_http_and_socket_read_the_same_address(
    app, client, player_user, proxies, forwarded, expected
):
    app.config["TRUSTED_PROXIES"] = proxies
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.test_request_context(
        "/api/v1/auth/token", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    ):
        assert client_address() == (expected or "127.0.0.1")
    socket = socketio.test_client(
        app, namespace="/player", auth={"token": token_for(client, "ann")}, headers=headers
    )
    try:
        ack = socket.emit(
            "open", {"courseware_id": player_user}, namespace="/player", callback=True
        )
        assert ack["ok"], ack
    finally:
        socket.disconnect(namespace="/player")
    with app.app_context():
        assert db.session.scalar(select(WatchSession.client_address)) == expected

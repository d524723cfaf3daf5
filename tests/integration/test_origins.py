"""A real server refuses sockets from other sites and sockets without an identity."""

from __future__ import annotations

import pytest
import socketio
from servers import NAMESPACE, Processes, site


@pytest.fixture(scope="module")
def server_site(tmp_path_factory):
    """One real server on the embedded default (SQLite), shared by this module."""
    database = tmp_path_factory.mktemp("origins") / "tracker.db"
    with Processes() as processes, site(processes, f"sqlite:///{database}", ["S"], items=1) as s:
        yield s


def connect(url: str, headers: dict[str, str], auth: dict[str, str] | None) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(
        url,
        headers=headers,
        auth=auth,
        namespaces=[NAMESPACE],
        transports=["websocket"],
        wait_timeout=5,
    )
    return client


@pytest.mark.parametrize(
    ("origin", "with_token", "accepted"),
    [
        ("same", True, True),
        ("http://evil.example", True, False),
        ("same", False, False),
    ],
    ids=["same origin", "foreign origin", "no identity"],
)
def test_socket_origin_and_identity_are_checked(server_site, origin, with_token, accepted):
    url = server_site.servers[0].url
    # The client sends its own Origin (the server's URL) unless told otherwise.
    headers = {} if origin == "same" else {"Origin": origin}
    auth = {"token": server_site.learner_token} if with_token else None
    if accepted:
        client = connect(url, headers, auth)
        ack = client.call(
            "open", {"courseware_id": server_site.items[0]}, namespace=NAMESPACE, timeout=5
        )
        assert ack["ok"] is True
        client.disconnect()
    else:
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect(url, headers, auth)

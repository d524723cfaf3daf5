"""Fair shares on `/player`: strict payloads, event size, event rates and sockets per user."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.conftest import INTERVAL_S, token_for
from tracker.extensions import db, socketio
from tracker.models import WatchSession

LIMITS = {
    "SOCKET_EVENT_BURST": 6,
    "SOCKET_EVENTS_PER_S": 1,
    "USER_EVENT_BURST": 9,
    "USER_EVENTS_PER_S": 1,
    "SOCKETS_PER_USER": 3,
}


@pytest.fixture
def app(make_app, database_url):
    return make_app(database_url, **LIMITS)


@pytest.fixture
def video(make_user, make_courseware):
    make_user("ann")
    make_user("bob")
    return make_courseware(hours_limit=2, kind="video", title="Video")


def last_seq(app, session_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(WatchSession.last_seq).where(WatchSession.id == session_id))


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("open", {"courseware_id": "1"}, "courseware_id"),
        ("open", {"courseware_id": 1.0}, "courseware_id"),
        ("open", {"courseware_id": True}, "courseware_id"),
        ("open", {"courseware_id": 1, "admin": True}, "admin"),
        ("heartbeat", {"seq": True}, "seq"),
        ("heartbeat", {"seq": "7"}, "seq"),
        ("heartbeat", {"position": "12.5"}, "position"),
        ("heartbeat", {"rate": "2"}, "rate"),
        ("heartbeat", {"visible": 1}, "visible"),
        ("heartbeat", {"credit": 3600}, "credit"),
        ("close", {"seq": "7"}, "seq"),
        ("close", {"reason": "done"}, "reason"),
    ],
)
def test_coerced_types_and_unknown_keys_are_refused(
    app, video, connect, clock, event, payload, field
):
    player = connect("ann")
    assert player.open(video)["ok"]
    base = {"session_id": player.session_id}
    if event == "heartbeat":
        base.update(seq=1, state="playing", visible=True, position=0, rate=1)
    if event == "open":
        base = {}
    ack = player.call(event, {**base, **payload})
    assert ack["ok"] is False
    assert ack["error"] == "bad_payload"
    assert [d["field"] for d in ack["details"]] == [field]
    assert last_seq(app, player.session_id) == -1  # nothing was booked


def test_an_oversized_event_gets_an_error_ack_and_the_socket_lives_on(app, video, connect, clock):
    player = connect("ann")
    assert player.open(video)["ok"]
    ack = player.beat(padding="x" * 2000)
    assert ack["ok"] is False
    assert ack["error"] == "frame_too_large"
    assert ack["message"]
    assert player.socket.is_connected("/player")
    assert player.beat()["ok"]


def test_a_flood_on_one_socket_is_refused_beyond_its_burst(app, video, connect, clock):
    player = connect("ann")
    assert player.open(video)["ok"]  # 1 of the burst of 6
    acks = [player.beat() for _ in range(10)]  # the clock stands still: no refill
    assert [a["ok"] for a in acks] == [True] * 5 + [False] * 5
    assert {a["error"] for a in acks[5:]} == {"rate_limited"}
    assert all(a["message"] for a in acks[5:])
    assert last_seq(app, player.session_id) == 5  # the refused beats changed nothing
    clock.advance(2)  # one event a second refills
    player.seq = 5
    assert [player.beat()["ok"] for _ in range(3)] == [True, True, False]


def test_a_users_sockets_share_one_allowance_and_others_keep_theirs(app, video, connect, clock):
    first, second = connect("ann"), connect("ann")
    assert first.open(video)["ok"]
    acks = [first.beat() for _ in range(5)] + [second.call("open", {"courseware_id": video})]
    acks += [second.call("open", {"courseware_id": video}) for _ in range(3)]
    # ann's 9 events: 6 through the first socket, then 3 through the second; the rest refused.
    assert [a.get("error") for a in acks[6:]] == [None, None, "rate_limited"]
    other = connect("bob")
    assert other.open(video)["ok"]
    assert all(other.beat()["ok"] for _ in range(5))


def test_sockets_per_user_are_bounded(app, client, video, connect):
    held = [connect("ann") for _ in range(LIMITS["SOCKETS_PER_USER"])]
    token = token_for(client, "ann")
    refused = socketio.test_client(app, namespace="/player", auth={"token": token})
    assert not refused.is_connected("/player")
    held[0].socket.disconnect(namespace="/player")
    again = socketio.test_client(app, namespace="/player", auth={"token": token})
    assert again.is_connected("/player")
    again.disconnect(namespace="/player")
    assert connect("bob").open(video)["ok"]  # another user is not affected


def test_normal_play_is_never_limited(app, video, connect, clock):
    player = connect("ann")
    assert player.open(video)["ok"]
    for _ in range(30):
        clock.advance(INTERVAL_S)
        assert player.beat(advance=INTERVAL_S)["ok"]

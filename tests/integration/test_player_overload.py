"""Overload bends: a busy process asks for longer intervals and refuses new opens, untimed.

The busy state is forced by telling the load gauge that a batch waited long, at the test
clock's time; nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import INTERVAL_S

HOLD_S = 3 * INTERVAL_S


@pytest.fixture
def app(make_app, database_url):
    return make_app(database_url, BUSY_HOLD_S=HOLD_S)


@pytest.fixture
def video(make_user, make_courseware):
    make_user("ann")
    make_user("bob")
    return make_courseware(hours_limit=2, kind="video", title="Video")


def make_busy(app, clock) -> None:
    """Batches whose heartbeats waited long, so many that the average is over the bound."""
    for _ in range(10):
        app.extensions["tracker.load"].observe(waited_s=5.0, now=clock().timestamp())


def test_a_busy_process_refuses_new_opens_with_a_retry_hint(app, video, connect, clock):
    make_busy(app, clock)
    ack = connect("bob").open(video)
    assert ack["ok"] is False
    assert ack["error"] == "server_busy"
    assert ack["message"]
    assert 5 <= ack["retry_after_s"] <= 10  # BUSY_RETRY_S, spread up to twice that
    clock.advance(HOLD_S + 1)
    assert connect("bob").open(video)["ok"]  # the hold ran out without another slow batch


def test_live_sessions_are_asked_to_beat_less_often_and_do_not_lapse(app, video, connect, clock):
    player = connect("ann")
    assert player.open(video)["ok"]
    assert player.beat()["heartbeat_interval_s"] == INTERVAL_S
    make_busy(app, clock)
    clock.advance(INTERVAL_S)
    ack = player.beat(advance=INTERVAL_S)
    assert ack["heartbeat_interval_s"] == 2 * INTERVAL_S
    assert ack["delta_s"] == INTERVAL_S
    # Three base intervals of silence would lapse a session normally; at the stretched
    # interval the player was asked for, they are one and a half, and all of it was live.
    clock.advance(3 * INTERVAL_S)
    ack = player.beat(advance=3 * INTERVAL_S)
    assert ack["ok"], ack
    assert ack["delta_s"] == 3 * INTERVAL_S
    assert ack["heartbeat_interval_s"] == INTERVAL_S  # the hold ran out: back to normal


def test_a_stretched_interval_never_credits_more_than_wall_time(app, video, connect, clock):
    player = connect("ann")
    assert player.open(video)["ok"]
    player.beat()
    make_busy(app, clock)
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["heartbeat_interval_s"] == 2 * INTERVAL_S
    clock.advance(2 * INTERVAL_S)
    ack = player.beat(advance=10 * INTERVAL_S)  # the media claims more than the clock saw
    assert ack["delta_s"] == 2 * INTERVAL_S
    clock.advance(4 * INTERVAL_S + 1)  # beyond two stretched intervals: lapsed
    assert player.beat(advance=INTERVAL_S)["error"] == "session_expired"


def test_the_servers_own_backlog_never_lapses_a_session(app, video, connect, clock):
    player = connect("ann")
    assert player.open(video)["ok"]
    player.beat()
    clock.advance(INTERVAL_S)
    player.beat(advance=INTERVAL_S)
    # The process fell 8 s behind (its event loop, not the player, was slow) just now.
    app.extensions["tracker.load"].observe(waited_s=8.0, now=clock().timestamp())
    clock.advance(2 * INTERVAL_S + 5)  # past two intervals, within them plus the backlog
    ack = player.beat(advance=2 * INTERVAL_S + 5)
    assert ack["ok"], ack
    assert ack["delta_s"] == 2 * INTERVAL_S  # still at most two intervals of credit
    clock.advance(HOLD_S + 2 * INTERVAL_S + 9)  # the backlog is long gone: a real lapse
    assert player.beat(advance=INTERVAL_S)["error"] == "session_expired"

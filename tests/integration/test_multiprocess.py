"""Two server processes on one PostgreSQL schema and one Redis: one user, one live session."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from servers import (
    INTERVAL_S,
    PASSWORD,
    LivePlayer,
    Processes,
    Site,
    api,
    connect_refused,
    login,
    ms,
    site,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SUPERSEDED_WITHIN_S = 5.0


@pytest.fixture
def two_servers(postgres_schema_url: str, redis_url: str, redis_prefix: str) -> Iterator[Site]:
    """Processes A and B sharing the schema, the Redis prefix and the secret key."""
    with (
        Processes() as processes,
        site(
            processes,
            postgres_schema_url,
            ["A", "B"],
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        ) as deployment,
    ):
        yield deployment


def refused(ack: dict[str, object], error: str) -> bool:
    """Whether `ack` is the refusal `error`."""
    return ack.get("ok") is False and ack.get("error") == error


def test_open_on_b_supersedes_the_session_on_a(two_servers: Site) -> None:
    """Opening on B ends A's session at once: A hears `superseded`, is refused, B earns."""
    s = two_servers
    server_a, server_b = s.servers
    first, second = s.items
    on_a = s.connect(server_a.url, s.learner_token, "A")
    on_b = s.connect(server_b.url, s.learner_token, "B")  # ready before A's session could lapse
    opened = on_a.open(first)
    assert opened["ok"], opened
    assert opened["heartbeat_interval_s"] == INTERVAL_S
    session_a = opened["session_id"]
    on_a.play(3)
    credit_a = on_a.acked_ms()
    assert credit_a >= 1500, on_a.acks

    opened_b = on_b.open(second)
    assert opened_b["ok"], opened_b
    assert opened_b["session_id"] != session_a

    event = on_a.wait_superseded(session_a, SUPERSEDED_WITHIN_S)
    assert event == {"session_id": session_a, "by_courseware_id": second}
    after = on_a.beat()
    assert refused(after, "session_superseded"), after

    on_b.play(3)
    credit_b = on_b.acked_ms()
    assert credit_b >= 1500, on_b.acks
    assert on_b.superseded == []

    row_a = s.ledger.session(session_a)
    assert row_a["end_reason"] == "superseded"
    assert row_a["ended_at"] is not None
    assert row_a["effective_ms"] == credit_a
    row_b = s.ledger.session(opened_b["session_id"])
    assert row_b["ended_at"] is None
    assert row_b["courseware_id"] == second
    assert row_b["effective_ms"] == credit_b
    totals = s.ledger.totals(s.learner_id)
    assert totals == dict.fromkeys(totals, credit_a + credit_b)


TICK_S = 0.5
TICKS_PER_ROUND = 3


def test_alternating_processes_never_credit_more_than_wall_time(two_servers: Site) -> None:
    """Players on A and B take turns opening while both keep beating: credit <= wall time."""
    s = two_servers
    server_a, server_b = s.servers
    first, second = s.items
    on_a = s.connect(server_a.url, s.learner_token, "A")
    on_b = s.connect(server_b.url, s.learner_token, "B")
    schedule: list[tuple[LivePlayer, int]] = [
        (on_a, first),
        (on_b, first),
        (on_a, second),
        (on_b, second),
    ]
    ended: list[tuple[LivePlayer, str, int]] = []  # (player, its session, the item that ended it)
    started = time.monotonic()
    checks = 0
    for number, (active, item) in enumerate(schedule):
        previous = schedule[number - 1][0] if number else None
        previous_session = previous.session_id if previous else None
        opened = active.open(item)
        assert opened["ok"], opened
        if previous is not None and previous_session is not None:
            ended.append((previous, previous_session, item))
        round_start = time.monotonic()
        for tick in range(TICKS_PER_ROUND):
            time.sleep(max(0.0, round_start + tick * TICK_S - time.monotonic()))
            for player in (on_a, on_b):
                if player.session_id is None:
                    continue
                ack = player.beat()
                if player is active:
                    assert ack["ok"], (player.name, ack)
                else:  # still playing its old session, which must earn nothing now
                    assert refused(ack, "session_superseded"), (player.name, ack)
            elapsed_ms = (time.monotonic() - started) * 1000
            credited = s.ledger.item_credit_ms(s.learner_id)
            acked = on_a.acked_ms() + on_b.acked_ms()
            assert credited <= elapsed_ms, (credited, elapsed_ms)
            assert acked <= elapsed_ms, (acked, elapsed_ms)
            assert s.ledger.open_sessions(s.learner_id) == 1
            checks += 1
    assert checks == len(schedule) * TICKS_PER_ROUND

    # Each round credits its active player for all but the first tick's interval.
    acked = on_a.acked_ms() + on_b.acked_ms()
    expected_ms = len(schedule) * (TICKS_PER_ROUND - 1) * TICK_S * 1000
    assert acked >= 0.6 * expected_ms, (acked, on_a.acks, on_b.acks)
    beats = len(on_a.acks) + len(on_b.acks)
    for place, credited in s.ledger.totals(s.learner_id).items():
        assert abs(credited - acked) <= beats, (place, credited, acked)

    assert len(ended) == len(schedule) - 1
    for player, session_id, item in ended:
        event = player.wait_superseded(session_id, SUPERSEDED_WITHIN_S)
        assert event["by_courseware_id"] == item
        assert s.ledger.session(session_id)["end_reason"] == "superseded"
        credited = sum(
            ms(ack["delta_s"])
            for ack in player.acks
            if ack.get("ok") and ack["session_id"] == session_id
        )
        assert s.ledger.session(session_id)["effective_ms"] == credited


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ([{"password": "another password 2"}], "signed_out"),
        ([{"active": False}, {"active": True}], "account_disabled"),
    ],
)
def test_a_change_on_b_ends_the_sign_in_of_sockets_on_a(
    two_servers: Site, changes: list[dict[str, object]], reason: str
) -> None:
    """An admin on B changes the learner's password or account: the learner's sockets on A
    hear `session_ended` and are disconnected, and the old token opens nothing anywhere."""
    s = two_servers
    server_a, server_b = s.servers
    admin_token, _ = login(server_b.url, "admin")
    watching = s.connect(server_a.url, s.learner_token, "watching")
    idle = s.connect(server_a.url, s.learner_token, "idle")
    opened = watching.open(s.items[0])
    assert opened["ok"], opened
    watching.play(2)
    credit = watching.acked_ms()

    for change in changes:
        status, body = api(server_b.url, "PATCH", f"/users/{s.learner_id}", change, admin_token)
        assert status == 200, (status, body)

    heard = watching.wait_disconnected(SUPERSEDED_WITHIN_S)
    assert {"session_id": opened["session_id"], "reason": reason} in heard
    assert {"session_id": None, "reason": reason} in idle.wait_disconnected(SUPERSEDED_WITHIN_S)
    for server in s.servers:
        assert api(server.url, "GET", "/me", token=s.learner_token)[0] == 401
        assert connect_refused(server.url, s.learner_token)
    assert s.ledger.open_sessions(s.learner_id) == 0
    assert s.ledger.session(opened["session_id"])["effective_ms"] == credit
    password = changes[0].get("password", PASSWORD)
    status, _ = api(
        server_a.url, "POST", "/auth/token", {"username": "learner", "password": password}
    )
    assert status == 200

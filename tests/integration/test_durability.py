"""What survives a crash: kill -9 of a server, and a restart of the Redis it uses."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

import pytest
import socketio
from servers import INTERVAL_S, LivePlayer, Processes, ms, site

KILL_INTO_INTERVAL = 0.25  # how far into a live interval the server is killed
PREFIX = "durability"


@pytest.mark.postgres
def test_kill_9_keeps_every_acknowledged_credit(postgres_schema_url: str) -> None:
    """Acked credit is committed before the ack: kill -9 loses at most the open interval."""
    with Processes() as processes, site(processes, postgres_schema_url, ["S"], items=1) as s:
        (server,) = s.servers
        (item,) = s.items
        player = s.connect(server.url, s.learner_token, "player")
        assert player.open(item)["ok"]
        watching_since = time.monotonic()
        player.play(4)
        time.sleep(KILL_INTO_INTERVAL * INTERVAL_S)
        killed_at = time.monotonic()
        server.kill()

        acked = player.acked_ms()
        assert acked >= 2000, player.acks
        totals = s.ledger.totals(s.learner_id)
        for place, credited in totals.items():
            assert abs(credited - acked) <= len(player.acks), (place, credited, acked)
        session = s.ledger.session(player.session_id)
        assert session["effective_ms"] == acked
        assert session["ended_at"] is None  # nobody had a chance to end it
        lost_ms = (killed_at - watching_since) * 1000 - totals["item_progress"]
        assert 0 <= lost_ms <= INTERVAL_S * 1000, (lost_ms, player.acks)

        # The same server comes back: the dead session is ended, nothing booked is lost,
        # and the learner earns again.
        server.start()
        server.wait_ready()
        again = s.connect(server.url, s.learner_token, "again")
        assert again.open(item)["ok"]
        old = s.ledger.session(player.session_id)
        assert old["ended_at"] is not None
        assert old["effective_ms"] == acked
        again.play(3)
        assert again.acked_ms() >= 1500, again.acks
        assert s.ledger.item_credit_ms(s.learner_id) == acked + again.acked_ms()


def _beat_through_outage(player: LivePlayer) -> dict[str, Any]:
    """A heartbeat sent while Redis is down: any answer (or none) is acceptable here."""
    try:
        return player.beat(timeout=20)
    except socketio.exceptions.TimeoutError:
        return {"ok": False, "error": "no_ack"}


@pytest.mark.postgres
@pytest.mark.redis
def test_redis_restart_keeps_credit_and_the_player_continues(
    postgres_schema_url: str, redis_server_binary: str
) -> None:
    """Redis holds only live state: credit acked before its restart stays, and more accrues."""
    with Processes() as processes:
        live = processes.redis("redis", redis_server_binary)
        with site(
            processes,
            postgres_schema_url,
            ["S"],
            redis_url=live.url,
            redis_prefix=PREFIX,
            items=1,
        ) as s:
            (server,) = s.servers
            (item,) = s.items
            player = s.connect(server.url, s.learner_token, "player")
            assert player.open(item)["ok"]
            watching_since = time.monotonic()
            player.play(3)
            acked_before = player.acked_ms()
            assert acked_before >= 1500, player.acks
            with closing(live.client()) as client:
                assert client.exists(f"{PREFIX}:live:{player.session_id}")

            live.kill()
            with ThreadPoolExecutor(max_workers=1) as pool:
                during = pool.submit(_beat_through_outage, player)
                time.sleep(0.5 * INTERVAL_S)  # Redis stays down a while after that heartbeat
                live.start()
                live.wait_ready()
                outage_ack = during.result(timeout=30)
            assert server.running, server.output()
            assert s.ledger.item_credit_ms(s.learner_id) >= acked_before

            # Keep playing; a session that lapsed during the outage is opened again.
            credit_then = s.ledger.item_credit_ms(s.learner_id)
            credited_beats = 0
            deadline = time.monotonic() + 20
            while credited_beats < 2:
                assert time.monotonic() < deadline, (outage_ack, player.acks)
                time.sleep(INTERVAL_S)
                ack = player.beat()
                if ack["ok"]:
                    credited_beats += ms(ack["delta_s"]) > 0
                    continue
                assert ack["error"] == "session_expired", (outage_ack, ack)
                reopened = player.open(item)
                assert reopened["ok"], reopened
            with closing(live.client()) as client:
                assert client.exists(f"{PREFIX}:live:{player.session_id}")

            credited = s.ledger.item_credit_ms(s.learner_id)
            assert credited > credit_then
            assert credited <= (time.monotonic() - watching_since) * 1000
            # Every acked credit is in the ledger; only the outage beat may be booked unacked.
            acked = player.acked_ms()
            unacked_allowance = 0 if outage_ack["ok"] else 2 * INTERVAL_S * 1000
            assert acked <= credited <= acked + unacked_allowance, (credited, outage_ack)
            totals = s.ledger.totals(s.learner_id)
            assert totals == dict.fromkeys(totals, credited)

"""Two server processes behind nginx (deploy/nginx.conf): the one-open rule holds across them."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from servers import Processes, site

from deploy.local import NGINX, NginxProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def nginx(request: pytest.FixtureRequest) -> str:
    if not os.access(NGINX, os.X_OK):
        root_conftest = request.config.pluginmanager.get_plugin(
            str(Path(__file__).resolve().parents[1] / "conftest.py")
        )
        root_conftest.service_unavailable("nginx is not installed (scripts/setup-proxy)")
    return NGINX


def test_players_through_the_proxy_land_on_both_processes_and_one_open_rule_holds(
    nginx: str, postgres_schema_url: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    prefix = redis_prefix
    with (
        Processes() as processes,
        site(
            processes, postgres_schema_url, ["A", "B"], redis_url=redis_url, redis_prefix=prefix
        ) as s,
    ):
        proxy = processes.nginx("nginx", [server.port for server in s.servers], tmp_path / "nginx")
        first, second = s.items
        # Round robin: the two websockets go to different processes (checked at the end:
        # nginx logs a websocket when it closes).
        one = s.connect(proxy.url, s.learner_token, "one")
        two = s.connect(proxy.url, s.learner_token, "two")
        opened = one.open(first)
        assert opened["ok"], opened
        one.play(2)
        assert two.open(second)["ok"]
        event = one.wait_superseded(opened["session_id"], timeout=5)
        assert event == {"session_id": opened["session_id"], "by_courseware_id": second}
        refused = one.beat()
        assert refused["ok"] is False
        assert refused["error"] == "session_superseded"
        assert s.ledger.open_sessions(s.learner_id) == 1
        two.play(2)
        totals = s.ledger.totals(s.learner_id)
        assert totals == dict.fromkeys(totals, one.acked_ms() + two.acked_ms())
        one.close()
        two.close()
        assert sorted(upgrades(proxy)) == sorted(f"127.0.0.1:{srv.port}" for srv in s.servers)


def upgrades(proxy: NginxProcess, wait_s: float = 5.0) -> list[str]:
    """The upstream of every websocket the proxy has logged (waiting for both to be)."""
    deadline = time.monotonic() + wait_s
    while True:
        found = [
            match.group(1)
            for line in proxy.access_log()
            if "/socket.io/" in line and '" 101 ' in line
            for match in [re.search(r"upstream=([\d.:]+)", line)]
            if match
        ]
        if len(found) >= 2 or time.monotonic() > deadline:
            return found
        time.sleep(0.05)

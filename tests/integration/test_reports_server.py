"""Unit reports on a real gevent server over PostgreSQL, where a report reads on two connections."""

from __future__ import annotations

import pytest
from servers import Processes, api, login, site

pytestmark = [pytest.mark.postgres]


def test_a_live_servers_unit_report_agrees_with_the_archive(postgres_schema_url: str) -> None:
    """The report's second connection works under gevent, and its figures are the archive's."""
    with Processes() as processes, site(processes, postgres_schema_url, ["S"], items=1) as s:
        (server,) = s.servers
        (item,) = s.items
        admin, _ = login(server.url, "admin")
        status, unit = api(server.url, "POST", "/units", {"name": "研究所"}, admin)
        assert status == 201, unit
        status, body = api(
            server.url, "PATCH", f"/users/{s.learner_id}", {"unit_id": unit["id"]}, admin
        )
        assert status == 200, body
        player = s.connect(server.url, s.learner_token)
        assert player.open(item)["ok"]
        player.play(3)
        player.close()

        status, archive = api(server.url, "GET", f"/archive?user_id={s.learner_id}", None, admin)
        assert status == 200, archive
        year = archive["from"][:4]
        status, report = api(
            server.url, "GET", f"/reports/units/{unit['id']}?year={year}", None, admin
        )
        assert status == 200, report
        (row,) = report["rows"]
        assert row["effective_s"] == archive["effective_s"] == player.acked_ms() / 1000
        assert row["effective_s"] > 0
        assert row["total_s"] == archive["total_s"]

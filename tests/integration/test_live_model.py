"""A stateful model of live crediting: random opens, heartbeats, closes, reconnects, clock jumps.

Hypothesis drives several users, each with several tabs (sockets), through the `/player`
protocol against the app (SQLite, the test clock), and after every step checks what must
always hold: no user is credited more than the wall time that passed while it watched, no
item beyond its cap, no year beyond the online cap, at most one live session per user, and
the running totals equal the ledger.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from tests.integration.conftest import INTERVAL_S, Player, token_for
from tracker.extensions import db, socketio

USERS, TABS = 2, 2
YEAR_CAP_H = 0.01  # 36 s: reached within an example
ITEMS = [("video", 0.004), ("document", 0.008), ("video", 1.0)]  # (kind, hours limit)
# 40 s before New Year in the organisation's time zone (Asia/Shanghai): examples cross it.
START = datetime(2026, 12, 31, 15, 59, 20, tzinfo=UTC)
JUMPS_S = [1, 5, INTERVAL_S, INTERVAL_S, 15, 2 * INTERVAL_S, 2 * INTERVAL_S + 1, 300]
BACK_S = [1, 5, INTERVAL_S, 120]
UNLIMITED = 10**9


@pytest.fixture
def app(make_app, tmp_path: Path):
    """SQLite; a rule set whose online cap is small enough to reach; no limits, never busy."""
    rules = tmp_path / "rules"
    rules.mkdir()
    source = Path(__file__).resolve().parents[2] / "rules"
    for path in source.glob("*.toml"):
        (rules / path.name).write_text(path.read_text())
    cas = rules / "cas-2016.toml"
    cas.write_text(cas.read_text().replace("\nhours = 50\n", f"\nhours = {YEAR_CAP_H}\n", 1))
    assert f"hours = {YEAR_CAP_H}" in cas.read_text()
    return make_app(
        f"sqlite:///{tmp_path / 'model.db'}",
        RULES_DIR=str(rules),
        SOCKET_EVENT_BURST=UNLIMITED,
        USER_EVENT_BURST=UNLIMITED,
        SOCKETS_PER_USER=TABS + 1,
        # Never busy: how long a batch waits is real time on a shared machine, which would
        # make examples irreproducible (overload is tested in test_player_overload.py).
        BUSY_WAIT_MS=UNLIMITED,
    )


def rows(app, sql: str, **params: Any) -> list[Any]:
    """The rows of a read-only query."""
    with app.app_context():
        return list(db.session.execute(text(sql), params))


def test_live_crediting_keeps_its_invariants(app, client, make_user, make_courseware, clock):
    items = [make_courseware(hours_limit=h, kind=k, title=f"{k} {h}") for k, h in ITEMS]
    runs = itertools.count()
    sockets = []

    class LiveModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clock.now = START
            run = next(runs)
            self.users = [make_user(f"m{run}u{n}") for n in range(USERS)]
            self.tokens = {}
            for n, user_id in enumerate(self.users):
                self.tokens[user_id] = token_for(client, f"m{run}u{n}")
            self.tabs = [(u, self._connect(u)) for u in self.users for _ in range(TABS)]
            self.item_of: dict[int, int] = {}  # tab -> the item it opened last
            self.wall_s = 0.0  # real time that passed: forward moves of the clock
            self.first_open: dict[int, float] = {}  # user -> wall time of its first open

        def _follow(self, tab: int, ack: dict[str, Any]) -> None:
            """Do what the browser player does with a refusal: open again, or stop."""
            if ack["ok"]:
                return
            _user, player = self.tabs[tab]
            if ack["error"] == "session_superseded":
                player.session_id = None
                return
            assert ack["error"] in {"session_expired", "session_closed"}, ack
            reopened = player.open(self.item_of[tab])
            assert reopened["ok"], reopened

        def _connect(self, user_id: int) -> Player:
            socket = socketio.test_client(
                app, namespace="/player", auth={"token": self.tokens[user_id]}
            )
            assert socket.is_connected("/player")
            sockets.append(socket)
            return Player(socket)

        tab = st.integers(0, USERS * TABS - 1)

        @rule(tab=tab, item=st.sampled_from(range(len(ITEMS))))
        def open_item(self, tab: int, item: int) -> None:
            user_id, player = self.tabs[tab]
            ack = player.open(items[item])
            assert ack["ok"], ack
            self.item_of[tab] = items[item]
            self.first_open.setdefault(user_id, self.wall_s)

        @precondition(lambda self: any(p.session_id for _, p in self.tabs))
        @rule(
            tab=tab,
            state=st.sampled_from(["playing", "playing", "paused", "ended"]),
            visible=st.booleans(),
            advance=st.sampled_from([0.0, 1.0, INTERVAL_S, 2 * INTERVAL_S, 600.0, -5.0]),
            rate=st.sampled_from([1.0, 1.0, 0.5, 2.0, 16.0]),
        )
        def heartbeat(self, tab: int, state: str, visible: bool, advance: float, rate: float):
            _user, player = self.tabs[tab]
            if player.session_id is None:
                return
            advance = max(advance, -player.position)  # a seek back, never before the start
            ack = player.beat(state=state, visible=visible, advance=advance, rate=rate)
            self._follow(tab, ack)

        @precondition(lambda self: any(p.session_id for _, p in self.tabs))
        @rule(tab=tab)
        def replay(self, tab: int) -> None:
            """The last heartbeat again (same seq): it must change nothing."""
            _user, player = self.tabs[tab]
            if player.session_id is None or player.seq == 0:
                return
            player.seq -= 1
            ack = player.beat(advance=INTERVAL_S)
            assert not ack["ok"] or ack["delta_s"] == 0, ack

        @precondition(lambda self: any(p.session_id for _, p in self.tabs))
        @rule(tab=tab, final=st.booleans())
        def close_item(self, tab: int, final: bool) -> None:
            _user, player = self.tabs[tab]
            if player.session_id is None:
                return
            extra = {}
            if final:
                player.seq += 1
                player.position += INTERVAL_S
                extra = {"seq": player.seq, "state": "playing", "visible": True}
                extra |= {"position": player.position, "rate": 1.0}
            ack = player.close(**extra)
            assert ack["ok"] or ack["error"].startswith("session_"), ack
            player.session_id = None

        @rule(tab=tab)
        def reconnect(self, tab: int) -> None:
            """The tab's socket drops and a new one carries on with the same session."""
            user_id, old = self.tabs[tab]
            old.socket.disconnect(namespace="/player")
            new = self._connect(user_id)
            new.session_id, new.seq, new.position = old.session_id, old.seq, old.position
            self.tabs[tab] = (user_id, new)

        @precondition(lambda self: any(p.session_id for _, p in self.tabs))
        @rule(seconds=st.sampled_from([1, INTERVAL_S, INTERVAL_S, 15, 2 * INTERVAL_S]))
        def everyone_watches(self, seconds: int) -> None:
            """Time passes while every open tab plays, then each sends its next heartbeat."""
            self.time_passes(seconds)
            for tab, (_user, player) in enumerate(self.tabs):
                if player.session_id is not None:
                    self.heartbeat(tab, "playing", True, float(seconds), 1.0)

        @rule(seconds=st.sampled_from(JUMPS_S))
        def time_passes(self, seconds: int) -> None:
            clock.advance(seconds)
            self.wall_s += seconds

        @rule(seconds=st.sampled_from(BACK_S))
        def clock_is_set_back(self, seconds: int) -> None:
            """The server's clock is corrected backwards: no real time passes."""
            clock.advance(-seconds)

        # --------------------------------------------------------------- invariants

        def _ids(self) -> str:
            return ",".join(str(u) for u in self.users)

        @invariant()
        def credit_within_wall_time(self) -> None:
            for user_id, live_ms, raw_ms in rows(
                app,
                "select user_id, coalesce(sum(live_ms), 0), coalesce(sum(raw_ms), 0)"
                f" from watch_sessions where user_id in ({self._ids()}) group by user_id",
            ):
                watched_ms = (self.wall_s - self.first_open[user_id]) * 1000
                assert raw_ms <= live_ms <= watched_ms, (user_id, live_ms, watched_ms)

        @invariant()
        def within_item_caps(self) -> None:
            for user_id, item, credited, cap_h in rows(
                app,
                "select p.user_id, p.courseware_id, p.credited_ms, c.hours_limit"
                " from item_progress p join courseware c on c.id = p.courseware_id"
                f" where p.user_id in ({self._ids()})",
            ):
                assert credited <= round(float(cap_h) * 3_600_000), (user_id, item, credited)

        @invariant()
        def within_year_caps(self) -> None:
            for user_id, year, effective in rows(
                app,
                "select user_id, year, effective_ms from online_year_totals"
                f" where user_id in ({self._ids()})",
            ):
                assert effective <= YEAR_CAP_H * 3_600_000, (user_id, year, effective)

        @invariant()
        def one_live_session_per_user(self) -> None:
            for user_id, live in rows(
                app,
                "select user_id, count(*) from watch_sessions where ended_at is null"
                f" and user_id in ({self._ids()}) group by user_id",
            ):
                assert live <= 1, (user_id, live)

        @invariant()
        def running_totals_equal_the_ledger(self) -> None:
            ids = self._ids()
            ledger: dict[str, dict[Any, tuple[int, int]]] = defaultdict(dict)
            for kind, key_a, key_b, raw, effective in rows(
                app,
                "select 'item', user_id, courseware_id, sum(raw_ms), sum(effective_ms)"
                f" from session_credits where user_id in ({ids}) group by user_id, courseware_id"
                " union all select 'year', user_id, year, sum(raw_ms), sum(effective_ms)"
                f" from session_credits where user_id in ({ids}) group by user_id, year"
                " union all select 'session', session_id, 0, sum(raw_ms), sum(effective_ms)"
                f" from session_credits where user_id in ({ids}) group by session_id",
            ):
                ledger[kind][(key_a, key_b)] = (raw, effective)
            items_ = {
                (u, c): credited
                for u, c, credited in rows(
                    app,
                    "select user_id, courseware_id, credited_ms from item_progress"
                    f" where user_id in ({ids}) and credited_ms > 0",
                )
            }
            assert items_ == {k: raw for k, (raw, _e) in ledger["item"].items() if raw}
            years = {
                (u, y): (raw, effective)
                for u, y, raw, effective in rows(
                    app,
                    "select user_id, year, raw_ms, effective_ms from online_year_totals"
                    f" where user_id in ({ids}) and raw_ms > 0",
                )
            }
            assert years == {k: v for k, v in ledger["year"].items() if v[0]}
            sessions = {
                (s, 0): (raw, effective)
                for s, raw, effective in rows(
                    app,
                    "select id, raw_ms, effective_ms from watch_sessions"
                    f" where user_id in ({ids}) and raw_ms > 0",
                )
            }
            assert sessions == {k: v for k, v in ledger["session"].items() if v[0]}

        def teardown(self) -> None:
            for _user, player in self.tabs:
                if player.socket.is_connected("/player"):
                    player.socket.disconnect(namespace="/player")

    try:
        run_state_machine_as_test(
            LiveModel,
            settings=settings(
                max_examples=20,
                stateful_step_count=40,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        for socket in sockets:
            if socket.is_connected("/player"):
                socket.disconnect(namespace="/player")

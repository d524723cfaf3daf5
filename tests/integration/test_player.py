"""The `/player` protocol end to end through Socket.IO, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from tests.integration.conftest import INTERVAL_S, PASSWORD
from tracker.extensions import db, socketio
from tracker.models import ItemProgress, OnlineYearTotal, SessionCredit, User, WatchSession
from tracker.services.accounts import save_user


@pytest.fixture
def ann(make_user):
    return make_user("ann")


@pytest.fixture
def video(make_courseware):
    return make_courseware(hours_limit=2, kind="video", title="Video")


def watch(player, clock, seconds: int, step: int = INTERVAL_S, **beat):
    """Play for `seconds` of server time, one heartbeat per `step`; return the last ack."""
    ack = None
    for _ in range(seconds // step):
        clock.advance(step)
        ack = player.beat(advance=step, **beat)
        assert ack["ok"], ack
    return ack


def start(player, clock, item):
    assert player.open(item)["ok"]
    first = player.beat()
    assert first["ok"]
    assert first["delta_s"] == 0
    return first


# --- connecting -----------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [None, {}, {"token": "forged"}, {"token": 42}, "token"])
def test_connect_without_a_valid_identity_is_refused(app, auth):
    socket = socketio.test_client(app, namespace="/player", auth=auth)
    assert not socket.is_connected("/player")


def test_token_is_revoked_when_the_password_changes(app, client, ann):
    token = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD})
    with app.app_context():
        save_user("ann", "a new password!", "learner")
    socket = socketio.test_client(app, namespace="/player", auth={"token": token.json["token"]})
    assert not socket.is_connected("/player")


def test_browser_cookie_session_connects(app, client, ann, video):
    response = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 302
    socket = socketio.test_client(app, namespace="/player", flask_test_client=client)
    assert socket.is_connected("/player")
    ack = socket.emit("open", {"courseware_id": video}, namespace="/player", callback=True)
    assert ack["ok"]
    assert ack["item"]["cap_s"] == 7200
    socket.disconnect(namespace="/player")


# --- crediting ------------------------------------------------------------------------------


def test_open_reports_interval_caps_and_year(app, ann, video, connect, clock):
    ack = connect("ann").open(video)
    assert ack["ok"]
    assert len(ack["session_id"]) == 32
    assert ack["heartbeat_interval_s"] == INTERVAL_S
    assert ack["item"] == {"courseware_id": video, "credited_s": 0, "cap_s": 7200}
    assert ack["year"] == {
        "year": 2026,
        "online_effective_s": 0,
        "online_raw_s": 0,
        "online_cap_s": 50 * 3600,
    }
    assert ack["status"] == "not_recording"


def test_playing_and_visible_time_is_credited_by_the_server_clock(app, ann, video, connect, clock):
    player = connect("ann")
    start(player, clock, video)
    ack = watch(player, clock, 60)
    assert ack["status"] == "recording"
    assert ack["item"]["credited_s"] == 60
    assert ack["year"]["online_effective_s"] == 60


@pytest.mark.parametrize(
    "beat",
    [
        {"state": "paused"},
        {"state": "ended"},
        {"visible": False},
        {"state": "playing", "advance": 0},  # stalled: the media did not move
    ],
    ids=["paused", "ended", "hidden", "stalled"],
)
def test_time_that_is_not_live_earns_nothing(app, ann, video, connect, clock, beat):
    player = connect("ann")
    start(player, clock, video)
    watch(player, clock, 20)
    advance = beat.pop("advance", INTERVAL_S)
    clock.advance(INTERVAL_S)
    player.beat(advance=advance, **beat)  # the transition beat (may earn what really played)
    credited = None
    for _ in range(4):
        clock.advance(INTERVAL_S)
        ack = player.beat(advance=advance if advance == 0 else 0, **beat)
        assert ack["ok"]
        assert ack["delta_s"] == 0
        credited = credited or ack["item"]["credited_s"]
        assert ack["item"]["credited_s"] == credited
        assert ack["status"] == "not_recording" or "advance" not in beat


def test_playback_speed_never_multiplies_credit(app, ann, video, connect, clock):
    player = connect("ann")
    start(player, clock, video)
    clock.advance(INTERVAL_S)
    ack = player.beat(advance=4 * INTERVAL_S, rate=4.0)
    assert ack["delta_s"] == INTERVAL_S


def test_replayed_heartbeat_is_ignored(app, ann, video, connect, clock):
    player = connect("ann")
    start(player, clock, video)
    first = watch(player, clock, INTERVAL_S)
    clock.advance(INTERVAL_S)
    payload = {
        "session_id": player.session_id,
        "seq": player.seq,
        "state": "playing",
        "visible": True,
        "position": player.position + INTERVAL_S,
    }
    replay = player.call("heartbeat", payload)
    assert replay["ok"]
    assert not replay["accepted"]
    assert replay["delta_s"] == 0
    assert replay["item"]["credited_s"] == first["item"]["credited_s"]


def test_lapsed_session_expires_and_reopening_starts_fresh(app, ann, video, connect, clock):
    player = connect("ann")
    start(player, clock, video)
    watch(player, clock, 20)
    clock.advance(2 * INTERVAL_S + 1)
    ack = player.beat(advance=2 * INTERVAL_S + 1)
    assert ack == {"ok": False, "error": "session_expired", "message": ack["message"]}
    assert ack["message"]
    start(player, clock, video)
    assert watch(player, clock, 20)["item"]["credited_s"] == 40


def test_item_cap_stops_credit(app, ann, make_courseware, connect, clock):
    item = make_courseware(hours_limit=0.01)  # 36 s
    player = connect("ann")
    start(player, clock, item)
    ack = watch(player, clock, 60)
    assert ack["status"] == "item_cap_reached"
    assert ack["item"]["credited_s"] == 36
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["delta_s"] == 0


def test_lowering_the_limit_keeps_what_was_credited(
    app, client, make_user, video, connect, clock, auth_headers
):
    make_user("boss", role="admin")
    make_user("ann")
    player = connect("ann")
    start(player, clock, video)
    watch(player, clock, 60)
    response = client.patch(
        f"/api/v1/courseware/{video}", json={"hours_limit": 0.01}, headers=auth_headers("boss")
    )
    assert response.status_code == 200
    clock.advance(INTERVAL_S)
    ack = player.beat(advance=INTERVAL_S)
    assert ack["status"] == "item_cap_reached"
    assert ack["item"] == {"courseware_id": video, "credited_s": 60, "cap_s": 36}


def test_close_credits_a_final_beat_and_is_idempotent(app, ann, video, connect, clock):
    player = connect("ann")
    start(player, clock, video)
    clock.advance(5)
    ack = player.close(seq=player.seq + 1, state="paused", visible=True, position=5.0)
    assert ack["ok"]
    assert ack["delta_s"] == 5
    assert ack["status"] == "not_recording"
    again = player.close()
    assert again["ok"]
    assert again["delta_s"] == 0
    assert again["item"]["credited_s"] == 5
    assert player.beat(advance=1)["error"] == "session_closed"


def test_reconnected_socket_resumes_without_crediting_the_gap(app, ann, video, connect, clock):
    first = connect("ann")
    start(first, clock, video)
    watch(first, clock, 20)
    first.socket.disconnect(namespace="/player")
    second = connect("ann")
    second.session_id, second.seq, second.position = first.session_id, first.seq, first.position
    clock.advance(INTERVAL_S)
    ack = second.beat(advance=INTERVAL_S)
    assert ack["ok"]
    assert ack["delta_s"] == 0
    assert watch(second, clock, 10)["item"]["credited_s"] == 30


def test_replay_from_a_new_socket_does_not_credit_the_gap(app, ann, video, connect, clock):
    first = connect("ann")
    start(first, clock, video)
    watch(first, clock, 20)
    first.socket.disconnect(namespace="/player")
    second = connect("ann")
    second.session_id, second.seq, second.position = first.session_id, first.seq, first.position
    second.seq -= 1  # the first thing the new socket sends is a replay
    clock.advance(INTERVAL_S)
    assert second.beat(advance=INTERVAL_S)["accepted"] is False
    clock.advance(INTERVAL_S)
    assert second.beat(advance=INTERVAL_S)["delta_s"] == 0
    assert watch(second, clock, 10)["item"]["credited_s"] == 30


def test_session_of_another_user_is_not_found(app, make_user, video, connect, clock):
    make_user("ann")
    make_user("bob")
    ann = connect("ann")
    start(ann, clock, video)
    bob = connect("bob")
    bob.session_id = ann.session_id
    assert bob.beat()["error"] == "session_not_found"


def test_deactivated_user_stops_being_credited(app, ann, video, connect, clock):
    player = connect("ann")
    start(player, clock, video)
    with app.app_context():
        db.session.execute(update(User).where(User.id == ann).values(active=False))
        db.session.commit()
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["error"] == "account_disabled"


# --- one open courseware at a time ----------------------------------------------------------


def test_opening_elsewhere_supersedes_and_notifies(
    app, ann, video, make_courseware, connect, clock
):
    other = make_courseware(title="Other")
    laptop, phone = connect("ann"), connect("ann")
    start(laptop, clock, video)
    watch(laptop, clock, 20)
    laptop.received()
    assert phone.open(other)["ok"]
    events = laptop.received()
    assert events == [
        {
            "name": "superseded",
            "namespace": "/player",
            "args": [{"session_id": laptop.session_id, "by_courseware_id": other}],
        }
    ]
    clock.advance(INTERVAL_S)
    assert laptop.beat(advance=INTERVAL_S)["error"] == "session_superseded"
    phone.beat()
    assert watch(phone, clock, 20)["item"]["credited_s"] == 20


def test_alternating_two_items_never_beats_the_wall_clock(
    app, ann, video, make_courseware, connect, clock
):
    other = make_courseware(title="Other")
    tab_a, tab_b = connect("ann"), connect("ann")
    opened_at = clock.now
    for _ in range(6):
        for tab, item in ((tab_a, video), (tab_b, other)):
            assert tab.open(item)["ok"]
            tab.beat()
            watch(tab, clock, 20)
            for sleeping in (tab_a, tab_b):  # the superseded tab keeps trying
                if sleeping is not tab and sleeping.session_id:
                    clock.advance(1)
                    assert sleeping.beat(advance=INTERVAL_S)["error"] == "session_superseded"
    wall_s = (clock.now - opened_at).total_seconds()
    with app.app_context():
        credited_ms = db.session.scalar(select(func.sum(ItemProgress.credited_ms)))
    assert credited_ms / 1000 <= wall_s


# --- year cap, New Year and the ledger ------------------------------------------------------


@pytest.fixture
def tiny_year_cap(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "tiny.toml").write_text(
        'id = "tiny"\ntitle = "Tiny"\nhours_per_day = 8\n[target]\nhours = 1\nleader_hours = 1\n'
        '[[caps]]\nname = "online"\nkinds = ["online", "external_online"]\nhours = 0.01\n',
        encoding="utf-8",
    )
    return {"RULES_DIR": str(rules), "RULE_SET": "tiny"}


def test_year_cap_stops_effective_but_keeps_raw(make_app, database_url, tiny_year_cap, clock):
    app = make_app(database_url, **tiny_year_cap)
    with app.app_context():
        save_user("ann", PASSWORD, "learner")
        from tracker.services.courseware import create_courseware

        item = create_courseware({"title": "V", "kind": "video", "hours_limit": 1}).id
    from tests.integration.conftest import Player, token_for

    socket = socketio.test_client(
        app, namespace="/player", auth={"token": token_for(app.test_client(), "ann")}
    )
    player = Player(socket)
    start(player, clock, item)
    ack = watch(player, clock, 60)
    assert ack["status"] == "year_cap_reached"
    assert ack["year"]["online_effective_s"] == 36
    assert ack["year"]["online_raw_s"] == 60
    assert ack["item"]["credited_s"] == 60
    socket.disconnect(namespace="/player")


def test_unit_rule_set_applies(app, make_user, video, connect, clock):
    with app.app_context():
        from tracker.services import transaction
        from tracker.services.accounts import ensure_unit

        with transaction():
            ensure_unit("常州分中心", rule_set_id="changzhou-2011")
    make_user("chen", unit="常州分中心")
    assert connect("chen").open(video)["year"]["online_cap_s"] is None


def test_session_across_new_year_credits_each_year(app, ann, video, connect, clock):
    clock.now = datetime(2026, 12, 31, 15, 59, 50, tzinfo=UTC)  # 23:59:50 in Beijing
    player = connect("ann")
    start(player, clock, video)
    ack = watch(player, clock, 20)
    assert ack["year"]["year"] == 2027
    assert ack["year"]["online_effective_s"] == 10
    with app.app_context():
        rows = db.session.execute(
            select(SessionCredit.year, SessionCredit.day, SessionCredit.raw_ms)
        ).all()
        totals = dict(
            db.session.execute(select(OnlineYearTotal.year, OnlineYearTotal.raw_ms)).all()
        )
    # Each year's part is dated within its year: the local opening day, then 1 January.
    assert sorted(rows) == [(2026, date(2026, 12, 31), 10_000), (2027, date(2027, 1, 1), 10_000)]
    assert totals == {2026: 10_000, 2027: 10_000}


def test_running_totals_agree_with_the_ledger(
    app, make_user, video, make_courseware, connect, clock
):
    make_user("ann")
    other = make_courseware(title="Other", hours_limit=0.01)
    player = connect("ann")
    for item, seconds in ((video, 50), (other, 60), (video, 30)):
        start(player, clock, item)
        watch(player, clock, seconds)
    with app.app_context():
        by_item = dict(
            db.session.execute(
                select(SessionCredit.courseware_id, func.sum(SessionCredit.raw_ms)).group_by(
                    SessionCredit.courseware_id
                )
            ).all()
        )
        progress = dict(
            db.session.execute(select(ItemProgress.courseware_id, ItemProgress.credited_ms)).all()
        )
        sessions = db.session.scalars(select(WatchSession).order_by(WatchSession.opened_at)).all()
    assert progress == by_item == {video: 80_000, other: 36_000}
    assert [s.end_reason for s in sessions] == ["superseded", "superseded", None]
    assert [s.live_ms for s in sessions] == [50_000, 60_000, 30_000]


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("open", None),
        ("open", []),
        ("open", {}),
        ("open", {"courseware_id": "one"}),
        ("open", {"courseware_id": -3}),
        ("heartbeat", {"seq": 1}),
        ("heartbeat", {"session_id": "x" * 32, "seq": 1, "state": "playing", "visible": True}),
        ("heartbeat", "{bad json"),
        ("close", {"session_id": 7}),
    ],
)
def test_bad_payload_gets_a_clear_error_and_changes_nothing(
    app, ann, video, connect, clock, event, payload
):
    player = connect("ann")
    start(player, clock, video)
    ack = player.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"] == "bad_payload"
    assert ack["message"]
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["delta_s"] == INTERVAL_S


@pytest.mark.parametrize(
    "beat",
    [
        {"state": "rewinding"},
        {"visible": "yes"},
        {"position": -1},
        {"position": float("nan")},
        {"rate": 0},
        {"rate": 1e9},
        {"seq": -1},
    ],
)
def test_bad_heartbeat_fields_are_refused(app, ann, video, connect, clock, beat):
    player = connect("ann")
    start(player, clock, video)
    clock.advance(INTERVAL_S)
    ack = player.beat(advance=INTERVAL_S, **beat)
    assert ack["error"] == "bad_payload"
    assert ack["details"]


def test_unknown_courseware(app, ann, connect):
    ack = connect("ann").open(999)
    assert ack["error"] == "courseware_not_found"

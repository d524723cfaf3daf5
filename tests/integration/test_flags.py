"""Flags for review and no hour counted twice, over the real ledger: scan, queue, decisions."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count as counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from tests.integration.conftest import PASSWORD, assert_error, token_for
from tracker.core.rules import hours_to_ms
from tracker.extensions import db, socketio
from tracker.models import (
    AuditEntry,
    Flag,
    SessionCredit,
    TakenBack,
    Training,
    TrainingParticipant,
    User,
    WatchSession,
)
from tracker.services.accounts import save_user
from tracker.services.flags import scan, scan_people

H = hours_to_ms(1)
BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)
_ids = counter(1)


def local(hour: float, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING) + timedelta(hours=hour)


def watched(app, user_id: int, item: int, start: float, end: float, **more) -> str:
    """A closed session credited for all of its wall time (the ledger as the player leaves it)."""
    session_id = f"{next(_ids):032x}"
    opened, last = local(start), local(end)
    ms = round((last - opened) / timedelta(milliseconds=1))
    with app.app_context():
        db.session.add(
            WatchSession(
                id=session_id,
                user_id=user_id,
                courseware_id=item,
                opened_at=opened,
                last_beat_at=last,
                ended_at=last,
                end_reason="closed",
                live_ms=ms,
                raw_ms=ms,
                effective_ms=ms,
                **more,
            )
        )
        db.session.flush()
        db.session.add(
            SessionCredit(
                session_id=session_id,
                year=2026,
                user_id=user_id,
                courseware_id=item,
                day=opened.astimezone(BEIJING).date(),
                raw_ms=ms,
                effective_ms=ms,
            )
        )
        db.session.commit()
    return session_id


def trained(app, user_id: int, day: date = DAY, hours: float = 8) -> int:
    """A one-day training the person attended, confirmed and credited."""
    with app.app_context():
        training = Training(
            title="Safety day",
            category="safety",
            organizer="HR",
            location="Hall",
            start_date=day,
            end_date=day,
            days=Decimal(1),
            hours_ms=hours_to_ms(hours),
            rule_set_id="cas-2016",
        )
        db.session.add(training)
        db.session.flush()
        db.session.add(
            TrainingParticipant(
                training_id=training.id,
                user_id=user_id,
                status="confirmed",
                credited_ms=hours_to_ms(hours),
            )
        )
        db.session.commit()
        return training.id


def scanned(app, year: int = 2026):
    with app.app_context():
        return scan(year)


@pytest.fixture
def people(make_user, auth_headers, make_courseware):
    """ann (unit Lab) and bob (unit Other), the organisation's admin root, Lab's admin lab."""
    ids = {
        "ann": make_user("ann", unit="Lab"),
        "bob": make_user("bob", unit="Other"),
        "root": make_user("root", role="admin"),
        "lab": make_user("lab", role="admin", unit="Lab"),
    }
    headers = {name: auth_headers(name) for name in ids}
    return ids, headers, make_courseware(hours_limit=20)


def archive_online(client, headers) -> tuple[float, list[dict]]:
    body = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=headers).json
    return body["by_kind"]["online"]["raw_s"], body["items"]


def test_a_long_day_is_flagged_reviewed_and_deducted_in_the_archive(app, client, people):
    ids, headers, item = people
    first = watched(app, ids["ann"], item, 8, 13)
    second = watched(app, ids["ann"], item, 13.5, 19.5)
    assert scanned(app).flags_open == 1

    queue = client.get("/api/v1/flags", headers=headers["root"]).json
    assert queue["total"] == 1
    flag = queue["items"][0]
    assert (flag["rule"], flag["status"], flag["username"]) == ("long_day", "open", "ann")
    assert flag["figure_s"] == 11 * 3600
    sessions = {s["session"] for s in flag["evidence"]["sessions"]}
    assert sessions == {f"session:{first}", f"session:{second}"}
    mine = client.get("/api/v1/flags/mine", headers=headers["ann"]).json["items"]
    assert [(f["id"], f["status"]) for f in mine] == [(flag["id"], "open")]

    raw_before, _ = archive_online(client, headers["ann"])
    decision = {"decision": "deduct", "hours": 1.5, "note": "Player left running at lunch"}
    decided = client.post(
        f"/api/v1/flags/{flag['id']}/review", json=decision, headers=headers["lab"]
    )
    assert decided.status_code == 200, decided.json
    assert (decided.json["status"], decided.json["deducted_hours"]) == ("deducted", 1.5)
    assert decided.json["deducted_kind"] == "online"

    raw_after, items = archive_online(client, headers["ann"])
    assert raw_after == raw_before - 1.5 * 3600
    line = next(i for i in items if i["source"] == "taken_back")
    assert (line["raw_s"], line["effective_s"], line["category"]) == (-5400, -5400, "deduction")
    assert "Player left running at lunch" in line["title"]
    mine = client.get("/api/v1/flags/mine", headers=headers["ann"]).json["items"]
    assert (mine[0]["status"], mine[0]["note"]) == ("deducted", "Player left running at lunch")
    notices = client.get("/api/v1/notices", headers=headers["ann"]).json
    notices = notices["items"] if isinstance(notices, dict) else notices
    told = [n for n in notices if n["kind"] == "flag_deducted"]
    assert len(told) == 1
    assert "Player left running at lunch" in told[0]["body"]
    assert "1 小时 30 分" in told[0]["body"]  # in the reader's language: Chinese first

    again = client.post(
        f"/api/v1/flags/{flag['id']}/review", json=decision, headers=headers["root"]
    )
    assert_error(again, 409, "flag_decided")
    with app.app_context():
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "flag.deduct"))
        assert [(a.actor_id, a.detail["deducted_ms"]) for a in audit] == [(ids["lab"], 5400_000)]
    # A re-scan keeps the decision and the deduction.
    scanned(app)
    with app.app_context():
        assert db.session.scalar(select(Flag.status)) == "deducted"
        assert db.session.scalar(select(TakenBack.ms).where(TakenBack.reason == "deduction")) == (
            5400_000
        )


def test_the_queue_is_the_admins_own_people_only(app, client, people):
    ids, headers, item = people
    watched(app, ids["bob"], item, 8, 19.5)
    scanned(app)
    assert client.get("/api/v1/flags", headers=headers["lab"]).json["total"] == 0
    flag_id = client.get("/api/v1/flags", headers=headers["root"]).json["items"][0]["id"]
    dismiss = {"decision": "dismiss", "note": "fine"}
    refused = client.post(f"/api/v1/flags/{flag_id}/review", json=dismiss, headers=headers["lab"])
    assert_error(refused, 404, "flag_not_found")
    assert_error(
        client.get(f"/api/v1/flags/{flag_id}", headers=headers["ann"]), 404, "flag_not_found"
    )
    assert_error(client.get("/api/v1/flags", headers=headers["ann"]), 403, "forbidden")
    assert client.get(f"/api/v1/flags/{flag_id}", headers=headers["bob"]).status_code == 200
    dismissed = client.post(
        f"/api/v1/flags/{flag_id}/review", json=dismiss, headers=headers["root"]
    )
    assert dismissed.json["status"] == "dismissed"
    assert client.get("/api/v1/flags?status=open", headers=headers["root"]).json["total"] == 0


@pytest.mark.parametrize(
    "decision",
    [
        {"decision": "dismiss", "note": "fine"},
        {"decision": "deduct", "note": "left running", "hours": 1},
    ],
    ids=lambda d: d["decision"],
)
def test_a_unit_admin_sees_the_flag_decisions_about_its_own_people(app, client, people, decision):
    ids, headers, item = people
    for person in ("ann", "bob"):
        watched(app, ids[person], item, 8, 19.5)
    scanned(app)
    flags = client.get("/api/v1/flags", headers=headers["root"]).json["items"]
    flag_of = {f["username"]: f["id"] for f in flags}
    for flag_id in flag_of.values():
        url = f"/api/v1/flags/{flag_id}/review"
        assert client.post(url, json=decision, headers=headers["root"]).status_code == 200
    action = f"flag.{decision['decision']}"
    seen = {
        (e["action"], e["target_type"], e["target_id"])
        for e in client.get("/api/v1/audit", headers=headers["lab"]).json["items"]
    }
    assert (action, "flag", str(flag_of["ann"])) in seen
    assert (action, "flag", str(flag_of["bob"])) not in seen
    browser = app.test_client()
    browser.post("/login", data={"username": "lab", "password": PASSWORD})
    page = browser.get("/admin/audit", headers={"Accept-Language": "en"}).text
    assert f"#flag-{flag_of['ann']}" in page
    assert f"#flag-{flag_of['bob']}" not in page
    everything = client.get("/api/v1/audit", headers=headers["root"]).json["items"]
    assert {e["target_id"] for e in everything if e["action"] == action} == {
        str(flag_of["ann"]),
        str(flag_of["bob"]),
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"decision": "deduct", "note": "x"}, "bad_payload"),
        ({"decision": "dismiss", "note": ""}, "bad_payload"),
        ({"decision": "deduct", "note": "x", "hours": 12}, "bad_payload"),
        ({"decision": "deduct", "note": "x", "hours": -1}, "bad_payload"),
        ({"decision": "deduct", "note": "x", "hours": 1, "kind": "telepathy"}, "bad_payload"),
        ({"decision": "punish", "note": "x"}, "bad_payload"),
    ],
)
def test_bad_decisions_change_nothing(app, client, people, body, code):
    ids, headers, item = people
    watched(app, ids["ann"], item, 8, 19.5)
    scanned(app)
    flag_id = client.get("/api/v1/flags", headers=headers["root"]).json["items"][0]["id"]
    response = client.post(f"/api/v1/flags/{flag_id}/review", json=body, headers=headers["root"])
    assert_error(response, 400, code)
    assert client.get(f"/api/v1/flags/{flag_id}", headers=headers["root"]).json["status"] == "open"


def test_live_time_during_a_training_counts_once(app, client, people):
    """Watching 10:00-12:00 on an 8 h training day: the training keeps those hours (cas-2016),
    the archive shows the 2 h set aside and why, and a reviewer sees a flag."""
    ids, headers, item = people
    session = watched(app, ids["ann"], item, 10, 12)
    watched(app, ids["ann"], item, 19, 20)  # the evening is not an overlap
    training = trained(app, ids["ann"])
    result = scanned(app)
    assert result.set_aside_ms == 2 * H
    raw, items = archive_online(client, headers["ann"])
    assert raw == 3600  # 3 h watched, 2 h of them during the training
    line = next(i for i in items if i["source"] == "taken_back")
    assert (line["raw_s"], line["category"], line["kind"]) == (
        -7200,
        "live_during_training",
        "online",
    )
    assert f"training:{training}" in line["title"]
    flags = client.get("/api/v1/flags/mine", headers=headers["ann"]).json["items"]
    assert [(f["rule"], f["evidence"]["from"]) for f in flags] == [
        ("live_during_training", f"session:{session}")
    ]
    # Scanning again replaces what was set aside rather than adding to it.
    scanned(app)
    assert archive_online(client, headers["ann"])[0] == 3600


def test_two_accounts_on_one_device_at_once_are_both_flagged(app, client, people):
    ids, headers, item = people
    watched(app, ids["ann"], item, 9, 11, device_id="device-0001")
    watched(app, ids["bob"], item, 9.5, 11, device_id="device-0001")
    watched(app, ids["bob"], item, 14, 15, device_id="device-0002")
    scanned(app)
    queue = client.get("/api/v1/flags", headers=headers["root"]).json["items"]
    found = sorted((f["username"], f["rule"], f["evidence"]["other_users"]) for f in queue)
    assert found == [("ann", "shared_client", [ids["bob"]]), ("bob", "shared_client", [ids["ann"]])]


def test_ordinary_learning_raises_nothing(app, client, people):
    ids, _, item = people
    for n in range(5):
        day = DAY + timedelta(days=n)
        watched(app, ids["ann"], item, 19 + 24 * n, 20.5 + 24 * n, device_id="device-0001")
        if n == 2:
            trained(app, ids["ann"], day)
    result = scanned(app)
    assert (result.flags_open, result.set_aside_ms) == (0, 0)


def test_the_scan_command(app, people):
    ids, _, item = people
    watched(app, ids["ann"], item, 8, 19.5)
    result = app.test_cli_runner().invoke(args=["flags", "scan", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "1 flags open" in result.output
    refused = app.test_cli_runner().invoke(args=["flags", "scan", "--year", "nineteen"])
    assert refused.exit_code != 0


def test_the_player_keeps_the_device_and_a_close_scans_the_year(
    app, client, people, connect, clock
):
    _, _, item = people
    player = connect("ann")
    assert player.call("open", {"courseware_id": item, "device_id": "bad id!"})["error"] == (
        "bad_payload"
    )
    assert player.call("open", {"courseware_id": item, "device_id": "device-0001"})["ok"]
    with app.app_context():
        session = db.session.scalar(select(WatchSession))
        assert session.device_id == "device-0001"
    player.session_id = session.id
    for _ in range(3):
        clock.advance(10)
        assert player.beat(advance=10)["ok"]
    clock.advance(10)
    assert player.beat(state="paused")["ok"]
    assert player.close()["ok"]
    with app.app_context():
        session = db.session.get(WatchSession, session.id)
        assert (session.beats, session.breaks, session.streak_ms) == (3, 1, 0)
        assert session.longest_live_ms == 20_000
        assert db.session.scalar(select(Flag)) is None  # scanned, and nothing to flag


def test_behind_a_proxy_the_client_address_is_the_one_it_saw(app, client, people):
    _, _, item = people
    app.config["TRUSTED_PROXIES"] = 1
    socket = socketio.test_client(
        app,
        namespace="/player",
        auth={"token": token_for(client, "ann")},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
    )
    try:
        ack = socket.emit("open", {"courseware_id": item}, namespace="/player", callback=True)
        assert ack["ok"]
    finally:
        socket.disconnect(namespace="/player")
    with app.app_context():
        assert db.session.scalar(select(WatchSession.client_address)) == "203.0.113.7"


def test_the_pages_in_both_languages(app, client, people):
    ids, _, item = people
    watched(app, ids["ann"], item, 10, 12)
    watched(app, ids["ann"], item, 13, 22.5)
    trained(app, ids["ann"])
    scanned(app)
    client.post("/login", data={"username": "root", "password": PASSWORD})
    assert "单日学习时间过长" in client.get("/learning/flags").text  # Chinese first
    client.get("/lang/en")
    queue = client.get("/learning/flags")
    assert queue.status_code == 200
    assert "Long day of watching" in queue.text
    assert "Watching during a training" in queue.text
    with app.app_context():
        flag_id = db.session.scalar(select(Flag.id).where(Flag.rule == "long_day"))
    refused = client.post(f"/learning/flags/{flag_id}", data={"decision": "deduct", "note": "x"})
    assert refused.status_code == 400
    done = client.post(
        f"/learning/flags/{flag_id}",
        data={"decision": "deduct", "hours": "0.5", "note": "Left running over dinner"},
    )
    assert done.status_code == 302
    client.post("/logout")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    client.get("/lang/en")
    mine = client.get("/learning/my-flags")
    assert "Hours deducted" in mine.text
    assert "Left running over dinner" in mine.text
    archive = client.get("/archive?from=2026-01&to=2026-12")
    assert "Time set aside or deducted" in archive.text
    assert "Deducted after review: Left running over dinner" in archive.text
    client.get("/lang/zh_CN")
    assert "我的核查标记" in client.get("/learning/my-flags").text
    assert client.get("/learning/flags").status_code == 403


def test_a_rescan_refreshes_open_flags_and_drops_those_no_longer_found(app, client, people):
    ids, headers, item = people
    watched(app, ids["ann"], item, 8, 19)
    scanned(app)
    watched(app, ids["ann"], item, 19.5, 20.5)
    scanned(app)
    flags = client.get("/api/v1/flags", headers=headers["root"]).json["items"]
    assert [(f["rule"], f["figure_s"]) for f in flags] == [("long_day", 12 * 3600)]
    with app.app_context():
        db.session.execute(update(SessionCredit).values(raw_ms=3_600_000))
        db.session.commit()
    scanned(app)
    assert client.get("/api/v1/flags", headers=headers["root"]).json["total"] == 0


def test_a_full_scan_in_id_ranges_scans_only_whom_it_is_asked(app, people):
    """Past 50 people a chunk reads by id range; people inside the range but not asked for
    are neither flagged nor have their flags dropped."""
    _, _, item = people
    with app.app_context():
        many = [save_user(f"p{n:03d}", PASSWORD, "learner", "Lab").id for n in range(60)]
    watched(app, many[10], item, 8, 19.5)  # asked for: flagged
    watched(app, many[20], item, 8, 19.5)  # inside the range, not asked for: left alone
    with app.app_context():
        result = scan(2026, User.id != many[20])
        assert result.people == 63  # 60 + ann, bob and the two admins, less one
        flagged = db.session.scalars(select(Flag.user_id)).all()
    assert flagged == [many[10]]
    scanned(app)
    with app.app_context():
        assert sorted(db.session.scalars(select(Flag.user_id))) == [many[10], many[20]]
        scan(2026, User.id != many[20])
        assert sorted(db.session.scalars(select(Flag.user_id))) == [many[10], many[20]]


# --- set-asides follow the decisions that change what was credited ---------------------------

CLAIM = {
    "kind": "external_training",
    "title": "Safety course",
    "start_date": DAY.isoformat(),
    "end_date": DAY.isoformat(),
    "hours": 8,
}


def set_aside(app, user_id: int) -> list[tuple[str, str, int]]:
    """The person's set-aside lines as the archive counts them (no scan in between)."""
    with app.app_context():
        rows = db.session.execute(
            select(TakenBack.reason, TakenBack.source, TakenBack.ms)
            .where(TakenBack.user_id == user_id)
            .order_by(TakenBack.id)
        )
        return [tuple(row) for row in rows]


def claimed(client, headers) -> int:
    response = client.post("/api/v1/records", json=CLAIM, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_approving_and_revoking_a_claim_refresh_the_set_aside(app, client, people):
    """Watching 10:00-12:00 on the day of an external training claimed for 8 h: approving it
    sets the 2 h aside at once, revoking it gives them back, without waiting for a scan."""
    ids, headers, item = people
    session = watched(app, ids["ann"], item, 10, 12)
    record = claimed(client, headers["ann"])
    assert set_aside(app, ids["ann"]) == []
    body = {"decision": "approve", "note": ""}
    response = client.post(f"/api/v1/records/{record}/review", json=body, headers=headers["root"])
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{session}", 2 * H)]
    response = client.post(
        f"/api/v1/records/{record}/revoke", json={"reason": "forged"}, headers=headers["root"]
    )
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == []
    assert client.get("/api/v1/flags/mine", headers=headers["ann"]).json["items"] == []


def test_withdrawing_a_claim_rescans_the_year(app, client, people):
    """A withdrawal re-scans the person's year in its transaction too: here it brings in the
    set-aside of a training confirmed behind the services' back."""
    ids, headers, item = people
    session = watched(app, ids["ann"], item, 10, 12)
    record = claimed(client, headers["ann"])
    trained(app, ids["ann"])
    assert set_aside(app, ids["ann"]) == []
    response = client.post(f"/api/v1/records/{record}/withdraw", headers=headers["ann"])
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{session}", 2 * H)]


@pytest.fixture
def training(app, client, people) -> int:
    """A one-day training on DAY filed by the organisation's admin; nobody confirmed yet."""
    _, headers, _ = people
    body = {
        "title": "Safety day",
        "category": "专项技术短期培训班",
        "organizer": "HR",
        "location": "Hall",
        "start_date": DAY.isoformat(),
        "end_date": DAY.isoformat(),
        "days": 1,
    }
    response = client.post("/api/v1/trainings", json=body, headers=headers["root"])
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_confirming_and_voiding_attendance_refresh_the_set_aside(app, client, people, training):
    ids, headers, item = people
    session = watched(app, ids["ann"], item, 10, 12)
    attendance = f"/api/v1/trainings/{training}/attendance"
    response = client.post(attendance, json={"user_id": ids["ann"]}, headers=headers["root"])
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{session}", 2 * H)]
    flags = client.get("/api/v1/flags/mine", headers=headers["ann"]).json["items"]
    assert [f["rule"] for f in flags] == ["live_during_training"]
    response = client.delete(f"{attendance}/{ids['ann']}", headers=headers["root"])
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == []
    assert client.get("/api/v1/flags/mine", headers=headers["ann"]).json["items"] == []


def test_an_attendance_file_refreshes_everyone_on_it(app, client, people, training):
    ids, headers, item = people
    session = watched(app, ids["ann"], item, 10, 12)
    response = client.post(
        f"/api/v1/trainings/{training}/attendance/csv",
        data={
            "file": (io.BytesIO(b"username,absent_fraction,assessment\nann,0,passed\n"), "a.csv")
        },
        headers=headers["root"],
    )
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{session}", 2 * H)]


def test_moving_a_training_moves_the_set_aside(app, client, people, training):
    """The training moves to the next day, where she watched 9:00-10:00: the set-aside follows
    it in the same request; moving it back brings the first one back."""
    ids, headers, item = people
    first = watched(app, ids["ann"], item, 10, 12)
    second = watched(app, ids["ann"], item, 24 + 9, 24 + 10)
    response = client.post(
        f"/api/v1/trainings/{training}/attendance",
        json={"user_id": ids["ann"]},
        headers=headers["root"],
    )
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{first}", 2 * H)]
    later = (DAY + timedelta(days=1)).isoformat()
    response = client.patch(
        f"/api/v1/trainings/{training}",
        json={"start_date": later, "end_date": later},
        headers=headers["root"],
    )
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{second}", H)]
    response = client.patch(
        f"/api/v1/trainings/{training}", json={"title": "Renamed"}, headers=headers["root"]
    )
    assert response.status_code == 200, response.json
    assert set_aside(app, ids["ann"]) == [("live_during_training", f"session:{second}", H)]


def findings_and_set_asides(app) -> tuple[list, list]:
    with app.app_context():
        flags = db.session.execute(
            select(Flag.user_id, Flag.rule, Flag.key, Flag.day, Flag.figure_ms, Flag.evidence)
        ).all()
        taken = db.session.execute(
            select(
                TakenBack.user_id,
                TakenBack.day,
                TakenBack.on_day,
                TakenBack.kind,
                TakenBack.ms,
                TakenBack.reason,
                TakenBack.source,
                TakenBack.against,
            )
        ).all()
    key = repr
    return sorted((tuple(f) for f in flags), key=key), sorted((tuple(t) for t in taken), key=key)


def test_an_incremental_scan_and_a_full_rescan_agree(app, client, people, training):
    """Sessions scanned as they close and decisions that re-scan as they are taken leave the
    same flags and set-asides as one full re-scan of the year afterwards."""
    ids, headers, item = people
    ann, bob = ids["ann"], ids["bob"]

    def closed(user_id: int, start: float, end: float, **more) -> None:
        watched(app, user_id, item, start, end, **more)
        with app.app_context():
            scan_people([user_id], 2026)

    response = client.post(
        f"/api/v1/trainings/{training}/attendance", json={"user_id": ann}, headers=headers["root"]
    )
    assert response.status_code == 200, response.json
    first = claimed(client, headers["bob"])
    second = claimed(client, headers["bob"])
    for record in (first, second):
        body = {"decision": "approve", "note": ""}
        response = client.post(
            f"/api/v1/records/{record}/review", json=body, headers=headers["root"]
        )
        assert response.status_code == 200, response.json
    closed(ann, 8, 13, device_id="device-0001")  # a long day on a device bob uses too
    closed(ann, 13.5, 19.5)
    closed(ann, 24 + 1, 24 + 4)  # the next night
    closed(bob, 24 + 23, 24 + 26)  # through midnight
    closed(bob, 9.5, 11, device_id="device-0001")  # last: ann's flag comes from bob's close
    incremental = findings_and_set_asides(app)
    rules = {flag[1] for flag in incremental[0]}
    assert rules == {
        "long_day",
        "night",
        "shared_client",
        "live_during_training",
        "overlapping_claims",
    }
    assert incremental[1]
    with app.app_context():
        db.session.execute(delete(Flag))
        db.session.execute(delete(TakenBack))
        db.session.commit()
    scanned(app)
    assert findings_and_set_asides(app) == incremental

"""`GET /api/v1/archive`: the employee's recorded time, raw and effective, per the rule set."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.integration.conftest import INTERVAL_S

H = 3600


@pytest.fixture
def ann(make_user, auth_headers):
    make_user("ann")
    return auth_headers("ann")


def watch(connect, clock, item: int, seconds: int) -> None:
    player = connect("ann")
    assert player.open(item)["ok"]
    player.beat()
    for _ in range(seconds // INTERVAL_S):
        clock.advance(INTERVAL_S)
        assert player.beat(advance=INTERVAL_S)["ok"]
    player.close()


def approved_record(client, owner, admin, kind: str, hours: float, day: str, **extra) -> int:
    body = {
        "kind": kind,
        "title": f"{kind} {day}",
        "start_date": day[:8] + "01",  # the month's first day: long claims need the days
        "end_date": day,
        "hours": hours,
        **extra,
    }
    created = client.post("/api/v1/records", json=body, headers=owner)
    assert created.status_code == 201, created.json
    review = client.post(
        f"/api/v1/records/{created.json['id']}/review", json={"decision": "approve"}, headers=admin
    )
    assert review.status_code == 200, review.json
    return created.json["id"]


def attended_training(client, admin, user_id: int, days: float, end: str, **extra) -> int:
    # As many calendar days as training days: a day holds at most the rule set's daily ceiling.
    start = date.fromisoformat(end) - timedelta(days=math.ceil(days) - 1)
    body = {
        "title": f"Training {end}",
        "category": "专题培训",
        "organizer": "人事处",
        "location": "兰州",
        "start_date": start.isoformat(),
        "end_date": end,
        "days": days,
        **extra,
    }
    created = client.post("/api/v1/trainings", json=body, headers=admin)
    assert created.status_code == 201, created.json
    confirmed = client.post(
        f"/api/v1/trainings/{created.json['id']}/attendance",
        json={"user_id": user_id, "absent_fraction": 0, "assessment": "passed"},
        headers=admin,
    )
    assert confirmed.status_code == 200, confirmed.json
    return created.json["id"]


def test_the_worked_example_of_the_employee_guide(
    app, client, admin, ann, make_courseware, connect, clock
):
    """Online 0 h 10, offline 44 h, self-study 48 h → effective 54 h 10 of 100 h."""
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    me = client.get("/api/v1/me", headers=ann).json
    watch(connect, clock, make_courseware(hours_limit=1), 600)
    attended_training(client, admin, me["id"], 5.5, "2026-04-10")
    approved_record(client, ann, admin, "self_study", 48, "2026-05-20")
    archive = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=ann)
    assert archive.status_code == 200, archive.json
    doc = archive.json
    assert (doc["from"], doc["to"], doc["rule_set"]) == ("2026-01", "2026-12", "cas-2016")
    assert doc["target_s"] == 100 * H
    assert doc["total_s"] == 92 * H + 600
    assert doc["effective_s"] == 54 * H + 600
    assert doc["remaining_s"] == 45 * H + 50 * 60
    assert doc["compliant"] is False
    assert doc["by_kind"] == {
        "online": {"raw_s": 600, "effective_s": 600, "count": 1},
        "external_online": {"raw_s": 0, "effective_s": 0, "count": 0},
        "offline": {"raw_s": 44 * H, "effective_s": 44 * H, "count": 1},
        "self_study": {"raw_s": 48 * H, "effective_s": 10 * H, "count": 1},
    }
    capped = [i for i in doc["items"] if i["capped_by"]]
    assert [(i["kind"], i["capped_by"]) for i in capped] == [("self_study", "self_study")]
    assert doc["counts"]["self_study"] == {"count": 1, "raw_s": 48 * H}
    assert doc["counts"]["trainings_by_category"] == {"专题培训": 1}


@pytest.mark.parametrize("watched_s", [590, 600, 10])
def test_remaining_is_exactly_the_target_less_the_effective_time(
    client, ann, make_courseware, connect, clock, watched_s
):
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    watch(connect, clock, make_courseware(hours_limit=1), watched_s)
    doc = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=ann).json
    assert doc["effective_s"] == watched_s
    assert doc["remaining_s"] == max(0, doc["target_s"] - doc["effective_s"]) == 100 * H - watched_s


def test_default_range_is_this_calendar_year(client, ann, clock):
    clock.now = datetime(2027, 8, 1, tzinfo=UTC)
    doc = client.get("/api/v1/archive", headers=ann).json
    assert (doc["from"], doc["to"]) == ("2027-01", "2027-12")
    assert doc["effective_s"] == 0


def test_each_year_has_its_own_caps(client, admin, ann):
    approved_record(client, ann, admin, "self_study", 8, "2025-06-01")
    approved_record(client, ann, admin, "self_study", 8, "2026-06-01")
    approved_record(client, ann, admin, "self_study", 8, "2026-07-01")
    doc = client.get("/api/v1/archive?from=2025-01&to=2026-12", headers=ann).json
    assert doc["by_kind"]["self_study"] == {"raw_s": 24 * H, "effective_s": 18 * H, "count": 3}
    assert doc["target_s"] == 200 * H
    assert [(y["year"], y["effective_s"]) for y in doc["years"]] == [(2025, 8 * H), (2026, 10 * H)]


def test_online_and_external_online_share_one_cap(
    client, admin, ann, make_courseware, connect, clock
):
    clock.now = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    watch(connect, clock, make_courseware(hours_limit=1), 1200)
    approved_record(client, ann, admin, "external_online", 50, "2026-06-30")
    doc = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=ann).json
    online = (
        doc["by_kind"]["online"]["effective_s"] + doc["by_kind"]["external_online"]["effective_s"]
    )
    assert online == 50 * H
    assert doc["by_kind"]["external_online"]["raw_s"] == 50 * H
    assert doc["years"][0]["caps"][0]["cut_s"] == 1200


def test_month_range_shows_only_its_items(client, admin, ann):
    approved_record(client, ann, admin, "external_training", 8, "2026-02-10")
    approved_record(client, ann, admin, "external_training", 4, "2026-09-10")
    doc = client.get("/api/v1/archive?from=2026-09&to=2026-09", headers=ann).json
    assert [i["end_date"] for i in doc["items"]] == ["2026-09-10"]
    assert doc["effective_s"] == 4 * H


def test_leader_target_and_subject_minimums(make_app, database_url, client, make_user):
    """A leader needs 110 h under cas-2016; changzhou-2011 names the missing subjects."""
    make_user("li", role="leader")
    token = client.post(
        "/api/v1/auth/token", json={"username": "li", "password": "correct horse 1"}
    ).json["token"]
    doc = client.get("/api/v1/archive", headers={"Authorization": f"Bearer {token}"}).json
    assert doc["target_s"] == 110 * H


def test_changzhou_subject_minimums(app, client, admin, make_user, auth_headers):
    from tracker.services import transaction
    from tracker.services.accounts import ensure_unit

    with app.app_context(), transaction():
        ensure_unit("常州研究院", rule_set_id="changzhou-2011")
    user_id = make_user("chen", unit="常州研究院")
    chen = auth_headers("chen")
    attended_training(client, admin, user_id, 12, "2026-05-01", subject="professional")
    doc = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=chen).json
    assert doc["target_s"] == 72 * H
    assert doc["effective_s"] == 72 * H
    assert doc["by_subject"]["professional"]["effective_s"] == 72 * H
    assert doc["compliant"] is False
    assert doc["years"][0]["subject_shortfalls_s"] == {"public": 24 * H, "professional": 0}


def test_admin_reads_anyones_archive_learners_only_their_own(client, admin, ann, make_user):
    other = make_user("bob")
    assert client.get(f"/api/v1/archive?user_id={other}", headers=admin).json["user"]["id"] == other
    refused = client.get(f"/api/v1/archive?user_id={other}", headers=ann)
    assert refused.status_code == 403
    missing = client.get("/api/v1/archive?user_id=999", headers=admin)
    assert missing.json["error"] == "user_not_found"


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13",
        "from=26-01",
        "from=2026-05&to=2026-01",
        "from=1999-01",
        "from=2010-01&to=2026-12",
        "to=soon",
        "colour=red",
    ],
)
def test_bad_period_is_400(client, ann, query):
    response = client.get(f"/api/v1/archive?{query}", headers=ann)
    assert response.status_code == 400
    assert response.json["error"] in ("bad_period", "bad_payload")


def test_unit_report(app, client, admin, make_user, auth_headers):
    from tracker.services import transaction
    from tracker.services.accounts import ensure_unit

    with app.app_context(), transaction():
        top = ensure_unit("兰州分院")
        ensure_unit("信息中心", parent=top)
    ann_id = make_user("ann", unit="信息中心")
    make_user("bob", unit="兰州分院")
    attended_training(client, admin, ann_id, 13, "2026-03-01")  # 104 h
    units = {u["name"]: u["id"] for u in client.get("/api/v1/units", headers=admin).json}
    report = client.get(
        f"/api/v1/reports/units/{units['兰州分院']}?year=2026&sort=effective&order=desc",
        headers=admin,
    ).json
    assert (report["members"], report["compliant"]) == (2, 1)
    assert [(r["username"], r["effective_s"], r["compliant"]) for r in report["rows"]] == [
        ("ann", 104 * H, True),
        ("bob", 0, False),
    ]
    assert report["months"][1]["reached_target"] == 0
    assert report["months"][2]["reached_target"] == 1
    assert report["months"][11]["average_effective_s"] == 52 * H
    only_dept = client.get(
        f"/api/v1/reports/units/{units['信息中心']}?year=2026", headers=admin
    ).json
    assert [r["username"] for r in only_dept["rows"]] == ["ann"]


def test_unit_report_agrees_with_every_members_archive(
    app, client, admin, make_user, auth_headers, make_courseware, connect, clock
):
    """One code path for one person and for a unit: the same figures, caps cut the same way."""
    from tracker.services import transaction
    from tracker.services.accounts import ensure_unit

    with app.app_context(), transaction():
        top = ensure_unit("兰州分院")
        ensure_unit("研究所", parent=top)
        ensure_unit("常州分中心", parent=top, rule_set_id="changzhou-2011")
    ids = {
        "ann": make_user("ann", unit="研究所"),
        "lee": make_user("lee", role="leader", unit="研究所"),
        "chen": make_user("chen", unit="常州分中心"),
        "bob": make_user("bob", unit="兰州分院"),
    }
    owners = {name: auth_headers(name) for name in ids}
    clock.now = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    first, second = make_courseware(title="甲", hours_limit=1), make_courseware(title="乙")
    watch(connect, clock, first, 600)
    watch(connect, clock, second, 300)  # the same day: a tie only the entries' values break
    for name in ("ann", "lee", "chen"):
        # Same-day claims of different subjects, together above the online and self-study caps.
        approved_record(client, owners[name], admin, "external_online", 30, "2026-06-30")
        approved_record(
            client, owners[name], admin, "external_online", 30, "2026-06-30", subject="public"
        )
        approved_record(
            client, owners[name], admin, "self_study", 8, "2026-07-01", subject="professional"
        )
        approved_record(
            client, owners[name], admin, "self_study", 8, "2026-07-01", subject="public"
        )
        attended_training(client, admin, ids[name], 3, "2026-09-15", subject="professional")
    attended_training(client, admin, ids["bob"], 13, "2026-02-01")
    approved_record(client, owners["bob"], admin, "self_study", 2, "2025-12-31")  # another year

    units = {u["name"]: u["id"] for u in client.get("/api/v1/units", headers=admin).json}
    report = client.get(f"/api/v1/reports/units/{units['兰州分院']}?year=2026", headers=admin).json
    assert report["members"] == 4
    reached = [0] * 12
    for row in report["rows"]:
        doc = client.get(
            f"/api/v1/archive?user_id={row['user_id']}&from=2026-01&to=2026-12", headers=admin
        ).json
        (year,) = doc["years"]
        assert (row["total_s"], row["effective_s"], row["target_s"]) == (
            doc["total_s"],
            doc["effective_s"],
            doc["target_s"],
        )
        assert (row["remaining_s"], row["compliant"], row["rule_set"]) == (
            doc["remaining_s"],
            doc["compliant"],
            doc["rule_set"],
        )
        assert row["subject_shortfalls_s"] == year["subject_shortfalls_s"]
        by_month = [0.0] * 12
        for item in doc["items"]:
            day = item["start_date"] if item["source"] == "courseware" else item["end_date"]
            by_month[int(day[5:7]) - 1] += item["effective_s"]
        running = 0.0
        for month in range(12):
            running += by_month[month]
            reached[month] += running >= doc["target_s"]
    assert [m["reached_target"] for m in report["months"]] == reached
    assert reached[1] == 1  # bob's 104 h of February
    ann = client.get(f"/api/v1/archive?user_id={ids['ann']}", headers=admin).json
    assert ann["effective_s"] == 50 * H + 10 * H + 24 * H  # the online and self-study caps
    # On one day, entries without a subject count first, then by subject's name.
    assert ann["by_subject"] == {
        "public": {"effective_s": 50 * H - 900 - 30 * H + 2 * H},
        "professional": {"effective_s": 8 * H + 24 * H},
    }

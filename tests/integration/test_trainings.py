"""Training projects: filing, listing, enrolment, attendance (per person and CSV), pages."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.conftest import PASSWORD, assert_error, count, user_id
from tracker.extensions import db
from tracker.models import AuditEntry, Training, TrainingMaterial, TrainingParticipant, Unit
from tracker.services import transaction
from tracker.services.entries import year_entries

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BASE = {
    "title": "科研项目档案归档",
    "category": "专项技术短期培训班",
    "organizer": "金属研究所",
    "location": "李薰楼468会议室",
    "start_date": "2026-03-09",
    "end_date": "2026-03-10",
    "days": 2,
}


@pytest.fixture
def ann_id(app, learner):
    return user_id(app, "ann")


def create(client, headers, **changes) -> dict:
    response = client.post("/api/v1/trainings", json={**BASE, **changes}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def set_unit_rule_set(app, unit: str, rule_set: str) -> None:
    with app.app_context(), transaction():
        db.session.scalar(select(Unit).where(Unit.name == unit)).rule_set_id = rule_set


def attend(client, headers, training_id, user, absent=0.0, assessment="passed"):
    body = {"user_id": user, "absent_fraction": absent, "assessment": assessment}
    return client.post(f"/api/v1/trainings/{training_id}/attendance", json=body, headers=headers)


def upload_csv(client, headers, training_id, text: str | bytes, name="attendance.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        f"/api/v1/trainings/{training_id}/attendance/csv",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def upload_material(client, headers, training_id, kind="notice", data=PDF, name="notice.pdf"):
    return client.post(
        f"/api/v1/trainings/{training_id}/materials",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


# --- filing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "hours", "end"),
    [(1, 8, "2026-03-09"), (0.5, 4, "2026-03-09"), (2.5, 20, "2026-03-11"), (10, 80, "2026-03-18")],
)
def test_hours_are_days_times_the_rule_sets_day(client, admin, days, hours, end):
    created = create(client, admin, days=days, end_date=end)
    assert created["hours"] == hours
    assert created["days"] == days
    assert created["rule_set"] == "cas-2016"
    assert created["status"] == "open"


def test_hours_follow_the_configured_default_rule_set(make_app, database_url, clock):
    app = make_app(database_url, RULE_SET="changzhou-2011")
    from tracker.services.accounts import save_user

    with app.app_context():
        save_user("root", PASSWORD, "admin")
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "root", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    assert create(client, headers, days=1.5)["hours"] == 9


def test_hours_follow_the_admins_unit_rule_set(app, client, make_user, auth_headers):
    make_user("root", role="admin", unit="常州市人社局")
    set_unit_rule_set(app, "常州市人社局", "changzhou-2011")
    created = create(client, auth_headers("root"), days=2)
    assert (created["hours"], created["rule_set"]) == (12, "changzhou-2011")


def test_every_field_of_the_filing_form_is_kept(client, admin):
    form = {
        "type": "lecture",
        "subject": "professional",
        "enrolment_open": False,
        "audience": "全体职工",
        "capacity": 100,
        "participants": {"management": 3, "support": 4, "staff": 5, "research": 60, "external": 2},
        "budget": 12000.5,
        "actual_spend": 11800,
        "purpose": "提高档案意识",
        "content": "归档要求与方法",
        "department": "综合办公室",
        "contact": "王老师",
        "email": "wang@example.org",
        "phone": "0931-1234567",
    }
    created = create(client, admin, **form)
    again = client.get(f"/api/v1/trainings/{created['id']}", headers=admin).json
    for name, value in {**BASE, **form}.items():
        assert again[name] == value, name
    assert again["status"] == "closed"


@pytest.mark.parametrize(
    "changes",
    [
        {"start_date": "2026-3-9"},
        {"start_date": "2026-02-30"},
        {"start_date": 20260309},
        {"end_date": "2026-03-08"},
        {"days": 0.3},
        {"days": 1.25},
        {"days": 0},
        {"days": -1},
        {"days": "1"},
        {"days": True},
        {"title": ""},
        {"title": None},
        {"subject": "history"},
        {"capacity": 0},
        {"email": "not an address"},
        {"budget": -1},
        {"participants": {"research": -1}},
        {"colour": "red"},
    ],
    ids=repr,
)
def test_bad_training_is_400_and_not_saved(app, client, admin, changes):
    response = client.post("/api/v1/trainings", json={**BASE, **changes}, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert count(app, Training) == 0


DAYS_BEYOND = {
    "zh-CN": "天数不能超过起止日期之间的天数。",
    "en": "The days cannot exceed the calendar days of the period.",
}


@pytest.mark.parametrize(
    ("start", "end", "days", "ok"),
    [
        ("2026-03-09", "2026-03-09", 1, True),  # exactly its calendar days
        ("2026-03-09", "2026-03-09", 1.5, False),  # one half day over
        ("2026-03-09", "2026-03-09", 5.5, False),
        ("2026-03-09", "2026-03-13", 5, True),
        ("2026-03-09", "2026-03-13", 4.5, True),
        ("2026-03-09", "2026-03-13", 5.5, False),
        ("2026-12-31", "2027-01-01", 2, True),  # across New Year
        ("2026-12-31", "2027-01-01", 2.5, False),
    ],
)
@pytest.mark.parametrize("language", DAYS_BEYOND)
def test_a_training_states_at_most_its_calendar_days(
    app, client, admin, start, end, days, ok, language
):
    body = {**BASE, "start_date": start, "end_date": end, "days": days}
    headers = {**admin, "Accept-Language": language}
    response = client.post("/api/v1/trainings", json=body, headers=headers)
    if ok:
        assert response.status_code == 201, response.json
        assert response.json["days"] == days
        return
    assert_error(response, 400, "bad_payload")
    assert [d["problem"] for d in response.json["details"]] == [DAYS_BEYOND[language]]
    assert count(app, Training) == 0


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"days": 2}, True),
        ({"days": 2.5}, False),  # only the days: the stored period holds two
        ({"end_date": "2026-03-09"}, False),  # only the dates: the stored two days no longer fit
        ({"end_date": "2026-03-09", "days": 1}, True),
        ({"start_date": "2026-03-10", "days": 1.5}, False),
        ({"start_date": "2026-03-08", "days": 3}, True),
    ],
    ids=repr,
)
def test_a_change_of_days_or_dates_must_still_fit(app, client, admin, body, ok):
    training = create(client, admin)  # 9 and 10 March, 2 days
    url = f"/api/v1/trainings/{training['id']}"
    response = client.patch(url, json=body, headers={**admin, "Accept-Language": "en"})
    if ok:
        assert response.status_code == 200, response.json
        assert {k: response.json[k] for k in body} == body
        return
    assert_error(response, 400, "bad_payload")
    assert DAYS_BEYOND["en"] in str(response.json)
    assert client.get(url, headers=admin).json == training
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "training.update" not in actions


def test_a_training_filed_before_the_day_rule_can_still_be_renamed(app, client, admin):
    training = create(client, admin)  # 9 and 10 March
    with app.app_context(), transaction():
        db.session.get(Training, training["id"]).days = Decimal(5)
    url = f"/api/v1/trainings/{training['id']}"
    assert client.patch(url, json={"title": "改名"}, headers=admin).status_code == 200
    refused = client.patch(url, json={"end_date": "2026-03-11"}, headers=admin)
    assert_error(refused, 400, "bad_payload")
    assert client.get(url, headers=admin).json["end_date"] == "2026-03-10"


@pytest.mark.parametrize("missing", ["title", "category", "organizer", "start_date", "days"])
def test_required_training_fields(app, client, admin, missing):
    body = {k: v for k, v in BASE.items() if k != missing}
    assert_error(client.post("/api/v1/trainings", json=body, headers=admin), 400, "bad_payload")
    assert count(app, Training) == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/trainings", BASE),
        ("patch", "/api/v1/trainings/{id}", {"days": 1}),
        ("post", "/api/v1/trainings/{id}/attendance", {"user_id": 1}),
        ("get", "/api/v1/trainings/{id}/attendance", None),
        ("post", "/api/v1/trainings/{id}/attendance/csv", None),
        ("get", "/api/v1/trainings/{id}/materials", None),
        ("post", "/api/v1/trainings/{id}/materials", None),
    ],
)
def test_admin_calls_are_403_for_learners_and_401_anonymous(
    app, client, admin, learner, method, path, body
):
    url = path.format(id=create(client, admin)["id"])
    call = getattr(client, method)
    assert_error(call(url, json=body, headers=learner), 403, "forbidden")
    assert_error(call(url, json=body), 401, "unauthorized")
    assert count(app, Training) == 1
    assert count(app, TrainingParticipant) == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/trainings/99", None),
        ("patch", "/api/v1/trainings/99", {"days": 1}),
        ("post", "/api/v1/trainings/99/enrol", None),
        ("post", "/api/v1/trainings/99/attendance", {"user_id": 1}),
        ("get", "/api/v1/trainings/99/attendance", None),
        ("get", "/api/v1/trainings/99/materials", None),
        ("get", "/api/v1/trainings/99/materials/1", None),
    ],
)
def test_unknown_training_is_404(client, admin, method, path, body):
    assert_error(getattr(client, method)(path, json=body, headers=admin), 404, "training_not_found")


def test_patch_changes_fields_and_new_days_recredit(app, client, admin, ann_id):
    training = create(client, admin, days=2)
    assert attend(client, admin, training["id"], ann_id).json["credited_hours"] == 16
    response = client.patch(
        f"/api/v1/trainings/{training['id']}",
        json={"days": 0.5, "title": "改名", "capacity": None},
        headers=admin,
    )
    assert response.status_code == 200, response.json
    assert (response.json["hours"], response.json["title"]) == (4, "改名")
    people = client.get(f"/api/v1/trainings/{training['id']}/attendance", headers=admin).json
    assert people[0]["credited_hours"] == 4


@pytest.mark.parametrize("body", [{"end_date": "2026-03-01"}, {"title": None}, {"days": 0.2}])
def test_bad_patch_changes_nothing(client, admin, body):
    training = create(client, admin)
    response = client.patch(f"/api/v1/trainings/{training['id']}", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert client.get(f"/api/v1/trainings/{training['id']}", headers=admin).json == training


# --- listing --------------------------------------------------------------------------------


def test_the_list_filters_of_the_employee_guide(app, client, admin, make_user, auth_headers):
    make_user("wu", unit="金属研究所")
    make_user("boss", role="admin", unit="金属研究所")
    boss = auth_headers("boss")
    own = create(client, boss, category="系列讲座", type="lecture")
    other = create(client, admin, start_date="2025-05-05", end_date="2025-05-07", days=3)
    closed = create(client, admin, enrolment_open=False)
    wu = auth_headers("wu")

    def ids(query: str, headers=wu) -> list[int]:
        response = client.get(f"/api/v1/trainings?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [t["id"] for t in response.json]

    assert set(ids("")) == {own["id"], other["id"], closed["id"]}
    assert ids("category=系列讲座") == [own["id"]]
    assert ids("type=lecture") == [own["id"]]
    assert ids("source=own") == [own["id"]]
    assert set(ids("source=other")) == {other["id"], closed["id"]}
    assert ids("year=2025") == [other["id"]]
    assert set(ids("open=true")) == {own["id"], other["id"]}
    assert ids("open=false") == [closed["id"]]
    assert set(ids("category=&open=&year=")) == {own["id"], other["id"], closed["id"]}
    assert ids("q=档案&year=2025") == [other["id"]]


@pytest.mark.parametrize("query", ["year=abc", "open=perhaps", "source=mars", "colour=red"])
def test_bad_list_filter_is_400(client, learner, query):
    assert_error(client.get(f"/api/v1/trainings?{query}", headers=learner), 400, "bad_payload")


def test_list_shows_the_columns_and_hides_the_budget_from_learners(client, admin, learner):
    create(client, admin, capacity=100, budget=500)
    row = client.get("/api/v1/trainings", headers=learner).json[0]
    for column in ("title", "start_date", "end_date", "organizer", "location", "capacity"):
        assert row[column] == {**BASE, "capacity": 100}[column]
    assert (row["hours"], row["status"], row["enrolled"]) == (16, "open", 0)
    assert (row["budget"], row["filing"]) == (None, None)
    assert client.get("/api/v1/trainings", headers=admin).json[0]["budget"] == 500


# --- enrolment ------------------------------------------------------------------------------


def test_enrol_is_approved_and_idempotent(client, admin, learner):
    training = create(client, admin, capacity=1)
    first = client.post(f"/api/v1/trainings/{training['id']}/enrol", headers=learner)
    again = client.post(f"/api/v1/trainings/{training['id']}/enrol", headers=learner)
    assert first.status_code == again.status_code == 200
    assert first.json == again.json == {"training_id": training["id"], "status": "approved"}
    seen = client.get(f"/api/v1/trainings/{training['id']}", headers=learner).json
    assert (seen["my_status"], seen["enrolled"], seen["status"]) == ("approved", 1, "full")


def test_enrol_refused_when_closed_or_full(app, client, admin, learner, make_user, auth_headers):
    closed = create(client, admin, enrolment_open=False)
    assert_error(
        client.post(f"/api/v1/trainings/{closed['id']}/enrol", headers=learner),
        409,
        "training_closed",
    )
    full = create(client, admin, capacity=1)
    client.post(f"/api/v1/trainings/{full['id']}/enrol", headers=learner)
    make_user("bob")
    assert_error(
        client.post(f"/api/v1/trainings/{full['id']}/enrol", headers=auth_headers("bob")),
        409,
        "training_full",
    )
    assert count(app, TrainingParticipant) == 1


def test_enrol_needs_a_login(client, admin):
    training = create(client, admin)
    assert_error(client.post(f"/api/v1/trainings/{training['id']}/enrol"), 401, "unauthorized")


# --- attendance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("absent", "assessment", "credited"),
    [
        (0.0, "passed", 16),
        (0.19, "passed", 16),
        (0.1999, "passed", 16),
        (0.2, "passed", 0),
        (0.25, "passed", 0),
        (1, "passed", 0),
        (0, "failed", 0),
        (0.1, "failed", 0),
    ],
)
def test_attendance_credit_under_cas_2016(client, admin, ann_id, absent, assessment, credited):
    training = create(client, admin, days=2)
    response = attend(client, admin, training["id"], ann_id, absent, assessment)
    assert response.status_code == 200, response.json
    assert response.json["credited_hours"] == credited
    assert response.json["credited_s"] == credited * 3600
    assert response.json["status"] == "confirmed"


def test_the_attendees_rule_set_decides(app, client, admin, make_user):
    person = make_user("cz", unit="常州")
    set_unit_rule_set(app, "常州", "changzhou-2011")
    training = create(client, admin, days=2)
    response = attend(client, admin, training["id"], person, 0.5, "failed")
    assert response.json["credited_hours"] == 12  # 2 days × 6 h; Changzhou voids nothing


def test_reposting_attendance_updates_it_and_logs_changes_once(app, client, admin, learner, ann_id):
    training = create(client, admin, days=1)
    client.post(f"/api/v1/trainings/{training['id']}/enrol", headers=learner)
    assert attend(client, admin, training["id"], ann_id).json["credited_hours"] == 8
    assert attend(client, admin, training["id"], ann_id, 0.2).json["credited_hours"] == 0
    assert attend(client, admin, training["id"], ann_id, 0.2).json["credited_hours"] == 0
    people = client.get(f"/api/v1/trainings/{training['id']}/attendance", headers=admin).json
    assert [(p["username"], p["credited_hours"], p["absent_fraction"]) for p in people] == [
        ("ann", 0, 0.2)
    ]
    with app.app_context():
        log = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attendance.confirm")
        ).all()
        assert [entry.detail["new"]["credited_ms"] for entry in log] == [8 * 3_600_000, 0]
        assert log[1].detail["old"]["absent_fraction"] == 0.0
    seen = client.get(f"/api/v1/trainings/{training['id']}", headers=learner).json
    assert (seen["my_status"], seen["my_credited_hours"]) == ("confirmed", 0)
    assert {entry.actor_id for entry in log} == {user_id(app, "root")}


@pytest.mark.parametrize(
    "body",
    [
        {"absent_fraction": 1.5},
        {"absent_fraction": -0.1},
        {"absent_fraction": "0.2"},
        {"absent_fraction": None},
        {"assessment": "good"},
        {"user_id": "1"},
        {"user_id": None},
    ],
    ids=repr,
)
def test_bad_attendance_is_400_and_not_saved(app, client, admin, ann_id, body):
    training = create(client, admin)
    payload = {"user_id": ann_id, "absent_fraction": 0, "assessment": "passed", **body}
    response = client.post(
        f"/api/v1/trainings/{training['id']}/attendance", json=payload, headers=admin
    )
    assert_error(response, 400, "bad_payload")
    assert count(app, TrainingParticipant) == 0


def test_attendance_of_an_unknown_user_is_404(client, admin):
    training = create(client, admin)
    assert_error(attend(client, admin, training["id"], 4242), 404, "user_not_found")


# --- attendance from CSV --------------------------------------------------------------------


def test_csv_import_confirms_everyone(app, client, admin, make_user):
    make_user("ann")
    make_user("bob")
    make_user("cai")
    training = create(client, admin, days=2)
    text = (
        "username,display_name,absent_fraction,assessment\n"
        "ann,安,0,passed\nbob,,1/5,\ncai,,10%,不合格\n"
    )
    response = upload_csv(client, admin, training["id"], text)
    assert response.status_code == 200, response.json
    assert response.json["count"] == 3
    credited = {p["username"]: p["credited_hours"] for p in response.json["items"]}
    assert credited == {"ann": 16, "bob": 0, "cai": 0}


@pytest.mark.parametrize(
    "encode", [lambda t: t.encode("utf-8-sig"), lambda t: t.encode("gb18030")], ids=["bom", "gbk"]
)
def test_csv_in_spreadsheet_encodings(client, admin, make_user, encode):
    make_user("张伟")
    training = create(client, admin)
    response = upload_csv(client, admin, training["id"], encode("username;assessment\n张伟;合格\n"))
    assert response.status_code == 200, response.json
    assert response.json["items"][0]["credited_hours"] == 16


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("username,absent_fraction\nann,0\nghost,0\n", [3]),
        ("username,absent_fraction\nann,1.5\nbob,x\n", [2, 3]),
        ("username,assessment\nann,excellent\n", [2]),
        ("username\nann\nann\n", [3]),
        ("username\n\n,\n", [3]),
        ("name,hours\nann,8\n", [1]),
        ("username\n", [2]),
    ],
)
def test_bad_csv_names_each_line_and_saves_nothing(app, client, admin, make_user, text, lines):
    make_user("ann")
    make_user("bob")
    training = create(client, admin)
    response = upload_csv(client, admin, training["id"], text)
    assert_error(response, 400, "bad_csv")
    assert sorted({d["line"] for d in response.json["details"]}) == lines
    assert all(d["problem"] for d in response.json["details"])
    assert count(app, TrainingParticipant) == 0


@pytest.mark.parametrize(
    ("data", "name"), [(b"", "a.csv"), (b"\x00\x01\x02", "a.csv"), (PDF, "a.pdf"), (b"u\n", "a")]
)
def test_csv_upload_must_be_a_text_file(app, client, admin, data, name):
    training = create(client, admin)
    assert_error(upload_csv(client, admin, training["id"], data, name), 400, "bad_file")


def test_csv_upload_without_a_file_is_400(client, admin):
    training = create(client, admin)
    response = client.post(f"/api/v1/trainings/{training['id']}/attendance/csv", headers=admin)
    assert_error(response, 400, "bad_file")


# --- materials and filing -------------------------------------------------------------------


def test_materials_are_stored_under_generated_names(app, client, admin):
    training = create(client, admin)
    response = upload_material(client, admin, training["id"], name="../../通知.pdf")
    assert response.status_code == 201, response.json
    assert (response.json["filename"], response.json["kind"]) == ("通知.pdf", "notice")
    with app.app_context():
        stored = db.session.scalar(select(TrainingMaterial.stored_name))
    assert stored.startswith(f"uploads/trainings/{training['id']}/")
    assert "通知" not in stored
    assert ".." not in stored
    assert (Path(app.config["MEDIA_DIR"]) / stored).read_bytes() == PDF
    listed = client.get(f"/api/v1/trainings/{training['id']}/materials", headers=admin).json
    download = client.get(
        f"/api/v1/trainings/{training['id']}/materials/{listed[0]['id']}", headers=admin
    )
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    download.close()


@pytest.mark.parametrize(
    ("kind", "data", "name", "code"),
    [
        ("notice", b"MZ\x90\x00", "setup.exe", "bad_file"),
        ("notice", b"just text", "fake.pdf", "bad_file"),
        ("notice", b"", "empty.pdf", "bad_file"),
        ("poster", PDF, "a.pdf", "bad_payload"),
    ],
)
def test_bad_material_is_refused(app, client, admin, kind, data, name, code):
    training = create(client, admin)
    response = upload_material(client, admin, training["id"], kind, data, name)
    assert_error(response, 400, code)
    assert count(app, TrainingMaterial) == 0
    assert not list((Path(app.config["MEDIA_DIR"])).glob("uploads/**/*.*"))


def test_material_above_the_size_limit_is_413(make_app, database_url, make_user):
    app = make_app(database_url, UPLOAD_MAX_BYTES=100)
    client = app.test_client()
    from tracker.services.accounts import save_user

    with app.app_context():
        save_user("root", PASSWORD, "admin")
    token = client.post("/api/v1/auth/token", json={"username": "root", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    training = create(client, headers)
    response = upload_material(client, headers, training["id"], data=PDF + b"x" * 200)
    assert_error(response, 413, "too_large")


def test_unknown_material_is_404(client, admin):
    training = create(client, admin)
    assert_error(
        client.get(f"/api/v1/trainings/{training['id']}/materials/5", headers=admin),
        404,
        "material_not_found",
    )


@pytest.mark.parametrize(
    ("end", "overdue"), [("2026-02-01", True), ("2026-02-14", True), ("2026-02-15", False)]
)
def test_filing_is_overdue_15_days_after_the_end(client, admin, end, overdue):
    """The clock says 2026-03-02; the filing is due 15 days after the end."""
    training = create(client, admin, start_date="2026-01-20", end_date=end)
    assert training["filing"]["overdue"] is overdue
    assert training["filing"]["missing"] == ["notice", "schedule", "sign_in"]
    flagged = client.get("/api/v1/trainings?overdue=true", headers=admin).json
    assert [t["id"] for t in flagged] == ([training["id"]] if overdue else [])


def test_filing_the_three_materials_clears_the_flag(client, admin):
    training = create(client, admin, start_date="2026-01-05", end_date="2026-01-06")
    for kind in ("notice", "schedule", "sign_in"):
        assert upload_material(client, admin, training["id"], kind).status_code == 201
    filing = client.get(f"/api/v1/trainings/{training['id']}", headers=admin).json["filing"]
    assert (filing["filed"], filing["overdue"], filing["missing"]) == (True, False, [])


# --- subjects -------------------------------------------------------------------------------


def test_credited_training_is_an_offline_entry_with_its_subject(app, client, admin, ann_id):
    training = create(client, admin, subject="public", days=1)
    attend(client, admin, training["id"], ann_id)
    other = create(client, admin, subject="professional", days=1)
    attend(client, admin, other["id"], ann_id, 0.5)
    with app.app_context():
        entries = year_entries(ann_id, 2026)
    assert [(e.kind, e.subject, e.raw_ms, str(e.day)) for e in entries] == [
        ("offline", "public", 8 * 3_600_000, "2026-03-10")
    ]


# --- pages ----------------------------------------------------------------------------------


def login(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_training_pages_for_a_learner(client, admin, learner):
    training = create(client, admin, capacity=30)
    login(client, "ann")
    listing = client.get("/trainings?open=true&year=2026")
    assert listing.status_code == 200
    assert BASE["title"] in listing.get_data(as_text=True)
    assert client.get(f"/trainings/{training['id']}").status_code == 200
    enrolled = client.post(f"/trainings/{training['id']}/enrol", follow_redirects=True)
    assert enrolled.status_code == 200
    assert client.get(f"/api/v1/trainings/{training['id']}").json["my_status"] == "approved"
    assert client.get("/trainings/new").status_code == 403
    assert client.get(f"/trainings/{training['id']}/attendance").status_code == 403
    assert client.get("/trainings/999").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/trainings").status_code == 302


def test_admin_files_a_training_in_the_form(app, client, admin):
    login(client, "root")
    assert client.get("/trainings/new").status_code == 200
    form = {
        **{k: str(v) for k, v in BASE.items()},
        "days": "1.5",
        "capacity": "40",
        "participants_research": "12",
        "budget": "3000",
        "enrolment_open": "true",
        "subject": "",
    }
    response = client.post("/trainings/new", data=form)
    assert response.status_code == 302
    training = client.get("/api/v1/trainings").json[0]
    assert (training["hours"], training["capacity"]) == (12, 40)
    assert training["participants"]["research"] == 12
    edit = client.get(f"/trainings/{training['id']}/edit")
    assert edit.status_code == 200
    assert BASE["title"] in edit.get_data(as_text=True)
    response = client.post(f"/trainings/{training['id']}/edit", data={**form, "days": "2"})
    assert response.status_code == 302
    assert client.get(f"/api/v1/trainings/{training['id']}").json["hours"] == 16


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_date": "2026-03-01"}, "The end date must not be before the start date."),
        ({"days": "0.3"}, "Use whole or half days"),
        ({"days": "many"}, "Enter a number."),
        ({"title": ""}, "This field is required."),
    ],
)
def test_bad_training_form_shows_why_and_saves_nothing(app, client, admin, changes, message):
    login(client, "root")
    form = {**{k: str(v) for k, v in BASE.items()}, **changes}
    response = client.post("/trainings/new", data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, Training) == 0


def test_attendance_page_with_csv_upload(app, client, admin, make_user):
    make_user("ann")
    training = create(client, admin)
    login(client, "root")
    page = client.get(f"/trainings/{training['id']}/attendance")
    assert page.status_code == 200
    saved = client.post(
        f"/trainings/{training['id']}/attendance",
        data={"username": "ann", "absent_fraction": "0.1", "assessment": "passed"},
    )
    assert saved.status_code == 302
    template = client.get(f"/trainings/{training['id']}/attendance.csv")
    assert template.status_code == 200
    text = template.data.decode("utf-8-sig")
    assert text.splitlines()[:2] == [
        "username,display_name,absent_fraction,assessment",
        "ann,,0.1,passed",
    ]
    bad = client.post(
        f"/trainings/{training['id']}/attendance/csv",
        data={"file": (io.BytesIO(b"username\nann\nghost\n"), "a.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 400
    assert "Line 3: There is no user ghost." in bad.get_data(as_text=True)
    good = client.post(
        f"/trainings/{training['id']}/attendance/csv",
        data={"file": (io.BytesIO(b"username,absent_fraction\nann,0.5\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    people = client.get(f"/api/v1/trainings/{training['id']}/attendance").json
    assert people[0]["credited_hours"] == 0


@pytest.mark.parametrize(
    "form",
    [
        {"username": "ghost", "absent_fraction": "0"},
        {"username": "ann", "absent_fraction": "2"},
        {"username": "ann", "absent_fraction": "half"},
        {"username": "ann", "assessment": "great"},
    ],
)
def test_bad_attendance_form_is_400(app, client, admin, make_user, form):
    make_user("ann")
    training = create(client, admin)
    login(client, "root")
    response = client.post(f"/trainings/{training['id']}/attendance", data=form)
    assert response.status_code == 400
    assert count(app, TrainingParticipant) == 0


def test_material_upload_page(app, client, admin):
    training = create(client, admin)
    login(client, "root")
    response = client.post(
        f"/trainings/{training['id']}/materials",
        data={"kind": "schedule", "file": (io.BytesIO(PDF), "日程.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "日程.pdf" in response.get_data(as_text=True)
    refused = client.post(
        f"/trainings/{training['id']}/materials",
        data={"kind": "schedule", "file": (io.BytesIO(b"MZ"), "x.exe")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert 'id="f-file-error"' in refused.get_data(as_text=True)  # beside the file input
    assert count(app, TrainingMaterial) == 1


def test_training_page_for_an_admin_shows_filing_and_materials(client, admin):
    training = create(client, admin, start_date="2026-01-05", end_date="2026-01-06", budget=900)
    upload_material(client, admin, training["id"], "notice", name="通知.pdf")
    login(client, "root")
    page = client.get(f"/trainings/{training['id']}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in ("通知.pdf", "Filing overdue", "Due by 2026-01-21.", "Sign-in sheet", "900"):
        assert expected in text
    listing = client.get("/trainings", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Filing overdue" in listing


@pytest.mark.parametrize(
    ("absent", "assessment", "reason"),
    [
        (0.25, "passed", "No hours: absence of 1/5 or more."),
        (0.0, "failed", "No hours: the assessment was failed."),
        (0.1, "passed", None),
    ],
)
def test_an_attendance_that_earns_nothing_says_why(
    app, client, admin, ann_id, absent, assessment, reason
):
    training = create(client, admin, days=2)
    assert attend(client, admin, training["id"], ann_id, absent, assessment).status_code == 200
    en = {"Accept-Language": "en"}
    pages = {}
    for username, path in (("ann", ""), ("root", "/attendance")):
        browser = app.test_client()
        login(browser, username)
        pages[username] = browser.get(f"/trainings/{training['id']}{path}", headers=en).text
    if reason is None:
        assert "Attendance confirmed: 16\xa0h\xa000\xa0min credited." in pages["ann"]
        assert all("data-no-credit" not in page for page in pages.values())
    else:
        assert "Attendance confirmed, but no hours are credited. " + reason in pages["ann"]
        assert "credited." not in pages["ann"].replace("no hours are credited.", "")
        assert f"data-no-credit>{reason}</span>" in pages["root"]

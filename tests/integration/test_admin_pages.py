"""Admin pages and the learner's start page, driven through the browser forms."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import select

from tests.integration.conftest import INTERVAL_S, PASSWORD, count, user_id
from tracker.extensions import db
from tracker.models import Courseware, User, WatchSession
from tracker.services import transaction

ZH = {"Accept-Language": "zh-CN"}


def log_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def admin_client(client, make_user):
    make_user("root", role="admin")
    log_in(client, "root")
    return client


@pytest.mark.parametrize(
    "path", ["/admin", "/admin/users", "/admin/units", "/admin/courseware", "/admin/users/1"]
)
def test_admin_pages_are_for_admins_only(client, make_user, path):
    assert client.get(path).status_code == 302  # to the login page
    make_user("ann")
    log_in(client, "ann")
    response = client.get(path, headers=ZH)
    assert response.status_code == 403
    assert "您没有执行此操作的权限" in response.text


def test_console_shows_who_is_watching(admin_client, make_user, make_courseware, connect, clock):
    make_user("ann")
    item = make_courseware(title="科研诚信")
    player = connect("ann")
    player.open(item)
    player.beat()
    clock.advance(INTERVAL_S)
    player.beat(advance=INTERVAL_S)
    page = admin_client.get("/admin", headers=ZH).text
    assert "ann" in page
    assert "科研诚信" in page
    assert "正在计时" in page


def test_add_user_by_form(app, admin_client):
    response = admin_client.post(
        "/admin/users",
        data={
            "username": "wang",
            "password": "pass-word-1",
            "display_name": "王芳",
            "role": "leader",
            "unit_id": "",
        },
    )
    assert response.status_code == 302
    assert "王芳" in admin_client.get("/admin/users?q=wang").text


@pytest.mark.parametrize(
    "form",
    [
        {"username": "wang", "password": "short", "role": "learner"},
        {"username": "bad name", "password": "pass-word-1", "role": "learner"},
        {"username": "root", "password": "pass-word-1", "role": "learner"},
        {"username": "wang", "password": "pass-word-1", "role": "king"},
        {"username": "wang", "password": "pass-word-1", "role": "learner", "unit_id": "9999"},
    ],
)
def test_bad_user_form_shows_why_and_saves_nothing(app, admin_client, form):
    response = admin_client.post("/admin/users", data=form, headers=ZH)
    assert response.status_code in (400, 409)
    assert 'class="field-error"' in response.text
    assert count(app, User) == 1


def test_import_users_by_form(app, admin_client):
    data = {"file": (io.BytesIO(b"username,password,role\nwang,pass-word-1,learner\n"), "u.csv")}
    response = admin_client.post(
        "/admin/users/import", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert count(app, User) == 2
    bad = {"file": (io.BytesIO(b"username,password,role\nli,short,learner\n"), "u.csv")}
    response = admin_client.post(
        "/admin/users/import", data=bad, headers=ZH, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "第 2 行" in response.text
    assert count(app, User) == 2


def test_deactivate_user_by_form(app, admin_client, make_user):
    user_id = make_user("ann")
    response = admin_client.post(
        f"/admin/users/{user_id}", data={"display_name": "Ann", "role": "learner"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).active is False


def test_units_by_form(admin_client):
    assert admin_client.post("/admin/units", data={"name": "兰州分院"}).status_code == 302
    page = admin_client.get("/admin/units").text
    assert "兰州分院" in page
    clash = admin_client.post("/admin/units", data={"name": "兰州分院"}, headers=ZH)
    assert clash.status_code == 409
    assert "已存在" in clash.text


def test_upload_courseware_and_change_its_limit(app, admin_client):
    data = {
        "title": "安全培训",
        "kind": "video",
        "hours_limit": "1.5",
        "published": "true",
        "file": (io.BytesIO(b"\x1aE\xdf\xa3" + b"0" * 2000), "lesson.webm"),
    }
    response = admin_client.post("/admin/courseware", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalars(select(Courseware)).one()
        assert item.source_url.startswith("/media/courseware/")
        assert item.source_url.endswith(".webm")
    media = admin_client.get(item.source_url)
    assert media.status_code == 200
    assert len(media.data) == 2004
    media.close()
    edit = admin_client.get(f"/admin/courseware/{item.id}", headers=ZH).text
    assert "已记入的学时不受影响" in edit
    response = admin_client.post(
        f"/admin/courseware/{item.id}",
        data={
            "title": "安全培训",
            "kind": "video",
            "hours_limit": "0.5",
            "source_url": item.source_url,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert float(db.session.get(Courseware, item.id).hours_limit) == 0.5


@pytest.mark.parametrize(
    "data",
    [
        {"title": "x", "kind": "video", "hours_limit": "0", "source_url": "/a.webm"},
        {"title": "x", "kind": "video", "hours_limit": "abc", "source_url": "/a.webm"},
        {"title": "x", "kind": "video", "hours_limit": "1"},
        {
            "title": "x",
            "kind": "document",
            "hours_limit": "1",
            "file": "slides.exe",
        },
    ],
)
def test_bad_courseware_form_saves_nothing(app, admin_client, data):
    if "file" in data:
        data = {**data, "file": (io.BytesIO(b"MZ..."), data["file"])}
    response = admin_client.post(
        "/admin/courseware", data=data, headers=ZH, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert count(app, Courseware) == 0


def test_start_page_filters_the_catalogue(client, make_user, make_courseware, connect, clock):
    make_user("ann")
    video = make_courseware(title="安全生产视频", kind="video", hours_limit=0.01)
    make_courseware(title="科研诚信文档", kind="document")
    player = connect("ann")
    player.open(video)
    player.beat()
    for _ in range(4):
        clock.advance(INTERVAL_S)
        player.beat(advance=INTERVAL_S)
    log_in(client, "ann")
    catalogue = lambda query: client.get(f"/{query}").text.split("<h1>")[1]  # noqa: E731
    assert "科研诚信文档" not in catalogue("?kind=video")
    assert "安全生产视频" not in catalogue("?q=诚信")
    assert "科研诚信文档" in catalogue("?q=诚信")
    unfinished = client.get("/?unfinished=1").text
    assert "科研诚信文档" in unfinished
    assert "安全生产视频" in client.get("/").text.split("<h1>")[0]  # under recent learning
    assert "安全生产视频" not in unfinished.split("<h1>")[1]


def test_audit_page_shows_limit_changes(admin_client, make_courseware, app):
    item = make_courseware(hours_limit=2)
    admin_client.post(
        f"/admin/courseware/{item}",
        data={"title": "Item", "kind": "video", "hours_limit": "0.5", "source_url": "/x.webm"},
    )
    page = admin_client.get("/admin/audit", headers=ZH).text
    assert "修改了课件“<a" in page
    assert "学时上限：2 小时" in page
    assert "hours_limit" not in page


def test_audit_page_shows_every_kind_of_entry(app, admin_client, make_user, auth_headers):
    """Entries without a before (a first confirmation) or an after (a void) read as well."""
    learner = make_user("ann")
    ann, as_ann = auth_headers("ann"), app.test_client()  # no admin cookie beside the token
    training = {
        "title": "Safety",
        "category": "专项技术短期培训班",
        "organizer": "金属研究所",
        "location": "468",
        "start_date": "2026-02-09",
        "end_date": "2026-02-10",
        "days": 2,
    }
    training_id = admin_client.post("/api/v1/trainings", json=training).json["id"]
    assert as_ann.post(f"/api/v1/trainings/{training_id}/enrol", headers=ann).status_code < 300
    attendance = {"user_id": learner, "absent_fraction": 0, "assessment": "passed"}
    confirmed = admin_client.post(f"/api/v1/trainings/{training_id}/attendance", json=attendance)
    assert confirmed.status_code == 200, confirmed.json
    voided = admin_client.delete(f"/api/v1/trainings/{training_id}/attendance/{learner}")
    assert voided.status_code in (200, 204)
    record = {"kind": "external_training", "title": "Course", "start_date": "2026-02-05"}
    record |= {"end_date": "2026-02-05"}
    record_id = as_ann.post("/api/v1/records", json=record | {"hours": 4}, headers=ann)
    assert record_id.status_code == 201, record_id.json
    record_id = record_id.json["id"]
    approved = admin_client.post(
        f"/api/v1/records/{record_id}/review", json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.json
    revoked = admin_client.post(f"/api/v1/records/{record_id}/revoke", json={"reason": "twice"})
    assert revoked.status_code == 200
    for language in (ZH, {"Accept-Language": "en"}):
        page = admin_client.get("/admin/audit", headers=language)
        assert page.status_code == 200
        assert 'data-action="attendance.void"' in page.text
        assert 'data-action="record.revoke"' in page.text
        assert "twice" in page.text
        assert "None" not in page.text


def test_recent_learning_leaves_out_sessions_that_booked_nothing(
    app, client, make_user, make_courseware
):
    make_user("ann")
    booked = {"未计时课件": 0, "半分钟课件": 30_000, "两小时课件": 2 * 3_600_000}
    with app.app_context(), transaction():
        for day, (title, raw_ms) in enumerate(booked.items(), start=1):
            at = datetime(2026, 5, day, tzinfo=UTC)
            db.session.add(
                WatchSession(
                    id=uuid4().hex,
                    user_id=user_id(app, "ann"),
                    courseware_id=make_courseware(title=title),
                    opened_at=at,
                    last_beat_at=at,
                    raw_ms=raw_ms,
                    live_ms=raw_ms,
                    effective_ms=raw_ms,
                )
            )
    log_in(client, "ann")
    page = client.get("/", headers={"Accept-Language": "en"}).text
    recent = page.split("Recent learning")[1].split("<h1>")[0]
    assert "未计时课件" not in recent
    assert not re.search(r"\b0 h 0?0 min", recent)
    assert re.search(r"半分钟课件</a>\s*<small>[^<]*under 1 min</small>", recent)
    assert re.search(r"两小时课件</a>\s*<small>[^<]*2 h 0?0 min</small>", recent)

"""Notices: written by the services' events, private to their user, marked read, reminders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.integration.conftest import assert_error, count, user_id
from tests.integration.test_archive_api import watch
from tests.integration.test_records import file_record, review
from tests.integration.test_trainings import attend, create, upload_material
from tracker.extensions import db
from tracker.models import Notice, Unit
from tracker.services import transaction
from tracker.services.notices import notify


@pytest.fixture
def bob(make_user, auth_headers):
    make_user("bob")
    return auth_headers("bob")


def notices(client, headers, **query):
    response = client.get("/api/v1/notices", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_review_tells_the_owner_in_the_readers_language(client, admin, learner):
    approved = file_record(client, learner, title="条例培训", hours=12)
    rejected = file_record(client, learner, title="Ethics")
    assert review(client, admin, approved["id"], hours=10).status_code == 200
    assert review(client, admin, rejected["id"], "reject", note="no certificate").status_code == 200
    assert review(client, admin, rejected["id"], "reject").status_code == 200  # no change

    page = notices(client, {**learner, "Accept-Language": "en"})
    assert [(n["kind"], n["read"]) for n in page["items"]] == [
        ("record_rejected", False),
        ("record_approved", False),
    ]
    assert page["total"] == page["unread"] == 2
    rejected_notice, approved_notice = page["items"]
    assert "no certificate" in rejected_notice["body"]
    assert rejected_notice["params"]["record_id"] == rejected["id"]
    assert approved_notice["title"] == "Learning record approved"
    assert "10 h 00 min" in approved_notice["body"]
    zh = notices(client, {**learner, "Accept-Language": "zh-CN"})["items"][1]
    assert zh["title"] != approved_notice["title"]
    assert "10" in zh["body"]
    assert notices(client, admin)["items"] == []


def test_confirmed_attendance_tells_the_attendee_once_per_change(app, client, admin, learner):
    training = create(client, admin, title="Metals")
    ann = user_id(app, "ann")
    for absent in (0.0, 0.0, 0.5):
        assert attend(client, admin, training["id"], ann, absent=absent).status_code == 200
    items = notices(client, {**learner, "Accept-Language": "en"})["items"]
    assert [n["kind"] for n in items] == ["attendance_confirmed"] * 2
    assert items[0]["params"]["training_id"] == training["id"]
    assert items[0]["body"] == (
        'Your attendance at "Metals" was confirmed, but earns no hours. '
        "No hours: absence of 1/5 or more."
    )
    assert "16 h 00 min" in items[1]["body"]


def test_notices_are_private_admins_included(app, client, admin, learner, bob):
    with app.app_context(), transaction():
        notify(user_id(app, "ann"), "record_revoked", record_id=1, title="X", reason="forged")
    mine = notices(client, learner)["items"]
    assert len(mine) == 1
    notice_id = mine[0]["id"]
    for other in (bob, admin):
        assert notices(client, other)["items"] == []
        assert_error(
            client.post(f"/api/v1/notices/{notice_id}/read", headers=other), 404, "notice_not_found"
        )
        assert client.post("/api/v1/notices/read", headers=other).json == {"marked": 0}
    assert notices(client, learner)["items"][0]["read"] is False
    assert_error(client.get("/api/v1/notices"), 401, "unauthorized")
    assert_error(client.post(f"/api/v1/notices/{notice_id}/read"), 401, "unauthorized")


def test_mark_one_and_all_read(app, client, learner):
    ann = user_id(app, "ann")
    with app.app_context(), transaction():
        for title in ("a", "b", "c"):
            notify(ann, "attendance_voided", training_id=1, title=title)
    first, *_ = notices(client, learner)["items"]
    for _ in range(2):  # marking twice is the same
        response = client.post(f"/api/v1/notices/{first['id']}/read", headers=learner)
        assert response.status_code == 204
    page = notices(client, learner)
    assert page["unread"] == 2
    assert page["items"][0]["read"] is True
    assert [n["id"] for n in notices(client, learner, unread="true")["items"]] == [
        n["id"] for n in page["items"][1:]
    ]
    assert client.post("/api/v1/notices/read", headers=learner).json == {"marked": 2}
    assert notices(client, learner)["unread"] == 0


def test_pages_are_bounded(app, client, learner):
    ann = user_id(app, "ann")
    with app.app_context(), transaction():
        for n in range(5):
            notify(ann, "attendance_voided", training_id=n, title=f"t{n}", reason="")
    page = notices(client, learner, limit=2, offset=1)
    assert page["total"] == 5
    assert [n["params"]["title"] for n in page["items"]] == ["t3", "t2"]


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"unread": "maybe"}, {"page": 1}],
)
def test_bad_page_query_is_400(client, learner, query):
    response = client.get("/api/v1/notices", query_string=query, headers=learner)
    assert_error(response, 400, "bad_payload")


def test_the_notice_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    # 503: the database is unreachable (every operation may answer it).
    assert set(paths["/notices"]["get"]["responses"]) == {"200", "400", "401", "503"}
    read_one = paths["/notices/{notice_id}/read"]["post"]["responses"]
    assert set(read_one) == {"204", "401", "404", "503"}
    assert set(paths["/notices/read"]["post"]["responses"]) == {"200", "401", "503"}


# --- the scheduled reminders ----------------------------------------------------------------


def run_reminders(app) -> str:
    result = app.test_cli_runner().invoke(args=["notices", "send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def kinds_of(app, username: str) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [
            (n.kind, n.once_key)
            for n in db.session.scalars(
                select(Notice).where(Notice.user_id == user_id(app, username)).order_by(Notice.id)
            )
        ]


def test_behind_target_late_in_the_year_once_a_month(app, client, clock, admin, learner, bob):
    clock.now = datetime(2026, 9, 30, 12, tzinfo=UTC)
    run_reminders(app)
    assert kinds_of(app, "ann") == []  # not late in the year yet
    clock.now = datetime(2026, 10, 1, 12, tzinfo=UTC)
    assert "reminded 2 behind" in run_reminders(app)
    assert "reminded 0 behind" in run_reminders(app)  # idempotent within the month
    clock.now = datetime(2026, 11, 3, 12, tzinfo=UTC)
    run_reminders(app)
    assert kinds_of(app, "ann") == [
        ("target_at_risk", "target_at_risk:2026-10"),
        ("target_at_risk", "target_at_risk:2026-11"),
    ]
    assert kinds_of(app, "root") == []  # admins are operators, not learners
    body = notices(client, {**learner, "Accept-Language": "en"})["items"][0]["body"]
    assert "100 h 00 min more reach the 100 h 00 min target" in body


@pytest.mark.parametrize(
    ("watched_s", "done", "left"),
    [(590, "0 h 09 min", "99 h 51 min"), (600, "0 h 10 min", "99 h 50 min")],
)
def test_a_reminders_figures_add_up_to_the_target(
    app, client, clock, learner, make_courseware, connect, watched_s, done, left
):
    clock.now = datetime(2026, 3, 2, 1, tzinfo=UTC)
    watch(connect, clock, make_courseware(hours_limit=1), watched_s)
    clock.now = datetime(2026, 10, 1, 12, tzinfo=UTC)
    run_reminders(app)
    body = notices(client, {**learner, "Accept-Language": "en"})["items"][0]["body"]
    assert f"you have {done}; {left} more reach the 100 h 00 min target" in body


def test_reminders_go_in_batches_and_skip_who_is_on_target(
    make_app, database_url, clock, make_user
):
    app = make_app(database_url, REMINDER_BATCH=2)
    with app.app_context():
        from tracker.services.accounts import save_user

        for n in range(5):
            save_user(f"p{n}", "correct horse 1", "learner", None)
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)
    assert "checked 5 people, reminded 5" in run_reminders(app)
    assert "checked 0 people, reminded 0" in run_reminders(app)


def test_changzhou_subject_shortfall_is_named(app, client, clock, make_user, auth_headers):
    make_user("wu", unit="常州")
    with app.app_context(), transaction():
        db.session.scalar(select(Unit).where(Unit.name == "常州")).rule_set_id = "changzhou-2011"
    clock.now = datetime(2026, 10, 2, tzinfo=UTC)
    run_reminders(app)
    wu = auth_headers("wu")
    (notice,) = notices(client, {**wu, "Accept-Language": "en"})["items"]
    hours = 3_600_000
    assert notice["params"]["shortfalls"] == {"public": 24 * hours, "professional": 48 * hours}
    assert "Public subject 24 h 00 min" in notice["body"]


def test_overdue_filing_tells_the_filing_admin_once(app, client, clock, admin):
    late = create(client, admin, title="Late", end_date="2026-03-10")
    filed = create(client, admin, title="Filed", end_date="2026-03-10")
    for kind in ("notice", "schedule", "sign_in"):
        assert upload_material(client, admin, filed["id"], kind=kind).status_code == 201
    clock.now = datetime(2026, 3, 25, 12, tzinfo=UTC)  # due 25 March: not yet overdue
    assert "told 0 overdue" in run_reminders(app)
    clock.now = datetime(2026, 3, 26, 12, tzinfo=UTC)
    assert "told 1 overdue" in run_reminders(app)
    assert "told 0 overdue" in run_reminders(app)
    assert kinds_of(app, "root") == [("filing_overdue", f"filing_overdue:{late['id']}")]
    body = notices(client, {**admin, "Accept-Language": "en"})["items"][0]["body"]
    assert '"Late"' in body
    assert "2026-03-25" in body
    assert count(app, Notice) == 1


# --- the pages ------------------------------------------------------------------------------


def test_the_bell_counts_unread_and_the_page_marks_read(app, client, make_user):
    from tests.integration.test_admin_pages import log_in

    make_user("ann")
    make_user("bob")
    ann = user_id(app, "ann")
    with app.app_context(), transaction():
        notify(ann, "record_revoked", record_id=1, title="Ethics", reason="forged")
        notify(ann, "attendance_voided", training_id=1, title="Metals")
    log_in(client, "bob")
    assert 'id="unread-count"' not in client.get("/notices").text
    client.post("/logout")
    log_in(client, "ann")
    page = client.get("/notices", headers={"Accept-Language": "zh-CN"}).text
    assert '<span class="badge" id="unread-count">2</span>' in page
    assert "“Ethics”已被撤销，其学时不再计入。原因：forged" in page
    with app.app_context():
        first = db.session.scalar(select(Notice.id).where(Notice.user_id == ann).limit(1))
    assert client.post(f"/notices/{first}/read").status_code == 302
    assert 'id="unread-count">1<' in client.get("/").text
    client.post("/logout")
    log_in(client, "bob")
    assert client.post("/notices/read").status_code == 302  # marks only bob's
    assert client.post(f"/notices/{first}/read").status_code == 404
    client.post("/logout")
    log_in(client, "ann")
    assert client.post("/notices/read").status_code == 302
    page = client.get("/notices", headers={"Accept-Language": "en"}).text
    assert 'id="unread-count"' not in page
    assert "Mark read" not in page


def test_revoking_and_voiding_tell_the_person_why(app, client, admin, learner):
    record = file_record(client, learner, title="Forged course")
    assert review(client, admin, record["id"]).status_code == 200
    revoked = client.post(
        f"/api/v1/records/{record['id']}/revoke", json={"reason": "no such course"}, headers=admin
    )
    assert revoked.status_code == 200, revoked.json
    training = create(client, admin, title="Metals")
    ann = user_id(app, "ann")
    assert attend(client, admin, training["id"], ann).status_code == 200
    voided = client.delete(
        f"/api/v1/trainings/{training['id']}/attendance/{ann}?reason=absent", headers=admin
    )
    assert voided.status_code in (200, 204), voided.json
    items = notices(client, {**learner, "Accept-Language": "en"})["items"]
    assert [n["kind"] for n in items] == [
        "attendance_voided",
        "attendance_confirmed",
        "record_revoked",
        "record_approved",
    ]
    assert items[0]["body"].endswith("Reason: absent")
    assert items[0]["params"]["training_id"] == training["id"]
    assert items[2]["body"] == (
        '"Forged course" was revoked; its hours no longer count. Reason: no such course'
    )

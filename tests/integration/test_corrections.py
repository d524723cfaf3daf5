"""Corrections: withdrawing, editing and resubmitting claims, revoking them, voiding attendance;
the day rule of self-reported external trainings; the pages that do all of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.conftest import PASSWORD, assert_error, count, user_id
from tracker.extensions import db
from tracker.models import AuditEntry, LearningRecord, Unit
from tracker.services import transaction

CLAIM = {
    "kind": "external_training",
    "title": "科研诚信专题培训",
    "start_date": "2026-02-05",
    "end_date": "2026-02-07",
    "hours": 12,
    "location": "兰州",
}
TRAINING = {
    "title": "档案管理培训",
    "category": "专项技术短期培训班",
    "organizer": "人事处",
    "location": "兰州",
    "start_date": "2026-03-09",
    "end_date": "2026-03-10",
    "days": 2,
}


def file_claim(client, headers, **changes) -> dict:
    response = client.post("/api/v1/records", json={**CLAIM, **changes}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def decide(client, headers, record_id, decision="approve", **extra):
    body = {"decision": decision, **extra}
    response = client.post(f"/api/v1/records/{record_id}/review", json=body, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def record(client, headers, record_id) -> dict:
    return client.get(f"/api/v1/records/{record_id}", headers=headers).json


def archive_total(client, headers) -> float:
    response = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["total_s"]


def log_of(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def login(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def bob(make_user, auth_headers):
    make_user("bob")
    return auth_headers("bob")


@pytest.fixture
def outsider_admin(app, make_user, auth_headers):
    """An admin of unit 北方 (ann, unit-less, is outside it)."""
    make_user("north", role="admin", unit="北方")
    return auth_headers("north")


# --- withdraw -------------------------------------------------------------------------------


def test_owner_withdraws_a_pending_claim_once(app, client, admin, learner):
    claim = file_claim(client, learner)
    url = f"/api/v1/records/{claim['id']}/withdraw"
    first = client.post(url, headers=learner)
    assert first.status_code == 200, first.json
    assert first.json == {**first.json, "id": claim["id"], "status": "withdrawn"}
    assert client.post(url, headers=learner).json == first.json
    assert record(client, learner, claim["id"])["status"] == "withdrawn"
    assert client.get("/api/v1/records?status=pending", headers=admin).json == []
    entries = log_of(app, "record.withdraw")
    assert [
        (e.target_id, e.detail["old"]["status"], e.detail["new"]["status"]) for e in entries
    ] == [(str(claim["id"]), "pending", "withdrawn")]
    body = {"decision": "approve"}
    refused = client.post(f"/api/v1/records/{claim['id']}/review", json=body, headers=admin)
    assert_error(refused, 409, "record_withdrawn")


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decided_claim_cannot_be_withdrawn(client, admin, learner, decision):
    claim = file_claim(client, learner)
    decided = decide(client, admin, claim["id"], decision, note="x")
    response = client.post(f"/api/v1/records/{claim['id']}/withdraw", headers=learner)
    assert_error(response, 409, "record_decided")
    assert record(client, learner, claim["id"])["status"] == decided["status"]


def test_nobody_else_withdraws_a_claim(client, admin, learner, bob):
    claim = file_claim(client, learner)
    for headers in (bob, admin):
        response = client.post(f"/api/v1/records/{claim['id']}/withdraw", headers=headers)
        assert_error(response, 404, "record_not_found")
    assert record(client, learner, claim["id"])["status"] == "pending"
    assert_error(
        client.post("/api/v1/records/999/withdraw", headers=learner), 404, "record_not_found"
    )


# --- edit and resubmit ----------------------------------------------------------------------


def test_owner_edits_a_pending_claim(app, client, learner):
    claim = file_claim(client, learner)
    url = f"/api/v1/records/{claim['id']}"
    response = client.patch(url, json={"hours": 10, "title": "改"}, headers=learner)
    assert response.status_code == 200, response.json
    assert (response.json["hours"], response.json["title"], response.json["status"]) == (
        10,
        "改",
        "pending",
    )
    assert response.json["location"] == "兰州"  # what is left out stays
    [entry] = log_of(app, "record.update")
    assert entry.detail["old"] == {"claimed_ms": 12 * 3_600_000, "title": CLAIM["title"]}
    assert entry.detail["new"] == {"claimed_ms": 10 * 3_600_000, "title": "改"}


def test_a_rejected_claim_is_edited_and_resubmitted(app, client, admin, learner):
    claim = file_claim(client, learner)
    decide(client, admin, claim["id"], "reject", note="缺少证明材料")
    assert record(client, learner, claim["id"])["note"] == "缺少证明材料"
    body = {"content": "补充了证明", "hours": 8}
    response = client.patch(f"/api/v1/records/{claim['id']}", json=body, headers=learner)
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["note"], response.json["reviewer_id"]) == (
        "pending",
        "",
        None,
    )
    queue = client.get("/api/v1/records?status=pending", headers=admin).json
    assert [r["id"] for r in queue] == [claim["id"]]
    assert decide(client, admin, claim["id"])["approved_hours"] == 8
    [entry] = log_of(app, "record.resubmit")
    assert entry.detail["old"]["status"] == "rejected"
    assert entry.detail["old"]["note"] == "缺少证明材料"
    assert entry.detail["new"]["status"] == "pending"


@pytest.mark.parametrize("state", ["approved", "withdrawn", "revoked"])
def test_only_pending_or_rejected_claims_are_edited(client, admin, learner, state):
    claim = file_claim(client, learner)
    if state == "withdrawn":
        client.post(f"/api/v1/records/{claim['id']}/withdraw", headers=learner)
    else:
        decide(client, admin, claim["id"])
    if state == "revoked":
        client.post(f"/api/v1/records/{claim['id']}/revoke", json={"reason": "x"}, headers=admin)
    before = record(client, learner, claim["id"])
    response = client.patch(f"/api/v1/records/{claim['id']}", json={"hours": 1}, headers=learner)
    assert_error(response, 409, "record_not_editable")
    assert record(client, learner, claim["id"]) == before
    assert before["status"] == state


def test_nobody_else_edits_a_claim(client, admin, learner, bob):
    claim = file_claim(client, learner)
    for headers in (bob, admin):
        response = client.patch(
            f"/api/v1/records/{claim['id']}", json={"hours": 1}, headers=headers
        )
        assert_error(response, 404, "record_not_found")
    assert record(client, learner, claim["id"]) == claim


@pytest.mark.parametrize(
    "body",
    [
        {"end_date": "2026-02-01"},  # before the start it keeps
        {"start_date": "2026-02-09", "end_date": "2026-02-08"},
        {"hours": 25},  # 3 days × 8 h under cas-2016
        {"title": None},
        {"title": ""},
        {"hours": "3"},
        {"kind": "online"},
        {"colour": "red"},
    ],
    ids=repr,
)
def test_a_bad_edit_is_400_and_changes_nothing(app, client, learner, body):
    claim = file_claim(client, learner)
    response = client.patch(f"/api/v1/records/{claim['id']}", json=body, headers=learner)
    assert_error(response, 400, "bad_payload")
    assert record(client, learner, claim["id"]) == claim
    assert count(app, AuditEntry) == 0


# --- revoke ---------------------------------------------------------------------------------


def test_admin_revokes_an_approved_claim_and_its_hours_leave_the_archive(
    app, client, admin, learner
):
    claim = file_claim(client, learner)
    decide(client, admin, claim["id"], note="ok")
    assert archive_total(client, learner) == 12 * 3600
    url = f"/api/v1/records/{claim['id']}/revoke"
    response = client.post(url, json={"reason": "证书系伪造"}, headers=admin)
    assert response.status_code == 200, response.json
    assert response.json == {**response.json, "id": claim["id"], "status": "revoked"}
    assert archive_total(client, learner) == 0
    seen = record(client, learner, claim["id"])
    assert (seen["status"], seen["note"]) == ("revoked", "证书系伪造")
    [entry] = log_of(app, "record.revoke")
    assert entry.detail["reason"] == "证书系伪造"
    assert entry.detail["old"]["status"] == "approved"
    assert entry.detail["new"]["status"] == "revoked"
    assert entry.actor_id == user_id(app, "root")
    assert_error(
        client.post(url, json={"reason": "again"}, headers=admin), 409, "record_not_approved"
    )


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 3}], ids=repr)
def test_a_revocation_needs_a_reason(client, admin, learner, body):
    claim = file_claim(client, learner)
    decide(client, admin, claim["id"])
    response = client.post(f"/api/v1/records/{claim['id']}/revoke", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert record(client, learner, claim["id"])["status"] == "approved"


@pytest.mark.parametrize("state", ["pending", "rejected"])
def test_only_approved_claims_are_revoked(client, admin, learner, state):
    claim = file_claim(client, learner)
    if state == "rejected":
        decide(client, admin, claim["id"], "reject", note="no")
    response = client.post(
        f"/api/v1/records/{claim['id']}/revoke", json={"reason": "x"}, headers=admin
    )
    assert_error(response, 409, "record_not_approved")
    assert record(client, learner, claim["id"])["status"] == state


def test_only_an_admin_over_the_owner_revokes(client, admin, learner, outsider_admin):
    claim = file_claim(client, learner)
    decide(client, admin, claim["id"])
    url = f"/api/v1/records/{claim['id']}/revoke"
    assert_error(client.post(url, json={"reason": "x"}, headers=learner), 403, "forbidden")
    assert_error(
        client.post(url, json={"reason": "x"}, headers=outsider_admin), 404, "record_not_found"
    )
    assert record(client, learner, claim["id"])["status"] == "approved"


# --- the day rule of self-reported external trainings ---------------------------------------


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({"hours": 24}, True),  # 3 calendar days × 8 h
        ({"hours": 24.5}, False),
        ({"days": 1.5, "hours": 12}, True),  # half days allowed
        ({"days": 1.5, "hours": 12.5}, False),
        ({"days": 3, "hours": 24}, True),  # exactly the period's calendar days
        ({"days": 3.5, "hours": 24}, False),  # one half day more than the period has
        ({"days": 4, "hours": 8}, False),
        ({"days": 1.25, "hours": 8}, False),
        ({"absent_fraction": 0.1, "assessment": "passed"}, True),
        ({"absent_fraction": 0.2}, False),  # 1/5 or more: no hours
        ({"assessment": "failed"}, False),
        ({"absent_fraction": 1.5}, False),
        ({"kind": "self_study", "days": 1}, False),  # only trainings have days
        ({"kind": "external_online", "assessment": "passed"}, False),
        ({"kind": "self_study", "hours": 72}, True),  # 24 h a day of the period
        ({"kind": "self_study", "hours": 72.5}, False),
    ],
    ids=repr,
)
def test_external_trainings_follow_the_day_rule(app, client, learner, changes, ok):
    response = client.post("/api/v1/records", json={**CLAIM, **changes}, headers=learner)
    if ok:
        assert response.status_code == 201, response.json
        assert {k: response.json[k] for k in changes} == changes
    else:
        assert_error(response, 400, "bad_payload")
        assert count(app, LearningRecord) == 0


def test_the_day_rule_uses_the_owners_rule_set(app, client, make_user, auth_headers):
    make_user("cz", unit="常州")
    with app.app_context(), transaction():
        db.session.scalar(select(Unit).where(Unit.name == "常州")).rule_set_id = "changzhou-2011"
    headers = auth_headers("cz")
    refused = client.post("/api/v1/records", json={**CLAIM, "hours": 19}, headers=headers)
    assert_error(refused, 400, "bad_payload")
    assert "6" in refused.json["message"]  # 3 days × 6 h
    assert (
        client.post("/api/v1/records", json={**CLAIM, "hours": 18}, headers=headers).status_code
        == 201
    )


def test_an_edit_keeps_to_the_day_rule(client, learner):
    claim = file_claim(client, learner, days=1, hours=8)
    url = f"/api/v1/records/{claim['id']}"
    assert_error(client.patch(url, json={"hours": 9}, headers=learner), 400, "bad_payload")
    assert_error(
        client.patch(url, json={"assessment": "failed"}, headers=learner), 400, "bad_payload"
    )
    changed = client.patch(url, json={"days": None, "hours": 20}, headers=learner)
    assert changed.status_code == 200, changed.json
    assert (changed.json["days"], changed.json["hours"]) == (None, 20)


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"end_date": "2026-02-05", "days": 1, "hours": 8}, True),
        ({"end_date": "2026-02-05", "days": 1.5, "hours": 8}, False),
        ({"end_date": "2026-02-05"}, False),  # the stored 3 days no longer fit one day
        ({"days": 3.5}, False),
    ],
    ids=repr,
)
def test_an_edit_states_at_most_the_periods_calendar_days(client, learner, body, ok):
    claim = file_claim(client, learner, days=3, hours=12)
    url = f"/api/v1/records/{claim['id']}"
    response = client.patch(url, json=body, headers={**learner, "Accept-Language": "en"})
    if ok:
        assert response.status_code == 200, response.json
        return
    assert_error(response, 400, "bad_payload")
    assert "The days cannot exceed the calendar days of the period." in str(response.json)
    assert client.get(url, headers=learner).json == claim


# --- voiding attendance ---------------------------------------------------------------------


@pytest.fixture
def confirmed(client, admin, learner, app):
    """A training ann attended, confirmed: (training id, ann's id)."""
    training = client.post("/api/v1/trainings", json=TRAINING, headers=admin).json
    ann = user_id(app, "ann")
    body = {"user_id": ann, "absent_fraction": 0, "assessment": "passed"}
    response = client.post(
        f"/api/v1/trainings/{training['id']}/attendance", json=body, headers=admin
    )
    assert response.json["credited_hours"] == 16
    return training["id"], ann


def test_admin_voids_a_confirmation_and_its_hours_leave_the_archive(
    app, client, admin, learner, confirmed
):
    training_id, ann = confirmed
    assert archive_total(client, learner) == 16 * 3600
    url = f"/api/v1/trainings/{training_id}/attendance/{ann}?reason=签到表不符"
    response = client.delete(url, headers=admin)
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["credited_hours"]) == ("voided", 0)
    assert response.json["void_reason"] == "签到表不符"
    assert archive_total(client, learner) == 0
    mine = client.get(f"/api/v1/trainings/{training_id}", headers=learner).json
    assert (mine["my_status"], mine["my_void_reason"]) == ("voided", "签到表不符")
    [entry] = log_of(app, "attendance.void")
    assert (entry.detail["user_id"], entry.detail["reason"]) == (ann, "签到表不符")
    assert entry.detail["old"]["credited_ms"] == 16 * 3_600_000
    assert_error(client.delete(url, headers=admin), 404, "attendance_not_found")
    body = {"user_id": ann, "absent_fraction": 0, "assessment": "passed"}
    again = client.post(f"/api/v1/trainings/{training_id}/attendance", json=body, headers=admin)
    assert (again.json["status"], again.json["void_reason"]) == ("confirmed", "")
    assert archive_total(client, learner) == 16 * 3600


def test_voiding_without_a_reason(client, admin, learner, confirmed):
    training_id, ann = confirmed
    response = client.delete(f"/api/v1/trainings/{training_id}/attendance/{ann}", headers=admin)
    assert (response.status_code, response.json["void_reason"]) == (200, "")


def test_only_an_admin_over_the_person_voids(client, admin, learner, outsider_admin, confirmed):
    training_id, ann = confirmed
    url = f"/api/v1/trainings/{training_id}/attendance/{ann}"
    assert_error(client.delete(url, headers=learner), 403, "forbidden")
    assert_error(client.delete(url, headers=outsider_admin), 404, "attendance_not_found")
    assert_error(
        client.delete(f"/api/v1/trainings/999/attendance/{ann}", headers=admin),
        404,
        "training_not_found",
    )
    assert_error(
        client.delete(f"/api/v1/trainings/{training_id}/attendance/999", headers=admin),
        404,
        "attendance_not_found",
    )
    assert archive_total(client, learner) == 16 * 3600


def test_a_void_reason_is_bounded(client, admin, learner, confirmed):
    training_id, ann = confirmed
    url = f"/api/v1/trainings/{training_id}/attendance/{ann}?reason={'x' * 2001}"
    assert_error(client.delete(url, headers=admin), 400, "bad_payload")
    assert archive_total(client, learner) == 16 * 3600


# --- pages ----------------------------------------------------------------------------------


def test_the_learner_edits_resubmits_and_withdraws_on_the_page(client, admin, learner):
    rejected = file_claim(client, learner)
    decide(client, admin, rejected["id"], "reject", note="请补充结业证书")
    pending = file_claim(client, learner, title="待审")
    login(client, "ann")
    page = client.get("/learning/external", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "请补充结业证书" in page
    assert f"/learning/records/{rejected['id']}/edit" in page
    assert f"/learning/records/{pending['id']}/withdraw" in page
    assert f"/learning/records/{rejected['id']}/withdraw" not in page
    edit = client.get(f"/learning/records/{rejected['id']}/edit", headers={"Accept-Language": "en"})
    assert edit.status_code == 200
    assert "请补充结业证书" in edit.get_data(as_text=True)
    form = {
        "title": "科研诚信专题培训（补）",
        "start_date": "2026-02-05",
        "end_date": "2026-02-07",
        "hours": "10",
        "days": "",
        "location": "兰州",
    }
    too_many = client.post(
        f"/learning/records/{rejected['id']}/edit",
        data={**form, "hours": "30"},
        headers={"Accept-Language": "en"},
    )
    assert too_many.status_code == 400
    assert "at most 24 hours" in too_many.get_data(as_text=True)
    saved = client.post(f"/learning/records/{rejected['id']}/edit", data=form)
    assert saved.status_code == 302
    assert record(client, learner, rejected["id"])["status"] == "pending"
    assert record(client, learner, rejected["id"])["hours"] == 10
    assert client.post(f"/learning/records/{pending['id']}/withdraw").status_code == 302
    assert record(client, learner, pending["id"])["status"] == "withdrawn"
    assert client.get(f"/learning/records/{pending['id']}/edit").status_code == 409
    refused = client.post(f"/learning/records/{pending['id']}/edit", data=form)
    assert refused.status_code == 409


def test_others_records_have_no_edit_page(client, learner, bob):
    claim = file_claim(client, bob)
    login(client, "ann")
    assert client.get(f"/learning/records/{claim['id']}/edit").status_code == 404
    assert client.post(f"/learning/records/{claim['id']}/withdraw").status_code == 404


def test_admin_revokes_on_the_review_page_and_the_learner_sees_why(client, admin, learner):
    claim = file_claim(client, learner)
    decide(client, admin, claim["id"])
    login(client, "root")
    page = client.get("/learning/review?status=approved").get_data(as_text=True)
    assert f"/learning/review/{claim['id']}/revoke" in page
    assert (
        client.post(f"/learning/review/{claim['id']}/revoke", data={"reason": ""}).status_code
        == 400
    )
    revoked = client.post(f"/learning/review/{claim['id']}/revoke", data={"reason": "重复申报"})
    assert revoked.status_code == 302
    assert "重复申报" in client.get("/learning/review?status=revoked").get_data(as_text=True)
    client.post("/logout")
    login(client, "ann")
    page = client.get("/learning/external", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Revoked: 重复申报" in page


def test_admin_voids_on_the_attendance_page_and_the_person_sees_why(
    client, admin, learner, confirmed
):
    training_id, ann = confirmed
    login(client, "root")
    page = client.get(f"/trainings/{training_id}/attendance").get_data(as_text=True)
    assert f"/trainings/{training_id}/attendance/{ann}/void" in page
    voided = client.post(
        f"/trainings/{training_id}/attendance/{ann}/void", data={"reason": "未参加结业考核"}
    )
    assert voided.status_code == 302
    client.post("/logout")
    login(client, "ann")
    page = client.get(f"/trainings/{training_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Your attendance was voided" in text
    assert "未参加结业考核" in text

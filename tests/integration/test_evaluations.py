"""Evaluations: only of what one took, once (editable); averages; admins' list and exports."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.integration.conftest import PASSWORD, assert_error, count, user_id
from tracker.extensions import db
from tracker.models import Evaluation, ItemProgress, Training, TrainingParticipant

ZH = {"Accept-Language": "zh-CN"}


def finish_item(app, username: str, item: int, hours: float) -> None:
    with app.app_context():
        db.session.add(
            ItemProgress(
                user_id=user_id(app, username), courseware_id=item, credited_ms=int(hours * 3.6e6)
            )
        )
        db.session.commit()


def log_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def training(client, admin) -> int:
    body = {
        "title": "Lab safety",
        "category": "safety",
        "organizer": "HR",
        "location": "Hall 1",
        "start_date": "2026-02-02",
        "end_date": "2026-02-02",
        "days": 1,
    }
    return client.post("/api/v1/trainings", json=body, headers=admin).json["id"]


def test_an_item_is_rated_once_its_hours_are_credited(app, client, admin, learner, make_courseware):
    item = make_courseware(hours_limit=1)
    body = {"rating": 4, "comment": "Clear slides"}
    response = client.put(f"/api/v1/courseware/{item}/evaluation", json=body, headers=learner)
    assert_error(response, 403, "not_taken")
    finish_item(app, "ann", item, 0.5)
    response = client.put(f"/api/v1/courseware/{item}/evaluation", json=body, headers=learner)
    assert_error(response, 403, "not_taken")
    with app.app_context():
        db.session.get(ItemProgress, (user_id(app, "ann"), item)).credited_ms = 3_600_000
        db.session.commit()
    first = client.put(f"/api/v1/courseware/{item}/evaluation", json=body, headers=learner)
    assert first.status_code == 200, first.json
    changed = client.put(
        f"/api/v1/courseware/{item}/evaluation", json={"rating": 2}, headers=learner
    )
    assert (changed.json["id"], changed.json["rating"], changed.json["comment"]) == (
        first.json["id"],
        2,
        "",
    )
    assert count(app, Evaluation) == 1
    summary = client.get(f"/api/v1/courseware/{item}/evaluation", headers=learner).json
    assert (summary["average"], summary["count"], summary["can_evaluate"]) == (2.0, 1, True)
    assert summary["mine"]["rating"] == 2
    log_in(client, "ann")
    page = client.get("/", headers=ZH).text
    assert "★ 2.0" in page
    assert f"/courseware/{item}/evaluate" in page


def test_a_training_is_rated_after_confirmed_attendance(
    app, client, admin, learner, make_user, auth_headers
):
    training_id = training(client, admin)
    client.post(f"/api/v1/trainings/{training_id}/enrol", headers=learner)
    response = client.put(
        f"/api/v1/trainings/{training_id}/evaluation", json={"rating": 5}, headers=learner
    )
    assert_error(response, 403, "not_taken")  # enrolled is not attended
    confirm = {"user_id": user_id(app, "ann"), "absent_fraction": 0, "assessment": "passed"}
    client.post(f"/api/v1/trainings/{training_id}/attendance", json=confirm, headers=admin)
    make_user("bob")
    client.post(
        f"/api/v1/trainings/{training_id}/attendance",
        json={**confirm, "user_id": user_id(app, "bob")},
        headers=admin,
    )
    for headers, rating in ((learner, 5), (auth_headers("bob"), 4)):
        response = client.put(
            f"/api/v1/trainings/{training_id}/evaluation",
            json={"rating": rating, "comment": "讲得好"},
            headers=headers,
        )
        assert response.status_code == 200, response.json
    summary = client.get(f"/api/v1/trainings/{training_id}/evaluation", headers=learner).json
    assert (summary["average"], summary["count"]) == (4.5, 2)
    listed = client.get("/api/v1/evaluations?target=training", headers=admin).json
    assert listed["total"] == 2
    assert {(r["username"], r["comment"], r["target_title"]) for r in listed["items"]} == {
        ("ann", "讲得好", "Lab safety"),
        ("bob", "讲得好", "Lab safety"),
    }
    assert_error(client.get("/api/v1/evaluations", headers=learner), 403, "forbidden")
    csv = client.get("/api/v1/evaluations/export?format=csv", headers=admin)
    assert csv.data.startswith("\ufeff".encode())
    assert "讲得好" in csv.data.decode("utf-8-sig")
    xlsx = client.get("/api/v1/evaluations/export?format=xlsx", headers=admin)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)] == [4, 5]
    log_in(client, "ann")
    assert "★ 4.5" in client.get("/trainings", headers=ZH).text


def test_bad_evaluations_are_refused(app, client, learner, make_courseware):
    item = make_courseware(hours_limit=1)
    finish_item(app, "ann", item, 1)
    for body in (
        {"rating": 0},
        {"rating": 6},
        {"rating": "5"},
        {"rating": 3, "comment": "x" * 2001},
        {},
    ):
        response = client.put(f"/api/v1/courseware/{item}/evaluation", json=body, headers=learner)
        assert_error(response, 400, "bad_payload")
    response = client.put("/api/v1/courseware/999/evaluation", json={"rating": 3}, headers=learner)
    assert_error(response, 404, "courseware_not_found")
    response = client.put(
        f"/api/v1/trainings/{2**40}/evaluation", json={"rating": 3}, headers=learner
    )
    assert_error(response, 404, "not_found")  # no training can have this id
    assert count(app, Evaluation) == 0
    with app.app_context():
        assert db.session.query(Training).count() == 0
        assert db.session.query(TrainingParticipant).count() == 0

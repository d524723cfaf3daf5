"""A unit admin does its job inside its subtree: people, units, reviews, attendance, reports,
archives, certificates; and its pages show only its people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.integration.conftest import PASSWORD, assert_error, count, user_id
from tests.integration.test_unit_scope_sweep import RECORD, TRAINING
from tracker.extensions import db
from tracker.models import AuditEntry, Training, TrainingParticipant, User


@pytest.fixture
def org(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., int],
    auth_headers: Callable[[str], dict[str, str]],
) -> dict[str, Any]:
    """Branch › Institute › Lab and a Bureau; ann in the Lab, bob in the Bureau; the command
    line makes the Institute's admin."""
    make_user("root", role="admin")
    root = auth_headers("root")
    ids: dict[str, Any] = {"root": root}
    parent = None
    for name in ("Branch", "Institute", "Lab"):
        body = {"name": name} | ({"parent_id": parent} if parent else {})
        parent = ids[name] = client.post("/api/v1/units", json=body, headers=root).json["id"]
    ids["Bureau"] = client.post("/api/v1/units", json={"name": "Bureau"}, headers=root).json["id"]
    make_user("ann", unit="Lab")
    make_user("bob", unit="Bureau")
    result = app.test_cli_runner().invoke(
        args=["create-user", "ia", "--password", PASSWORD, "--role", "admin", "--unit", "Institute"]
    )
    assert result.exit_code == 0, result.output
    ids["ia"] = auth_headers("ia")
    ids["ann"] = auth_headers("ann")
    ids["bob"] = auth_headers("bob")
    return ids


def test_the_command_line_makes_a_unit_admin(app: Flask, org: dict[str, Any]) -> None:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "ia"))
        assert (admin.role, admin.unit.name) == ("admin", "Institute")


def test_a_unit_admin_manages_its_people(app: Flask, client: FlaskClient, org: dict) -> None:
    ia = org["ia"]
    listed = client.get("/api/v1/users", headers=ia).json
    assert sorted(u["username"] for u in listed["items"]) == ["ann", "ia"]
    assert listed["total"] == 2
    made = client.post(
        "/api/v1/users",
        json={"username": "cai", "password": "long enough", "role": "admin", "unit": "Lab"},
        headers=ia,
    )
    assert made.status_code == 201, made.json
    assert (made.json["unit"], made.json["role"]) == ("Lab", "admin")
    ann = user_id(app, "ann")
    moved = client.patch(
        f"/api/v1/users/{ann}",
        json={"unit_id": org["Institute"], "display_name": "Ann"},
        headers=ia,
    )
    assert (moved.status_code, moved.json["unit"]) == (200, "Institute")
    imported = client.post(
        "/api/v1/users/import",
        data="username,password,role,unit\ndan,long enough,learner,Lab\n",
        content_type="text/csv",
        headers=ia,
    )
    assert imported.json == {"created": 1, "updated": 0}
    assert_error(
        client.patch(f"/api/v1/users/{user_id(app, 'bob')}", json={"active": False}, headers=ia),
        404,
        "user_not_found",
    )
    assert_error(
        client.patch(f"/api/v1/users/{ann}", json={"unit_id": org["Bureau"]}, headers=ia),
        403,
        "outside_scope",
    )
    with app.app_context():
        assert (
            db.session.scalar(select(User.unit_id).where(User.username == "ann"))
            == org["Institute"]
        )


def test_a_unit_admin_keeps_its_own_place(app: Flask, client: FlaskClient, org: dict) -> None:
    ia, me = org["ia"], user_id(app, "ia")
    for change in ({"unit_id": org["Branch"]}, {"unit_id": org["Lab"]}, {"role": "leader"}):
        assert_error(client.patch(f"/api/v1/users/{me}", json=change, headers=ia), 403, "own_scope")
    assert_error(
        client.patch(f"/api/v1/units/{org['Institute']}", json={"name": "Mine"}, headers=ia),
        403,
        "own_scope",
    )
    assert_error(
        client.post("/api/v1/users", json={"username": "z", "password": "long enough"}, headers=ia),
        400,
        "unit_required",
    )
    assert_error(
        client.post(
            "/api/v1/users",
            json={"username": "z", "password": "long enough", "role": "admin", "unit": "Branch"},
            headers=ia,
        ),
        403,
        "outside_scope",
    )
    assert count(app, User, User.username == "z") == 0


def test_a_unit_admin_shapes_the_units_below_its_own(client: FlaskClient, org: dict) -> None:
    ia = org["ia"]
    made = client.post("/api/v1/units", json={"name": "Annex", "parent_id": org["Lab"]}, headers=ia)
    assert made.status_code == 201, made.json
    moved = client.patch(
        f"/api/v1/units/{made.json['id']}", json={"parent_id": org["Institute"]}, headers=ia
    )
    assert (moved.status_code, moved.json["parent_id"]) == (200, org["Institute"])
    assert [u["name"] for u in client.get("/api/v1/units", headers=ia).json] == [
        "Institute",
        "Annex",
        "Lab",
    ]
    assert_error(
        client.patch(
            f"/api/v1/units/{org['Lab']}", json={"rule_set": "changzhou-2011"}, headers=ia
        ),
        403,
        "organisation_only",
    )


def test_a_unit_admin_reviews_confirms_and_reports_inside(
    app: Flask, client: FlaskClient, org: dict
) -> None:
    ia, root = org["ia"], org["root"]
    mine = client.post("/api/v1/records", json={**RECORD, "title": "ann's"}, headers=org["ann"])
    theirs = client.post("/api/v1/records", json={**RECORD, "title": "bob's"}, headers=org["bob"])
    queue = client.get("/api/v1/records", query_string={"status": "pending"}, headers=ia).json
    assert [r["title"] for r in queue] == ["ann's"]
    reviewed = client.post(
        f"/api/v1/records/{mine.json['id']}/review", json={"decision": "approve"}, headers=ia
    )
    assert (reviewed.status_code, reviewed.json["status"]) == (200, "approved")
    assert_error(
        client.post(
            f"/api/v1/records/{theirs.json['id']}/review", json={"decision": "approve"}, headers=ia
        ),
        404,
        "record_not_found",
    )

    ann, bob = user_id(app, "ann"), user_id(app, "bob")
    ours = client.post("/api/v1/trainings", json={**TRAINING, "title": "ours"}, headers=ia).json
    # Another week: two trainings on the same days would be the same clock time counted twice.
    later = {"start_date": "2026-03-09", "end_date": "2026-03-10"}
    everyone = client.post(
        "/api/v1/trainings", json={**TRAINING, **later, "title": "all"}, headers=root
    )
    all_id = everyone.json["id"]
    with app.app_context():
        units = dict(db.session.execute(select(Training.title, Training.unit_id)).all())
    assert units == {"ours": org["Institute"], "all": None}
    person = {"absent_fraction": 0, "assessment": "passed"}
    for training in (ours["id"], everyone.json["id"]):
        client.post(f"/api/v1/trainings/{training}/enrol", headers=org["bob"])
        confirmed = client.post(
            f"/api/v1/trainings/{training}/attendance", json={"user_id": ann, **person}, headers=ia
        )
        assert (confirmed.status_code, confirmed.json["credited_hours"]) == (200, 16)
        assert_error(
            client.post(
                f"/api/v1/trainings/{training}/attendance",
                json={"user_id": bob, **person},
                headers=ia,
            ),
            404,
            "user_not_found",
        )
        listed = client.get(f"/api/v1/trainings/{training}/attendance", headers=ia).json
        assert [p["username"] for p in listed] == ["ann"]
    assert count(app, TrainingParticipant, TrainingParticipant.status == "confirmed") == 2
    assert [t["title"] for t in client.get("/api/v1/trainings", headers=ia).json] == [
        "all",  # the newest first
        "ours",
    ]
    shown = [client.get(f"/api/v1/trainings/{t}", headers=ia).json for t in (ours["id"], all_id)]
    assert [t["filing"] is not None for t in shown] == [True, False]  # theirs: a learner's view

    report = client.get(
        f"/api/v1/reports/units/{org['Institute']}", query_string={"year": 2026}, headers=ia
    )
    assert report.status_code == 200, report.json
    assert sorted(r["username"] for r in report.json["rows"]) == ["ann", "ia"]
    archive = client.get(
        "/api/v1/archive",
        query_string={"user_id": ann, "from": "2026-01", "to": "2026-12"},
        headers=ia,
    )
    assert archive.status_code == 200
    assert archive.json["by_kind"]["offline"]["effective_s"] == (12 + 16 + 16) * 3600
    log = client.get("/api/v1/audit", headers=ia).json
    assert {e["action"] for e in log["items"]} >= {"record.approve", "attendance.confirm"}
    reviewer = user_id(app, "ia")
    with app.app_context():
        approvals = select(AuditEntry.actor_id).where(AuditEntry.action == "record.approve")
        assert db.session.scalar(approvals) == reviewer


def test_the_catalogue_and_exams_are_the_organisations(client: FlaskClient, org: dict) -> None:
    ia = org["ia"]
    item = {"title": "t", "kind": "video", "hours_limit": 1}
    assert_error(client.post("/api/v1/courseware", json=item, headers=ia), 403, "organisation_only")
    assert_error(client.get("/api/v1/exams/all", headers=ia), 403, "organisation_only")
    made = client.post("/api/v1/courseware", json=item, headers=org["root"])
    assert made.status_code == 201


# --- pages ----------------------------------------------------------------------------------


def log_in(client: FlaskClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_a_unit_admins_pages_show_only_its_people(
    app: Flask, client: FlaskClient, org: dict
) -> None:
    client.post("/api/v1/records", json={**RECORD, "title": "claim of ann"}, headers=org["ann"])
    client.post("/api/v1/records", json={**RECORD, "title": "claim of bob"}, headers=org["bob"])
    log_in(client, "ia")
    users = client.get("/admin/users").text
    assert "ann" in users
    assert "bob" not in users
    assert "Bureau" not in users
    queue = client.get("/learning/review").text
    assert "claim of ann" in queue
    assert "claim of bob" not in queue
    report = client.get(f"/admin/reports?unit_id={org['Institute']}&year=2026").text
    assert "ann" in report
    assert "bob" not in report
    assert client.get(f"/admin/reports?unit_id={org['Bureau']}").status_code == 404
    assert client.get(f"/admin/users/{user_id(app, 'bob')}").status_code == 404
    assert client.get("/admin/courseware").status_code == 403
    assert client.get("/admin/exams").status_code == 403
    units = client.get("/admin/units").text
    assert "Lab" in units
    assert "Bureau" not in units
    assert 'name="rule_set"' not in units
    made = client.post(
        "/admin/users",
        data={"username": "eve", "password": "long enough", "role": "learner", "unit_id": ""},
    )
    assert made.status_code == 400
    assert count(app, User, User.username == "eve") == 0


def test_a_unit_admin_keeps_attendance_of_its_people_on_the_organisations_training(
    app: Flask, client: FlaskClient, org: dict
) -> None:
    training = client.post(
        "/api/v1/trainings", json={**TRAINING, "title": "For all"}, headers=org["root"]
    ).json["id"]
    log_in(client, "ia")
    page = client.get(f"/trainings/{training}").text
    assert f"/trainings/{training}/attendance" in page
    assert f"/trainings/{training}/edit" not in page
    refused = client.post(
        f"/trainings/{training}/attendance",
        data={"username": "bob", "absent_fraction": "0", "assessment": "passed"},
    )
    assert refused.status_code == 400
    assert "bob" in refused.text  # "there is no user bob", as for a name nobody has
    saved = client.post(
        f"/trainings/{training}/attendance",
        data={"username": "ann", "absent_fraction": "0", "assessment": "passed"},
    )
    assert saved.status_code == 302
    assert count(app, TrainingParticipant, TrainingParticipant.status == "confirmed") == 1
    assert client.get(f"/trainings/{training}/edit").status_code == 404
    edit = client.post(f"/trainings/{training}/edit", data={**TRAINING, "title": "Mine now"})
    assert edit.status_code == 404

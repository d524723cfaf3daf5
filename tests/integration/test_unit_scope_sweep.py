"""Every operation of the API, called by a unit admin against people outside its subtree.

The world: Branch › Institute › Lab, and a separate Bureau. The unit admin administers the
Institute (and the Lab). An outsider in the Bureau and a loner without a unit have records,
evidence, attendance, an evaluation, an exam attempt and its certificate, a Bureau training
with its documents, and are watching a courseware right now. Each operation of the OpenAPI
document, and every admin page, is called with path ids, queries and bodies that point at
them; nothing about them may come back, and a refused call changes nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.integration.conftest import PASSWORD, user_id
from tracker.extensions import db
from tracker.models import Certificate, Notice, RecordEvidence, TrainingMaterial, Unit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# Words that name the outsiders or their things: none may appear in an answer to the unit admin.
SECRETS = ("outsider", "Zed Outer", "loner", "Lone Wolf", "BUREAU-ONLY", "OUT-RECORD", "OUT-NOTE")
RECORD = {
    "kind": "external_training",
    "start_date": "2026-02-05",
    "end_date": "2026-02-07",
    "hours": 12,
}
TRAINING = {
    "category": "专项技术短期培训班",
    "organizer": "金属研究所",
    "location": "李薰楼468会议室",
    "start_date": "2026-02-09",
    "end_date": "2026-02-10",
    "days": 2,
}
EXAM = {"title": "Integrity", "pass_mark": 50, "max_attempts": 3, "subject": "public", "hours": 1}
QUESTION = {"kind": "true_false", "text": "One day of training is 8 hours.", "answer": True}


@dataclass
class World:
    """Ids of everything the sweep points at, and the unit admin's headers."""

    ids: dict[str, int] = field(default_factory=dict)
    unit_admin: dict[str, str] = field(default_factory=dict)
    root: dict[str, str] = field(default_factory=dict)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def upload(name: str, data: bytes, **form: str) -> dict[str, Any]:
    return {
        "data": {**form, "file": (io.BytesIO(data), name)},
        "content_type": "multipart/form-data",
    }


@pytest.fixture
def world(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., int],
    make_courseware: Callable[..., int],
    auth_headers: Callable[[str], dict[str, str]],
    connect: Callable[[str], Any],
) -> World:
    """The units, the people and their learning, as described above."""
    w = World()
    make_user("root", role="admin")
    w.root = root = auth_headers("root")
    branch = ok(client.post("/api/v1/units", json={"name": "Branch"}, headers=root), 201)["id"]
    institute = ok(
        client.post("/api/v1/units", json={"name": "Institute", "parent_id": branch}, headers=root),
        201,
    )["id"]
    lab = ok(
        client.post("/api/v1/units", json={"name": "Lab", "parent_id": institute}, headers=root),
        201,
    )["id"]
    bureau = ok(client.post("/api/v1/units", json={"name": "Bureau"}, headers=root), 201)["id"]
    people = {
        "outsider": ("Zed Outer", "Bureau", "learner"),
        "loner": ("Lone Wolf", None, "learner"),
        "insider": ("In Sider", "Lab", "learner"),
        "bureau_admin": ("Bureau Boss", "Bureau", "admin"),
        "unit_admin": ("Unit Admin", "Institute", "admin"),
    }
    for username, (name, unit, role) in people.items():
        body = {"username": username, "password": "correct horse 1", "role": role}
        body |= {"display_name": name} | ({"unit": unit} if unit else {})
        w.ids[username] = ok(client.post("/api/v1/users", json=body, headers=root), 201)["id"]
    outsider, bureau_admin = auth_headers("outsider"), auth_headers("bureau_admin")
    w.unit_admin = auth_headers("unit_admin")
    w.ids |= {"branch": branch, "institute": institute, "lab": lab, "bureau": bureau}

    # Records with evidence, pending and approved, of the outsider and the loner.
    record = ok(
        client.post(
            "/api/v1/records", json={**RECORD, "title": "OUT-RECORD one"}, headers=outsider
        ),
        201,
    )
    evidence = ok(
        client.post(
            f"/api/v1/records/{record['id']}/evidence",
            headers=outsider,
            **upload("scan.png", PNG),
        ),
        201,
    )
    loner = auth_headers("loner")
    approved = ok(
        client.post("/api/v1/records", json={**RECORD, "title": "OUT-RECORD two"}, headers=loner),
        201,
    )
    ok(
        client.post(
            f"/api/v1/records/{approved['id']}/review",
            json={"decision": "approve", "note": "OUT-NOTE fine"},
            headers=root,
        )
    )
    w.ids |= {"record": record["id"], "evidence": evidence["id"], "approved": approved["id"]}

    # An organisation-wide training and a Bureau one, attended by the outsider.
    org_wide = ok(
        client.post("/api/v1/trainings", json={**TRAINING, "title": "Ethics"}, headers=root), 201
    )["id"]
    own = ok(
        client.post(
            "/api/v1/trainings",
            json={**TRAINING, "title": "BUREAU-ONLY safety"},
            headers=bureau_admin,
        ),
        201,
    )["id"]
    material = ok(
        client.post(
            f"/api/v1/trainings/{own}/materials",
            headers=bureau_admin,
            **upload("notice.pdf", PDF, kind="notice"),
        ),
        201,
    )["id"]
    for training in (org_wide, own):
        ok(client.post(f"/api/v1/trainings/{training}/enrol", headers=outsider))
        ok(
            client.post(
                f"/api/v1/trainings/{training}/attendance",
                json={"user_id": w.ids["outsider"], "absent_fraction": 0, "assessment": "passed"},
                headers=root,
            )
        )
    ok(
        client.put(
            f"/api/v1/trainings/{org_wide}/evaluation",
            json={"rating": 2, "comment": "outsider thinks it was long"},
            headers=outsider,
        )
    )
    w.ids |= {"org_training": org_wide, "bureau_training": own, "material": material}

    # An exam the outsider passed (its certificate), and one left open.
    exam = ok(client.post("/api/v1/exams", json=EXAM, headers=root), 201)["id"]
    question = ok(client.post(f"/api/v1/exams/{exam}/questions", json=QUESTION, headers=root), 201)
    ok(client.patch(f"/api/v1/exams/{exam}", json={"published": True}, headers=root))
    attempt = ok(client.post(f"/api/v1/exams/{exam}/attempts", headers=outsider))
    true_choice = next(c["id"] for c in question["choices"] if c["correct"])
    answers = {str(question["id"]): [true_choice]}
    ok(
        client.post(
            f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=outsider
        )
    )
    with app.app_context():
        certificate = db.session.scalar(
            select(Certificate.id).where(Certificate.user_id == w.ids["outsider"])
        )
    open_attempt = ok(client.post(f"/api/v1/exams/{exam}/attempts", headers=loner))
    w.ids |= {
        "exam": exam,
        "question": question["id"],
        "attempt": open_attempt["id"],
        "certificate": certificate,
    }

    # The outsider was told of the confirmed attendance.
    with app.app_context():
        w.ids["notice"] = db.session.scalar(
            select(Notice.id).where(Notice.user_id == w.ids["outsider"]).limit(1)
        )
    assert w.ids["notice"] is not None

    # The outsider is watching a courseware now.
    item = make_courseware(title="Watched")
    player = connect("outsider")
    assert player.open(item)["ok"]
    assert player.beat()["ok"]
    w.ids["courseware"] = item
    return w


# --- the sweep ------------------------------------------------------------------------------

REFUSED = "refused"  # a 4xx, and nothing in the database changes
READ = "read"  # may answer 2xx, but says nothing of the outsiders, and changes nothing
OWN = "own"  # the caller acting for itself: may change only its own rows


@dataclass(frozen=True)
class Call:
    """One request of the sweep."""

    path: str
    expect: str = REFUSED
    json: Any = None
    query: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    check: Callable[[Any, dict[str, int]], None] | None = None
    echoes: tuple[str, ...] = ()  # what the request itself says, which an error may repeat


def units_listed(body: Any, ids: dict[str, int]) -> None:
    assert {u["name"] for u in body} == {"Institute", "Lab"}


def nobody_watching(body: Any, ids: dict[str, int]) -> None:
    assert body == []


def usage_of_insiders(body: Any, ids: dict[str, int]) -> None:
    row = next(r for r in body if r["courseware_id"] == ids["courseware"])
    assert (row["viewers"], row["sessions"], row["watching_now"]) == (0, 0, 0)


def outsider_csv(username: str = "outsider", unit: str = "Bureau") -> dict[str, Any]:
    text = f"username,password,role,unit\n{username},correct horse 2,learner,{unit}\n"
    return upload("people.csv", text.encode())


def attendance_csv() -> dict[str, Any]:
    return upload("attendance.csv", b"username,absent_fraction,assessment\noutsider,0,passed\n")


def cases(i: dict[str, int]) -> dict[tuple[str, str], list[Call]]:
    """The calls of each operation (method, OpenAPI path), pointed at the outsiders."""
    record, training, org = i["record"], i["bureau_training"], i["org_training"]
    exam, question, attempt = i["exam"], i["question"], i["attempt"]
    yearly = {"unit_id": i["bureau"], "year": 2026}
    person = {"user_id": i["outsider"], "absent_fraction": 0, "assessment": "failed"}
    return {
        ("GET", "/archive"): [
            Call("/archive", query={"user_id": i["outsider"]}),
            Call("/archive", query={"user_id": i["loner"]}),
        ],
        ("GET", "/attempts/{attempt_id}"): [Call(f"/attempts/{attempt}")],
        ("PUT", "/attempts/{attempt_id}/answers"): [
            Call(f"/attempts/{attempt}/answers", json={"answers": {}})
        ],
        ("POST", "/attempts/{attempt_id}/submit"): [
            Call(f"/attempts/{attempt}/submit", json={"answers": {}})
        ],
        ("GET", "/audit"): [
            Call("/audit", READ),
            Call("/audit", READ, query={"target_type": "user"}),
        ],
        ("GET", "/certificates"): [
            Call("/certificates", READ),
            Call("/certificates", query={"user_id": i["outsider"]}),
        ],
        ("POST", "/certificates/yearly"): [
            Call("/certificates/yearly", json=yearly),
            Call("/certificates/yearly", json=yearly | {"unit_id": i["branch"]}),
        ],
        ("GET", "/certificates/{certificate_id}"): [Call(f"/certificates/{i['certificate']}")],
        ("GET", "/certificates/{certificate_id}/pdf"): [
            Call(f"/certificates/{i['certificate']}/pdf")
        ],
        ("POST", "/certificates/{certificate_id}/revoke"): [
            Call(f"/certificates/{i['certificate']}/revoke", json={"reason": "falsified"})
        ],
        ("GET", "/courseware"): [Call("/courseware", READ)],
        ("POST", "/courseware"): [
            Call("/courseware", json={"title": "t", "kind": "video", "hours_limit": 1})
        ],
        ("GET", "/courseware/{courseware_id}"): [Call(f"/courseware/{i['courseware']}", READ)],
        ("PATCH", "/courseware/{courseware_id}"): [
            Call(f"/courseware/{i['courseware']}", json={"hours_limit": 9})
        ],
        ("GET", "/courseware/{courseware_id}/evaluation"): [
            Call(f"/courseware/{i['courseware']}/evaluation", READ)
        ],
        ("PUT", "/courseware/{courseware_id}/evaluation"): [
            Call(f"/courseware/{i['courseware']}/evaluation", json={"rating": 5, "comment": ""})
        ],
        ("GET", "/evaluations"): [Call("/evaluations", READ)],
        ("GET", "/evaluations/export"): [
            Call("/evaluations/export", READ),
            Call("/evaluations/export", READ, query={"target": "training", "target_id": org}),
        ],
        ("GET", "/exams"): [Call("/exams", READ)],
        ("POST", "/exams"): [Call("/exams", json=EXAM)],
        ("GET", "/exams/all"): [Call("/exams/all")],
        ("GET", "/exams/{exam_id}"): [Call(f"/exams/{exam}", READ)],
        ("PATCH", "/exams/{exam_id}"): [Call(f"/exams/{exam}", json={"published": False})],
        ("GET", "/exams/{exam_id}/attempts"): [Call(f"/exams/{exam}/attempts", READ)],
        ("POST", "/exams/{exam_id}/attempts"): [Call(f"/exams/{exam}/attempts", OWN)],
        ("GET", "/exams/{exam_id}/questions"): [Call(f"/exams/{exam}/questions")],
        ("POST", "/exams/{exam_id}/questions"): [Call(f"/exams/{exam}/questions", json=QUESTION)],
        ("POST", "/exams/{exam_id}/questions/import"): [
            Call(
                f"/exams/{exam}/questions/import",
                files=upload("q.csv", "题型,题目,答案\n判断,x,对\n".encode()),
            )
        ],
        ("DELETE", "/exams/{exam_id}/questions/{question_id}"): [
            Call(f"/exams/{exam}/questions/{question}")
        ],
        ("PUT", "/exams/{exam_id}/questions/{question_id}"): [
            Call(f"/exams/{exam}/questions/{question}", json=QUESTION)
        ],
        ("GET", "/live"): [Call("/live", READ, check=nobody_watching)],
        ("GET", "/me"): [Call("/me", READ)],
        ("GET", "/records"): [
            Call("/records", READ),
            Call("/records", READ, query={"status": "pending"}),
            Call("/records", READ, query={"status": "approved"}),
            Call("/records", query={"user_id": i["outsider"]}),
        ],
        ("POST", "/records"): [Call("/records", OWN, json={**RECORD, "title": "mine"})],
        ("GET", "/records/preview"): [
            Call("/records/preview", READ, query={"kind": "self_study", "hours": 1})
        ],
        ("GET", "/records/{record_id}"): [
            Call(f"/records/{record}"),
            Call(f"/records/{i['approved']}"),
        ],
        ("POST", "/records/{record_id}/evidence"): [
            Call(f"/records/{record}/evidence", files=upload("x.png", PNG))
        ],
        ("GET", "/records/{record_id}/evidence/{evidence_id}"): [
            Call(f"/records/{record}/evidence/{i['evidence']}")
        ],
        ("POST", "/records/{record_id}/review"): [
            Call(f"/records/{record}/review", json={"decision": "reject", "note": "no"}),
            Call(f"/records/{i['approved']}/review", json={"decision": "reject", "note": "no"}),
        ],
        ("GET", "/reports/units/{unit_id}"): [
            Call(f"/reports/units/{i['bureau']}"),
            Call(f"/reports/units/{i['branch']}"),  # above its own unit
        ],
        ("GET", "/stats/courseware"): [Call("/stats/courseware", READ, check=usage_of_insiders)],
        ("GET", "/trainings"): [
            Call("/trainings", READ),
            Call("/trainings", READ, query={"source": "other"}),
        ],
        ("POST", "/trainings"): [Call("/trainings", OWN, json={**TRAINING, "title": "ours"})],
        ("GET", "/trainings/{training_id}"): [Call(f"/trainings/{training}")],
        ("PATCH", "/trainings/{training_id}"): [
            Call(f"/trainings/{training}", json={"days": 1}),
            Call(f"/trainings/{org}", json={"days": 1}),  # organisation-wide: the organisation's
        ],
        ("GET", "/trainings/{training_id}/attendance"): [
            Call(f"/trainings/{training}/attendance"),
            Call(f"/trainings/{org}/attendance", READ),
        ],
        ("POST", "/trainings/{training_id}/attendance"): [
            Call(f"/trainings/{training}/attendance", json=person),
            Call(f"/trainings/{org}/attendance", json=person),
        ],
        ("POST", "/trainings/{training_id}/attendance/csv"): [
            Call(f"/trainings/{training}/attendance/csv", files=attendance_csv(), echoes=SAID),
            Call(f"/trainings/{org}/attendance/csv", files=attendance_csv(), echoes=SAID),
        ],
        ("POST", "/trainings/{training_id}/enrol"): [Call(f"/trainings/{org}/enrol", OWN)],
        ("GET", "/trainings/{training_id}/evaluation"): [
            Call(f"/trainings/{org}/evaluation", READ)
        ],
        ("PUT", "/trainings/{training_id}/evaluation"): [
            Call(f"/trainings/{org}/evaluation", json={"rating": 1, "comment": "x"})
        ],
        ("GET", "/trainings/{training_id}/materials"): [
            Call(f"/trainings/{training}/materials"),
            Call(f"/trainings/{org}/materials"),
        ],
        ("POST", "/trainings/{training_id}/materials"): [
            Call(
                f"/trainings/{training}/materials",
                files=upload("n.pdf", PDF, kind="schedule"),
            )
        ],
        ("GET", "/trainings/{training_id}/materials/{material_id}"): [
            Call(f"/trainings/{training}/materials/{i['material']}")
        ],
        ("GET", "/units"): [Call("/units", READ, check=units_listed)],
        ("POST", "/units"): [
            Call("/units", json={"name": "Annex", "parent_id": i["bureau"]}),
            Call("/units", json={"name": "Annex"}),  # top level
            Call("/units", json={"name": "Annex", "parent_id": i["lab"], "rule_set": "cas-2016"}),
        ],
        ("PATCH", "/units/{unit_id}"): [
            Call(f"/units/{i['bureau']}", json={"name": "Renamed"}),
            Call(f"/units/{i['institute']}", json={"parent_id": i["bureau"]}),  # its own
            Call(f"/units/{i['institute']}", json={"name": "Renamed"}),
            Call(f"/units/{i['lab']}", json={"parent_id": i["bureau"]}),
            Call(f"/units/{i['lab']}", json={"rule_set": "changzhou-2011"}),
        ],
        ("GET", "/notices"): [Call("/notices", READ)],
        ("POST", "/notices/read"): [Call("/notices/read", OWN)],
        ("POST", "/notices/{notice_id}/read"): [Call(f"/notices/{i['notice']}/read")],
        ("PATCH", "/me"): [Call("/me", OWN, json={"display_name": "Unit Admin Renamed"})],
        ("POST", "/me/password"): [  # a right one would end the sweep's own token
            Call("/me/password", json={"current_password": "wrong", "new_password": "x" * 12})
        ],
        ("PATCH", "/records/{record_id}"): [
            Call(f"/records/{record}", json={"title": "hijacked"}),
            Call(f"/records/{i['approved']}", json={"title": "hijacked"}),
        ],
        ("POST", "/records/{record_id}/revoke"): [
            Call(f"/records/{i['approved']}/revoke", json={"reason": "not yours to revoke"})
        ],
        ("POST", "/records/{record_id}/withdraw"): [Call(f"/records/{record}/withdraw")],
        ("DELETE", "/trainings/{training_id}/attendance/{user_id}"): [
            Call(f"/trainings/{org}/attendance/{i['outsider']}"),
            Call(f"/trainings/{training}/attendance/{i['outsider']}"),
        ],
        ("GET", "/users"): [
            Call("/users", READ),
            Call("/users", READ, query={"q": "o"}),
            Call("/users", READ, query={"unit_id": i["bureau"]}),
        ],
        ("POST", "/users"): [
            Call("/users", json={"username": "x1", "password": "long enough", "unit": "Bureau"}),
            Call("/users", json={"username": "x2", "password": "long enough"}),
            Call("/users", json={"username": "x3", "password": "long enough", "unit": "New"}),
            Call(
                "/users",
                json={"username": "x4", "password": "long enough", "role": "admin"},
            ),
        ],
        ("POST", "/users/import"): [
            Call("/users/import", files=outsider_csv(), echoes=SAID),
            Call("/users/import", files=outsider_csv("newbie", "Bureau")),
            Call("/users/import", files=outsider_csv("newbie", "")),
        ],
        ("GET", "/users/{user_id}"): [
            Call(f"/users/{i['outsider']}"),
            Call(f"/users/{i['loner']}"),
        ],
        ("PATCH", "/users/{user_id}"): [
            Call(f"/users/{i['outsider']}", json={"active": False}),
            Call(f"/users/{i['loner']}", json={"unit_id": i["lab"]}),
            Call(f"/users/{i['insider']}", json={"unit_id": i["bureau"]}),  # moving out
            Call(f"/users/{i['insider']}", json={"unit_id": None}),
            Call(f"/users/{i['unit_admin']}", json={"unit_id": i["branch"]}),  # widening
            Call(f"/users/{i['unit_admin']}", json={"unit_id": i["lab"]}),
            Call(f"/users/{i['unit_admin']}", json={"role": "learner"}),
        ],
    }


SAID = ("outsider",)
PUBLIC = {("POST", "/auth/token"), ("GET", "/openapi.json"), ("GET", "/verify")}


def snapshot(app: Flask) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain values."""
    with app.app_context():
        return {
            table.name: sorted(
                (dict(row._mapping) for row in db.session.execute(table.select())), key=repr
            )
            for table in db.metadata.sorted_tables
        }


def changed_rows(before: dict, after: dict) -> list[tuple[str, dict[str, Any]]]:
    changed = []
    for table, rows in after.items():
        old = {repr(r) for r in before[table]}
        new = {repr(r) for r in rows}
        changed += [(table, r) for r in before[table] + rows if repr(r) in old ^ new]
    return changed


def mine(table: str, row: dict[str, Any], me: int, my_attempts: set[int]) -> bool:
    """Whether a changed row is the caller's own (itself, what it filed, enrolled in or
    started)."""
    return (
        (table == "users" and row["id"] == me)
        or me in (row.get("user_id"), row.get("created_by"), row.get("actor_id"))
        or row.get("attempt_id") in my_attempts
    )


def test_a_unit_admin_reaches_no_one_outside_its_units(
    app: Flask, client: FlaskClient, world: World
) -> None:
    spec = client.get("/api/v1/openapi.json").json
    operations = {
        (method.upper(), path) for path, ops in spec["paths"].items() for method in ops
    } - PUBLIC
    sweep = cases(world.ids)
    assert set(sweep) == operations  # a new endpoint needs its sweep case
    me = world.ids["unit_admin"]
    for (method, _path), calls in sweep.items():
        for call in calls:
            before = snapshot(app)
            response = client.open(
                "/api/v1" + call.path,
                method=method,
                json=call.json,
                query_string=call.query,
                headers=world.unit_admin,
                **(call.files or {}),
            )
            where = f"{method} {call.path} {call.query or ''} {call.json or ''}"
            text = response.get_data(as_text=True)
            assert response.status_code < 500, where
            if call.expect == REFUSED:
                assert 400 <= response.status_code < 500, (where, text)
                assert json.loads(text)["error"], where
            else:
                assert response.status_code < 300, (where, text)
            found = [
                secret
                for secret in SECRETS
                if secret.lower() in text.lower() and secret not in call.echoes
            ]
            assert not found, (where, found)
            if call.check is not None:
                call.check(response.json, world.ids)
            after = snapshot(app)
            if call.expect == OWN:
                attempts = {r["id"] for r in after["exam_attempts"] if r["user_id"] == me}
                strangers = [
                    (table, row)
                    for table, row in changed_rows(before, after)
                    if not mine(table, row, me, attempts)
                ]
                assert not strangers, (where, strangers)
            else:
                assert after == before, where


def test_the_sweep_reaches_the_outsiders_as_the_organisation(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """The same calls as the organisation's admin do reveal the outsiders: the sweep points
    at real things, so its refusals mean something."""
    i = world.ids
    reveals = [
        f"/users/{i['outsider']}",
        f"/records/{i['record']}",
        f"/reports/units/{i['bureau']}",
        f"/trainings/{i['bureau_training']}/attendance",
        f"/trainings/{i['org_training']}/attendance",
        f"/exams/{i['exam']}/attempts",
        f"/certificates/{i['certificate']}",
        "/live",
        "/evaluations",
        "/audit",
    ]
    for path in reveals:
        text = ok(client.get("/api/v1" + path, headers=world.root))
        assert "outsider" in json.dumps(text).lower() or "zed outer" in json.dumps(text).lower(), (
            path
        )
    with app.app_context():
        assert db.session.get(RecordEvidence, i["evidence"]) is not None
        assert db.session.get(TrainingMaterial, i["material"]) is not None
        assert db.session.scalar(select(Unit.name).where(Unit.id == i["bureau"])) == "Bureau"
    assert user_id(app, "outsider") == i["outsider"]


# --- the pages ------------------------------------------------------------------------------


def page_cases(i: dict[str, int], number: str) -> dict[tuple[str, str], list[Call]]:
    """The admin pages (and the pages that take someone's id), pointed at the outsiders."""
    record, training, org = i["record"], i["bureau_training"], i["org_training"]
    exam, item = i["exam"], i["courseware"]
    person = {"username": "outsider", "absent_fraction": "0", "assessment": "passed"}
    settings = {"title": "t", "kind": "video", "hours_limit": "1", "source_url": "/x.webm"}
    form = {**TRAINING, "title": "Mine now"}
    return {
        ("GET", "/admin"): [Call("/admin", READ)],
        ("GET", "/admin/users"): [
            Call("/admin/users", READ),
            Call("/admin/users", READ, query={"unit_id": i["bureau"]}),
        ],
        ("POST", "/admin/users"): [
            Call(
                "/admin/users",
                json={"username": "x", "password": "long enough", "unit_id": i["bureau"]},
            )
        ],
        ("POST", "/admin/users/import"): [
            Call("/admin/users/import", files=outsider_csv(), echoes=SAID)
        ],
        ("GET", "/admin/users/<int:user_id>"): [Call(f"/admin/users/{i['outsider']}")],
        ("POST", "/admin/users/<int:user_id>"): [
            Call(f"/admin/users/{i['outsider']}", json={"display_name": "x", "role": "learner"})
        ],
        ("GET", "/admin/units"): [Call("/admin/units", READ)],
        ("POST", "/admin/units"): [Call("/admin/units", json={"name": "Annex"})],
        ("POST", "/admin/units/<int:unit_id>"): [
            Call(f"/admin/units/{i['bureau']}", json={"name": "Renamed"})
        ],
        ("GET", "/admin/courseware"): [Call("/admin/courseware")],
        ("POST", "/admin/courseware"): [Call("/admin/courseware", json=settings)],
        ("GET", "/admin/courseware/<int:courseware_id>"): [Call(f"/admin/courseware/{item}")],
        ("POST", "/admin/courseware/<int:courseware_id>"): [
            Call(f"/admin/courseware/{item}", json=settings)
        ],
        ("GET", "/admin/audit"): [Call("/admin/audit", READ)],
        ("GET", "/admin/reports"): [
            Call("/admin/reports", READ),
            Call("/admin/reports", query={"unit_id": i["bureau"]}),
        ],
        ("GET", "/admin/reports/export.<fmt>"): [
            Call(f"/admin/reports/export.{fmt}", query={"unit_id": i["branch"]})
            for fmt in ("xlsx", "csv")
        ],
        ("GET", "/admin/certificates"): [Call("/admin/certificates", READ)],
        ("POST", "/admin/certificates/yearly"): [
            Call("/admin/certificates/yearly", json={"unit_id": i["bureau"], "year": "2026"})
        ],
        ("POST", "/admin/certificates/<int:certificate_id>/revoke"): [
            Call(f"/admin/certificates/{i['certificate']}/revoke", json={"reason": "x"})
        ],
        ("GET", "/admin/evaluations"): [Call("/admin/evaluations", READ)],
        ("GET", "/admin/evaluations/export.<fmt>"): [Call("/admin/evaluations/export.csv", READ)],
        ("GET", "/admin/exams"): [Call("/admin/exams")],
        ("POST", "/admin/exams"): [Call("/admin/exams", json={"title": "t", "subject": "public"})],
        ("GET", "/admin/exams/<int:exam_id>"): [Call(f"/admin/exams/{exam}")],
        ("POST", "/admin/exams/<int:exam_id>"): [Call(f"/admin/exams/{exam}", json={"title": "t"})],
        ("POST", "/admin/exams/<int:exam_id>/questions"): [
            Call(f"/admin/exams/{exam}/questions", json={"kind": "true_false", "text": "t"})
        ],
        ("POST", "/admin/exams/<int:exam_id>/questions/<int:question_id>/delete"): [
            Call(f"/admin/exams/{exam}/questions/{i['question']}/delete")
        ],
        ("POST", "/admin/exams/<int:exam_id>/import"): [
            Call(f"/admin/exams/{exam}/import", files=upload("q.csv", b"x"))
        ],
        ("GET", "/admin/exams/questions.csv"): [Call("/admin/exams/questions.csv")],
        ("GET", "/learning/review"): [
            Call("/learning/review", READ),
            Call("/learning/review", READ, query={"status": "approved"}),
        ],
        ("POST", "/learning/review/<int:record_id>"): [
            Call(f"/learning/review/{record}", json={"decision": "approve"})
        ],
        ("POST", "/learning/review/<int:record_id>/revoke"): [
            Call(f"/learning/review/{i['approved']}/revoke", json={"reason": "not yours"})
        ],
        ("POST", "/trainings/<int:training_id>/attendance/<int:user_id>/void"): [
            Call(f"/trainings/{org}/attendance/{i['outsider']}/void", json={"reason": "x"}),
            Call(f"/trainings/{training}/attendance/{i['outsider']}/void", json={"reason": "x"}),
        ],
        ("GET", "/trainings/new"): [Call("/trainings/new", READ)],
        ("POST", "/trainings/new"): [Call("/trainings/new", OWN, json={**TRAINING, "title": "x"})],
        ("GET", "/trainings/<int:training_id>/edit"): [
            Call(f"/trainings/{training}/edit"),
            Call(f"/trainings/{org}/edit"),
        ],
        ("POST", "/trainings/<int:training_id>/edit"): [
            Call(f"/trainings/{training}/edit", json=form),
            Call(f"/trainings/{org}/edit", json=form),
        ],
        ("POST", "/trainings/<int:training_id>/materials"): [
            Call(f"/trainings/{training}/materials", files=upload("n.pdf", PDF, kind="notice"))
        ],
        ("GET", "/trainings/<int:training_id>/materials/<int:material_id>"): [
            Call(f"/trainings/{training}/materials/{i['material']}")
        ],
        ("GET", "/trainings/<int:training_id>/attendance"): [
            Call(f"/trainings/{training}/attendance"),
            Call(f"/trainings/{org}/attendance", READ),
        ],
        ("POST", "/trainings/<int:training_id>/attendance"): [
            Call(f"/trainings/{org}/attendance", json=person, echoes=SAID)
        ],
        ("POST", "/trainings/<int:training_id>/attendance/csv"): [
            Call(f"/trainings/{org}/attendance/csv", files=attendance_csv(), echoes=SAID)
        ],
        ("GET", "/trainings/<int:training_id>/attendance.csv"): [
            Call(f"/trainings/{training}/attendance.csv"),
            Call(f"/trainings/{org}/attendance.csv", READ),
        ],
        # Pages of anyone that take someone's id.
        ("GET", "/archive"): [Call("/archive", query={"user_id": i["outsider"]})],
        ("GET", "/archive/print"): [Call("/archive/print", query={"user_id": i["loner"]})],
        ("GET", "/archive/export.<fmt>"): [
            Call(f"/archive/export.{fmt}", query={"user_id": i["outsider"]})
            for fmt in ("csv", "xlsx", "pdf")
        ],
        ("GET", "/certificates/<number>.pdf"): [Call(f"/certificates/{number}.pdf")],
        ("GET", "/learning/records/<int:record_id>/evidence/<int:evidence_id>"): [
            Call(f"/learning/records/{record}/evidence/{i['evidence']}")
        ],
        ("GET", "/trainings/<int:training_id>"): [Call(f"/trainings/{training}")],
    }


def test_a_unit_admins_pages_reach_no_one_outside_its_units(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        number = db.session.scalar(
            select(Certificate.number).where(Certificate.id == world.ids["certificate"])
        )
    admin_pages = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "admin_page", False)
        for method in rule.methods or ()
        if method in ("GET", "POST")
    }
    sweep = page_cases(world.ids, number)
    assert admin_pages <= set(sweep)  # a new admin page needs its sweep case
    response = client.post("/login", data={"username": "unit_admin", "password": PASSWORD})
    assert response.status_code == 302
    me = world.ids["unit_admin"]
    for (method, _rule), calls in sweep.items():
        for call in calls:
            before = snapshot(app)
            data = call.json if call.files is None else call.files["data"]
            response = client.open(call.path, method=method, data=data, query_string=call.query)
            where = f"{method} {call.path} {call.query or ''} {call.json or ''}"
            text = response.get_data().decode("utf-8", "replace")
            if call.expect == REFUSED:
                assert 400 <= response.status_code < 500, (where, response.status_code)
            else:
                assert response.status_code in (200, 302), (where, response.status_code)
            found = [s for s in SECRETS if s.lower() in text.lower() and s not in call.echoes]
            assert not found, (where, found)
            after = snapshot(app)
            if call.expect == OWN:
                strangers = [
                    (table, row)
                    for table, row in changed_rows(before, after)
                    if not mine(table, row, me, set())
                ]
                assert not strangers, (where, strangers)
            else:
                assert after == before, where

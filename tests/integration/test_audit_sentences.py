"""The audit page reads each entry as a sentence in the reader's language, with links; a unit
admin does not learn who an outsider on one of its trainings is."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.conftest import PASSWORD, token_for, user_id
from tests.integration.test_unit_scope_sweep import EXAM, RECORD, TRAINING
from tracker import create_app
from tracker.extensions import db
from tracker.models import User
from tracker.services import transaction
from tracker.services.accounts import save_user
from tracker.services.audit import log_action
from tracker.web.audit_text import SENTENCES

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
HOURS_4 = 4 * 3_600_000
REVIEW = {"status": "pending", "approved_ms": None, "note": ""}

# (action, target kind, detail) as the services write them; `{ann}` is the learner's id.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("user.create", "user", {"new": {"username": "ann", "role": "learner", "unit": None}}),
    (
        "user.update",
        "user",
        {"old": {"role": "learner", "active": True}, "new": {"role": "leader", "active": False}},
    ),
    ("user.import", "*", {"created": 2, "updated": 1, "usernames": ["a", "b", "c"]}),
    ("user.password", "user", {"new": {"password": "changed"}}),
    ("user.profile", "user", {"old": {"display_name": "A"}, "new": {"display_name": "Ann"}}),
    (
        "record.approve",
        "record",
        {"old": REVIEW, "new": REVIEW | {"status": "approved", "approved_ms": HOURS_4}},
    ),
    (
        "record.reject",
        "record",
        {"old": REVIEW, "new": REVIEW | {"status": "rejected", "note": "Add the certificate"}},
    ),
    (
        "record.revoke",
        "record",
        {
            "old": REVIEW | {"status": "approved", "approved_ms": HOURS_4},
            "new": REVIEW | {"status": "revoked", "note": "Counted twice"},
            "reason": "Counted twice",
        },
    ),
    ("record.withdraw", "record", {"old": REVIEW, "new": REVIEW | {"status": "withdrawn"}}),
    (
        "record.update",
        "record",
        {"old": {"claimed_ms": HOURS_4, "title": "A"}, "new": {"claimed_ms": 2 * HOURS_4}},
    ),
    (
        "record.resubmit",
        "record",
        {"old": {"status": "rejected", "note": "x"}, "new": {"status": "pending", "note": ""}},
    ),
    ("flag.dismiss", "flag", {"rule": "night", "user_id": "{ann}", "note": "On call"}),
    (
        "flag.deduct",
        "flag",
        {
            "rule": "long_day",
            "user_id": "{ann}",
            "note": "Implausible",
            "deducted_ms": 5_400_000,
            "kind": "online",
        },
    ),
    (
        "courseware.create",
        "courseware",
        {"new": {"title": "Item", "kind": "video", "hours_limit": 2.0, "published": True}},
    ),
    ("courseware.update", "courseware", {"old": {"hours_limit": 2.0}, "new": {"hours_limit": 0.5}}),
    ("unit.create", "unit", {"new": {"name": "Lab", "parent_id": None, "rule_set": None}}),
    ("unit.update", "unit", {"new": {"name": "Lab 2", "parent_id": None}}),
    ("exam.create", "exam", {"new": {"title": "Integrity", "pass_mark": 50}}),
    ("exam.update", "exam", {"old": {"pass_mark": 50}, "new": {"pass_mark": 60}}),
    ("exam.questions", "exam", {"added": 3, "replaced": False}),
    ("exam.question", "exam", {"deleted": 7}),
    ("training.create", "training", {"new": {"title": "Safety", "days": 2.0}}),
    ("training.update", "training", {"old": {"location": "A"}, "new": {"location": "B"}}),
    ("training.material", "training", {"material_id": 1, "kind": "notice", "filename": "a.pdf"}),
    (
        "attendance.confirm",
        "training",
        {
            "user_id": "{ann}",
            "old": None,
            "new": {"absent_fraction": 0.0, "assessment": "passed", "credited_ms": 16 * 3_600_000},
        },
    ),
    (
        "attendance.void",
        "training",
        {
            "user_id": "{ann}",
            "old": {"absent_fraction": 0.0, "assessment": "passed", "credited_ms": 1},
            "new": {"status": "voided"},
            "reason": "Wrong person",
        },
    ),
    ("certificate.issue", "certificate", {"number": "EX-7Q2M"}),
    ("certificate.issue_yearly", "unit", {"year": 2026, "numbers": ["CE-1", "CE-2"]}),
    (
        "certificate.revoke",
        "certificate",
        {"number": "EX-7Q2M", "user_id": "{ann}", "reason": "Falsified"},
    ),
]
# Words that must never reach a reader: field names, Python's None, unfilled placeholders.
RAW = re.compile(r"_ms\b|_id\b|\bNone\b|%\(|\{|\}|\bnull\b")


def log_in(client: FlaskClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def sentences(page: str) -> dict[str, list[str]]:
    """The visible sentence of each row of the audit table, by action."""
    found: dict[str, list[str]] = {}
    for action, cell in re.findall(
        r'<tr data-action="([^"]+)">.*?<td[^>]*class="detail"[^>]*>(.*?)</td>', page, re.S
    ):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
        found.setdefault(action, []).append(text)
    return found


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every kind of entry, about real objects, by the admin "root" (named 王芳); the audit
    page in both languages (built once: the cases only read it)."""
    home = tmp_path_factory.mktemp("audit")
    settings = {"TESTING": True, "SECRET_KEY": "test", "ASYNC_MODE": "threading"}
    settings |= {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024, "MEDIA_DIR": str(home)}
    app = create_app(settings | {"DATABASE_URL": f"sqlite:///{home / 'audit.db'}"})
    with app.app_context():
        root = save_user("root", PASSWORD, "admin", None).id
        ann = save_user("ann", PASSWORD, "learner", None).id
    client = app.test_client()
    claim = app.test_client().post(
        "/api/v1/records",
        json={**RECORD, "title": "Course"},
        headers={"Authorization": f"Bearer {token_for(client, 'ann')}"},
    )
    assert claim.status_code == 201, claim.json
    with app.app_context(), transaction():
        db.session.get(User, root).display_name = "王芳"
    log_in(client, "root")
    courseware = {"title": "Item", "kind": "video", "hours_limit": 2, "source_url": "/x.webm"}
    targets = {
        "user": ann,
        "*": "*",
        "unit": client.post("/api/v1/units", json={"name": "Lab"}).json["id"],
        "courseware": client.post("/api/v1/courseware", json=courseware).json["id"],
        "training": client.post("/api/v1/trainings", json={**TRAINING, "title": "Safety"}).json[
            "id"
        ],
        "exam": client.post("/api/v1/exams", json=EXAM).json["id"],
        "record": claim.json["id"],
        "flag": 1,
        "certificate": 1,
    }
    with app.app_context(), transaction():
        for action, kind, detail in CASES:
            filled = {k: ann if v == "{ann}" else v for k, v in detail.items()}
            actor = None if action == "certificate.issue" else root  # issued on a pass
            log_action(actor, action, kind, targets[kind], **filled)
    pages = {name: client.get("/admin/audit", headers=h) for name, h in (("zh", ZH), ("en", EN))}
    assert {page.status_code for page in pages.values()} == {200}
    yield {"ann": ann, "targets": targets} | {k: page.text for k, page in pages.items()}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_every_kind_of_entry_has_its_sentence() -> None:
    """The cases cover every sentence, and every action the services log has one."""
    assert sorted({case[0] for case in CASES}) == sorted(SENTENCES)
    logged_actions = set()
    for path in Path("tracker/services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "log_action":
                action = node.args[1]
                if isinstance(action, ast.Constant):
                    logged_actions.add(action.value)
    assert logged_actions
    assert logged_actions <= set(SENTENCES)


@pytest.mark.parametrize("action", sorted({case[0] for case in CASES}))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_each_entry_reads_as_a_sentence(logged: dict[str, Any], action: str, language: str) -> None:
    found = sentences(logged[language])[action]
    assert found
    for said in found:
        assert not RAW.search(said), said
        assert action not in said
        assert "made a change" not in said
        assert "修改了 #" not in said
        if action != "certificate.issue":
            assert said.startswith("王芳 "), said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh", "王芳 批准了 ann 的申报“Course”：4 小时"),
        ("en", "王芳 approved ann's claim “Course”: 4 h"),
        ("zh", "王芳 修改了课件“Item”：学时上限：2 小时"),
        ("en", "王芳 changed the account of ann: Role: Learner → Leader; Active: yes → no"),
        ("en", "王芳 rejected ann's claim “Course”: Add the certificate"),
        ("en", "Certificate EX-7Q2M was issued to"),
        ("en", "王芳 imported users from a file: 2 added, 1 changed"),
        ("en", "王芳 added questions to the exam “Integrity”: 3"),
        ("zh", "王芳 为“Lab”颁发了 2026 年度证书：2 份"),
    ],
)
def test_sentences_say_what_happened(logged: dict[str, Any], language: str, said: str) -> None:
    every = [s for found in sentences(logged[language]).values() for s in found]
    assert any(s.startswith(said) for s in every), every


def test_sentences_link_to_the_person_and_the_object(logged: dict[str, Any]) -> None:
    page = logged["en"]
    row = re.search(r'<tr data-action="attendance.confirm">.*?</tr>', page, re.S).group(0)
    training = logged["targets"]["training"]
    assert f'href="/admin/users/{logged["ann"]}">ann</a>' in row
    assert f'href="/trainings/{training}">Safety</a>' in row
    assert "confirmed the attendance of ann at “Safety”: 16 h" in " ".join(
        html.unescape(re.sub(r"<[^>]+>", "", row)).split()
    )


def test_a_unit_admin_sees_no_outsider_on_its_training(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., int],
    auth_headers: Callable[[str], dict[str, str]],
) -> None:
    """The organisation's admin confirmed someone from another unit on the unit's training:
    the unit admin reads "a person outside your units", neither their name nor their id."""
    make_user("root", role="admin")
    root = auth_headers("root")
    for name in ("Institute", "Bureau"):
        assert client.post("/api/v1/units", json={"name": name}, headers=root).status_code == 201
    make_user("ia", role="admin", unit="Institute")
    make_user("outsider-bob", unit="Bureau")
    bob = user_id(app, "outsider-bob")
    ours = {**TRAINING, "title": "Ours"}
    training = client.post("/api/v1/trainings", json=ours, headers=auth_headers("ia")).json["id"]
    confirmed = client.post(
        f"/api/v1/trainings/{training}/attendance",
        json={"user_id": bob, "absent_fraction": 0, "assessment": "passed"},
        headers=root,
    )
    assert confirmed.status_code == 200, confirmed.json
    log_in(client, "ia")
    for language, words in ((EN, "a person outside your units"), (ZH, "您管理的单位以外的人员")):
        page = client.get("/admin/audit", headers=language).text
        [said] = sentences(page)["attendance.confirm"]
        assert words in said
        assert "outsider-bob" not in page
        assert f"/admin/users/{bob}" not in page
        assert not re.search(rf"\b{bob}\b", said)
    items = client.get("/api/v1/audit", headers=auth_headers("ia")).json["items"]
    confirm = next(i for i in items if i["action"] == "attendance.confirm")
    assert confirm["detail"]["user_id"] is None

"""Exams in the record: the archive's exams and pass rate, changzhou-2011's public items that
count once their exam is passed, and the unit report's exams and training ratings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.integration.conftest import PASSWORD
from tests.integration.test_archive_api import attended_training, watch
from tests.integration.test_exams import answers, key_of, make_exam, start
from tracker.services import transaction
from tracker.services.accounts import ensure_unit

EN = {"Accept-Language": "en"}
WAITING = "Counts once its exam is passed (in the same year)"


@pytest.fixture
def ann(app, make_user, auth_headers):
    """A learner of a Changzhou unit (rule set changzhou-2011)."""
    with app.app_context(), transaction():
        ensure_unit("常州研究院", rule_set_id="changzhou-2011")
    make_user("ann", unit="常州研究院")
    return auth_headers("ann")


def public_item(client, admin, make_courseware, title: str) -> int:
    item = make_courseware(hours_limit=1, title=title)
    patched = client.patch(f"/api/v1/courseware/{item}", json={"subject": "public"}, headers=admin)
    assert patched.status_code == 200, patched.json
    return item


def hand_in(client, headers, exam_id: int, right: bool, key: dict) -> None:
    attempt = start(client, headers, exam_id)
    body = {"answers": answers(attempt, key, right)}
    submitted = client.post(f"/api/v1/attempts/{attempt['id']}/submit", json=body, headers=headers)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["result"]["passed"] is right


def archive(client, headers, year: int = 2026) -> dict:
    response = client.get(f"/api/v1/archive?from={year}-01&to={year}-12", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def row_of(doc: dict, item: int) -> tuple[float, float, bool]:
    row = next(i for i in doc["items"] if i["source_id"] == item and i["source"] == "courseware")
    return row["raw_s"], row["effective_s"], row["awaiting_exam"]


def agrees_with_the_unit_report(client, admin, doc: dict) -> None:
    """The unit report reads the ledger in its own way: it must see the same figures."""
    units = {u["name"]: u["id"] for u in client.get("/api/v1/units", headers=admin).json}
    report = client.get(f"/api/v1/reports/units/{units['常州研究院']}?year=2026", headers=admin)
    (row,) = report.json["rows"]
    assert (row["total_s"], row["effective_s"]) == (doc["total_s"], doc["effective_s"])
    assert row["subject_shortfalls_s"] == doc["years"][0]["subject_shortfalls_s"]
    assert row["exams"] == doc["counts"]["exams"]


def test_a_public_item_counts_once_its_exam_is_passed(
    client, admin, ann, make_courseware, connect, clock
):
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    examined = public_item(client, admin, make_courseware, "Integrity")
    plain = public_item(client, admin, make_courseware, "Safety")  # no exam: counts at once
    exam_id = make_exam(client, admin, examined)
    key = key_of(client, admin, exam_id)
    watch(connect, clock, examined, 600)
    watch(connect, clock, plain, 600)

    before = archive(client, ann)
    assert row_of(before, examined) == (600, 0, True)
    assert row_of(before, plain) == (600, 600, False)
    assert before["by_subject"]["public"]["effective_s"] == 600
    assert before["years"][0]["awaiting_exam_s"] == 600
    assert before["counts"]["exams"] == {"taken": 0, "passed": 0, "pass_rate": 0.0}
    assert before["exams"] == []
    agrees_with_the_unit_report(client, admin, before)

    hand_in(client, ann, exam_id, False, key)
    failed = archive(client, ann)
    assert row_of(failed, examined) == (600, 0, True)
    assert failed["counts"]["exams"] == {"taken": 1, "passed": 0, "pass_rate": 0.0}
    assert [(e["exam_id"], e["attempts"], e["passed"]) for e in failed["exams"]] == [
        (exam_id, 1, False)
    ]

    hand_in(client, ann, exam_id, True, key)
    passed = archive(client, ann)
    assert row_of(passed, examined) == (600, 600, False)
    assert passed["by_subject"]["public"]["effective_s"] == 1200
    assert passed["effective_s"] == 1200
    assert passed["years"][0]["awaiting_exam_s"] == 0
    assert passed["years"][0]["subject_shortfalls_s"]["public"] == 24 * 3600 - 1200
    assert passed["counts"]["exams"] == {"taken": 1, "passed": 1, "pass_rate": 100.0}
    assert [(e["attempts"], e["passed"], e["best_percent"]) for e in passed["exams"]] == [
        (2, True, 100.0)
    ]
    agrees_with_the_unit_report(client, admin, passed)


def test_a_pass_in_the_next_year_does_not_reach_back(
    client, admin, ann, make_courseware, connect, clock
):
    clock.now = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
    item = public_item(client, admin, make_courseware, "Integrity")
    exam_id = make_exam(client, admin, item)
    key = key_of(client, admin, exam_id)
    watch(connect, clock, item, 60)
    hand_in(client, ann, exam_id, False, key)
    clock.now = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 1 January 2027, 00:30 in Shanghai
    hand_in(client, ann, exam_id, True, key)

    closed = archive(client, ann, 2026)
    assert row_of(closed, item) == (60, 0, True)
    # The exam was decided by the pass, on 1 January: it counts in 2027, once.
    assert closed["counts"]["exams"]["taken"] == 0
    assert archive(client, ann, 2027)["counts"]["exams"] == {
        "taken": 1,
        "passed": 1,
        "pass_rate": 100.0,
    }


def test_every_rendering_shows_the_exams_and_why_time_waits(
    client, admin, ann, make_courseware, connect, clock
):
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    item = public_item(client, admin, make_courseware, "Integrity")
    exam_id = make_exam(client, admin, item)
    watch(connect, clock, item, 60)
    hand_in(client, ann, exam_id, False, key_of(client, admin, exam_id))
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    line = "1 exam, 0 passed, pass rate 0.0 %"
    query = "?from=2026-01&to=2026-12"
    for page in ("/archive", "/archive/print"):
        text = client.get(page + query, headers=EN).text
        assert line in text
        assert WAITING in text
        assert "data-awaiting-exam" in text
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/archive/export.csv" + query, headers=EN).data.decode("utf-8-sig")
            )
        )
    )
    summary = {row[0]: row[1:] for row in rows if row}
    assert (summary["Exams taken"], summary["Pass rate"]) == (["1"], ["0.0 %"])
    assert any(row and row[-1] == WAITING for row in rows)
    assert ["Integrity exam", "Public subject", "2026-03-02", "1", "0.0", "not passed"] in rows
    book = load_workbook(io.BytesIO(client.get("/archive/export.xlsx" + query, headers=EN).data))
    exams = list(book["Exams"].iter_rows(values_only=True))
    assert exams[1][0] == "Integrity exam"
    assert exams[1][3:] == (1, 0.0, "not passed")
    pdf = client.get("/archive/export.pdf" + query, headers=EN).data
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert line in text
    assert WAITING in text


def test_the_unit_report_counts_exams_and_the_members_ratings(
    app, client, admin, make_user, auth_headers
):
    unit = client.post("/api/v1/units", json={"name": "信息中心"}, headers=admin).json
    people = {name: make_user(name, unit="信息中心") for name in ("ann", "bob")}
    people["carl"] = make_user("carl")  # outside the unit
    headers = {name: auth_headers(name) for name in people}
    exam_id = make_exam(client, admin)  # stand-alone, public
    key = key_of(client, admin, exam_id)
    hand_in(client, headers["ann"], exam_id, True, key)
    hand_in(client, headers["bob"], exam_id, False, key)

    training = attended_training(client, admin, people["ann"], 1, "2026-04-10")
    for name in ("bob", "carl"):
        confirmed = client.post(
            f"/api/v1/trainings/{training}/attendance",
            json={"user_id": people[name], "absent_fraction": 0, "assessment": "passed"},
            headers=admin,
        )
        assert confirmed.status_code == 200, confirmed.json
    attended_training(client, admin, people["carl"], 1, "2026-05-10")  # no member attended
    for name, rating in (("ann", 4), ("bob", 1), ("carl", 5)):
        rated = client.put(
            f"/api/v1/trainings/{training}/evaluation",
            json={"rating": rating},
            headers=headers[name],
        )
        assert rated.status_code == 200, rated.json

    report = client.get(f"/api/v1/reports/units/{unit['id']}?year=2026", headers=admin).json
    assert {r["username"]: r["exams"] for r in report["rows"]} == {
        "ann": {"taken": 1, "passed": 1, "pass_rate": 100.0},
        "bob": {"taken": 1, "passed": 0, "pass_rate": 0.0},
    }
    assert report["exams"] == {"taken": 2, "passed": 1, "pass_rate": 50.0}
    assert report["trainings"] == [
        {
            "training_id": training,
            "title": "Training 2026-04-10",
            "end_date": "2026-04-10",
            "attendees": 2,
            "average_rating": 2.5,
            "ratings": 2,
        }
    ]

    client.post("/login", data={"username": "root", "password": PASSWORD})
    base = f"unit_id={unit['id']}&year=2026"
    page = client.get(f"/admin/reports?{base}", headers=EN).text
    assert "2 exams, 1 passed, pass rate 50.0 %" in page
    assert f'data-training="{training}"' in page
    assert "2.50" in page
    exported = client.get(f"/admin/reports/export.csv?{base}", headers=EN)
    assert exported.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert ["Pass rate", "50.0 %"] in rows
    assert ["Training 2026-04-10", "2026-04-10", "2", "2", "2.5"] in rows
    header = rows.index(next(r for r in rows if r[:1] == ["Username"]))
    assert [r[-3:] for r in rows[header + 1 : header + 3]] == [
        ["1", "1", "100.0"],
        ["1", "0", "0.0"],
    ]
    book = load_workbook(
        io.BytesIO(client.get(f"/admin/reports/export.xlsx?{base}", headers=EN).data)
    )
    assert list(book["Trainings"].iter_rows(values_only=True))[1] == (
        "Training 2026-04-10",
        "2026-04-10",
        2,
        2,
        2.5,
    )
    assert client.get(f"/admin/reports/export.pdf?{base}", headers=EN).status_code == 404


def test_an_attempt_passed_at_its_deadline_counts_when_the_archive_is_read(
    client, admin, ann, make_courseware, connect, clock
):
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    item = public_item(client, admin, make_courseware, "Integrity")
    exam_id = make_exam(client, admin, item, time_limit_minutes=1)
    key = key_of(client, admin, exam_id)
    watch(connect, clock, item, 60)
    attempt = start(client, ann, exam_id)
    body = {"answers": answers(attempt, key)}
    saved = client.put(f"/api/v1/attempts/{attempt['id']}/answers", json=body, headers=ann)
    assert saved.status_code == 200, saved.json
    clock.advance(120)  # never handed in: the archive hands it in with the saved answers
    doc = archive(client, ann)
    assert row_of(doc, item) == (60, 60, False)
    assert doc["counts"]["exams"] == {"taken": 1, "passed": 1, "pass_rate": 100.0}

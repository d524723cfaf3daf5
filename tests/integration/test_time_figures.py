"""Time figures as people read them: one duration format on every page and export, never
decimal hours, and "completed + remaining" adding up to the target."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from tracker.core.compliance import missing_ms
from tracker.demo import DEMO_PASSWORD
from tracker.extensions import db
from tracker.formatting import duration
from tracker.models import Courseware, LearningRecord, Training, Unit, User

H, MIN, S = 3_600_000, 60_000, 1000

DURATIONS = [
    # ms, seconds, English, Chinese
    (0, False, "0 h 00 min", "0 小时 00 分"),
    (59_999, False, "0 h 00 min", "0 小时 00 分"),
    (65 * MIN + 59_999, False, "1 h 05 min", "1 小时 05 分"),
    (49 * H + 59 * MIN + 59_900, False, "49 h 59 min", "49 小时 59 分"),
    (1234 * H + 5 * MIN, False, "1234 h 05 min", "1234 小时 05 分"),
    (-65 * MIN, False, "−1 h 05 min", "−1 小时 05 分"),
    (-30 * S, False, "0 h 00 min", "0 小时 00 分"),
    (None, False, "∞", "∞"),
    (65 * MIN + 7_900, True, "1 h 05 min 07 s", "1 小时 05 分 07 秒"),
    (0, True, "0 h 00 min 00 s", "0 小时 00 分 00 秒"),
    (-30 * S, True, "−0 h 00 min 30 s", "−0 小时 00 分 30 秒"),
]


@pytest.mark.parametrize(("ms", "seconds", "en", "zh"), DURATIONS)
def test_one_duration_format_in_both_languages(app: Flask, ms, seconds, en, zh) -> None:
    for language, expected in (("en", en), ("zh-CN", zh)):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert duration(ms, seconds) == expected


@pytest.mark.parametrize(
    ("done_ms", "goal_ms", "done", "left"),
    [
        (49 * H + 59 * MIN + 59_900, 100 * H, "49 h 59 min", "50 h 01 min"),
        (99 * H + 59 * MIN + 59 * S, 100 * H, "99 h 59 min", "0 h 01 min"),
        (100 * H - 1, 100 * H, "99 h 59 min", "0 h 01 min"),
        (54 * H + 10 * MIN, 100 * H, "54 h 10 min", "45 h 50 min"),
        (30 * S, 24 * H, "0 h 00 min", "24 h 00 min"),
        (100 * H, 100 * H, "100 h 00 min", "0 h 00 min"),
    ],
)
def test_done_and_missing_as_shown_add_up_to_the_goal(app: Flask, done_ms, goal_ms, done, left):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert duration(done_ms) == done
        assert duration(missing_ms(goal_ms, done_ms), missing=True) == left
    minutes = [int(f.split()[0]) * 60 + int(f.split()[2]) for f in (done, left)]
    assert sum(minutes) * MIN == goal_ms


# What must never reach a person: decimal hours ("49.9357 小时", "0.05 h") or minutes that
# are not padded ("1 h 5 min").
DECIMAL_HOURS = re.compile(r"\d[.,]\d+\s*(?:h\b|小时|hours?\b)")
UNPADDED = re.compile(r"(?:\bh|小时)\s+\d(?!\d)\s*(?:min\b|分)")


def visible_text(page: str) -> str:
    """The words of an HTML page (no scripts, styles or tags)."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def bad_figures(text: str) -> list[str]:
    return [m.group(0) for pattern in (DECIMAL_HOURS, UNPADDED) for m in pattern.finditer(text)]


def export_text(fmt: str, body: bytes) -> str:
    """The text cells of an export: machine columns (numbers) are left out."""
    if fmt == "csv":
        rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
        return "\n".join(c for row in rows for c in row if not re.fullmatch(r"-?\d+(\.\d+)?", c))
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(body))
        return "\n".join(
            c.value
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for c in row
            if isinstance(c.value, str)
        )
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def rich(make_app, database_url, shared_media) -> tuple[Flask, dict[str, Any]]:
    """The demo's year of history (sessions, trainings with attendance, claims in every
    state), a unit admin, and an exam with a time limit."""
    app = make_app(database_url, MEDIA_DIR=str(shared_media))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    made = app.test_cli_runner().invoke(
        args=[
            *("create-user", "ua", "--password", DEMO_PASSWORD),
            *("--role", "admin", "--unit", "近代物理研究所"),
        ]
    )
    assert made.exit_code == 0, made.output
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD})
    admin = {"Authorization": f"Bearer {token.json['token']}"}
    exam = client.post(
        "/api/v1/exams",
        json={"title": "Timed", "subject": "public", "hours": 1.5, "time_limit_minutes": 65},
        headers=admin,
    )
    assert exam.status_code == 201, exam.json
    with app.app_context():
        zhang = db.session.scalar(select(User.id).where(User.username == "zhang"))
        ids = {
            "courseware_id": db.session.scalar(select(Courseware.id)),
            "training_id": db.session.scalar(select(Training.id)),
            "record_id": db.session.scalar(
                select(LearningRecord.id).where(LearningRecord.user_id == zhang)
            ),
            "user_id": zhang,
            "exam_id": exam.json["id"],
            "unit_id": db.session.scalar(select(Unit.id).where(Unit.name == "兰州分院")),
        }
    return app, ids


SKIPPED = {"static", "web.vendor", "web.media", "web.set_language", "web.login"}
FILES = {"web.record_evidence", "web.training_material", "web.certificate_file"}


def page_paths(app: Flask, ids: dict[str, Any]) -> list[str]:
    """Every page a person can open, its ids filled in from the scenario."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in SKIPPED | FILES or rule.endpoint.endswith("_template"):
            continue
        if rule.arguments - {*ids, "fmt"}:
            continue  # an attempt or a certificate: none in the scenario
        formats = ["csv", "xlsx", "pdf"] if "fmt" in rule.arguments else [None]
        for fmt in formats:
            values = {name: ids[name] for name in rule.arguments if name in ids}
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values, **({"fmt": fmt} if fmt else {}))
            paths.append(url)
    return sorted(set(paths))


@pytest.mark.parametrize("username", ["zhang", "li", "admin", "ua"])
def test_no_page_or_export_shows_decimal_hours_or_unpadded_minutes(rich, username) -> None:
    app, ids = rich
    paths = page_paths(app, ids)
    assert {"/archive", "/admin/reports", f"/play/{ids['courseware_id']}"} <= set(paths)
    for language in ("zh-CN", "en"):
        client = app.test_client()
        login = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert login.status_code == 302
        shown = 0
        for path in [*paths, f"/admin/reports?unit_id={ids['unit_id']}"]:
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code < 500, (username, path)
            if response.status_code != 200:
                continue
            fmt = path.rsplit(".", 1)[-1].split("?")[0]
            if fmt in ("csv", "xlsx", "pdf"):
                text = export_text(fmt, response.data)
            else:
                text = visible_text(response.get_data(as_text=True))
            assert not bad_figures(text), (username, language, path, bad_figures(text))
            shown += bool(re.search(r"\d+\s+(?:h|小时)\s+\d\d\s+(?:min|分)", text))
        assert shown >= 3, (username, language)  # the figures are there to be checked


def test_completed_and_remaining_add_up_on_the_archive(rich) -> None:
    app, ids = rich
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    figure = r"(\d+)\s+h\s+(\d\d)\s+min"
    english = {"Accept-Language": "en"}
    archive = client.get("/archive", query_string={"user_id": ids["user_id"]}, headers=english)
    page = visible_text(archive.text)
    done, target, left = (
        re.search(rf"{label}\s+{figure}", page).groups()
        for label in ("Effective", "Target", "Remaining")
    )
    minutes = [int(h) * 60 + int(m) for h, m in (done, target, left)]
    if minutes[2]:
        assert minutes[0] + minutes[2] == minutes[1]
    else:
        assert minutes[0] >= minutes[1]

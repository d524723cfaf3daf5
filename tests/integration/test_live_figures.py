"""The live figures agree with the archive: the player's yearly online figure counts approved
external online learning, and under subject minimums nothing says "target reached" while a
subject is short (banner, archive page, PDF, CSV, XLSX, unit report)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.integration.conftest import INTERVAL_S, PASSWORD
from tests.integration.test_archive_api import approved_record, attended_training
from tracker.services import transaction
from tracker.services.accounts import ensure_unit

EN = {"Accept-Language": "en"}
H = 3600
REACHED = "reached the"


@pytest.fixture
def ann(make_user, auth_headers):
    make_user("ann")
    return auth_headers("ann")


def online_group(client, headers) -> dict:
    doc = client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=headers).json
    (cap,) = [c for c in doc["years"][0]["caps"] if c["name"] == "online"]
    return {"group": cap["effective_s"], "online": doc["by_kind"]["online"]["effective_s"]}


@pytest.mark.parametrize(
    ("external_h", "counted_s", "status"),
    [(50, 0, "year_cap_reached"), (49.99, 36, "year_cap_reached"), (10, 60, "recording")],
)
def test_the_players_year_counts_approved_external_online(
    client, admin, ann, make_courseware, connect, clock, external_h, counted_s, status
):
    clock.now = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
    approved_record(client, ann, admin, "external_online", external_h, "2026-05-31")
    player = connect("ann")
    opened = player.open(make_courseware(hours_limit=1))
    assert opened["year"]["online_effective_s"] == external_h * H
    assert opened["year"]["online_cap_s"] == 50 * H
    if external_h >= 50:
        assert opened["status"] == "year_cap_reached"
    player.beat()
    earned = 0.0
    for _ in range(60 // INTERVAL_S):
        clock.advance(INTERVAL_S)
        ack = player.beat(advance=INTERVAL_S)
        earned += ack["delta_s"]
    assert ack["status"] == status
    assert earned == counted_s
    assert ack["year"]["online_raw_s"] == external_h * H + 60
    player.close()
    archive = online_group(client, ann)
    # The player's figure is the archive's online group, and what it credited is what counts.
    assert ack["year"]["online_effective_s"] == archive["group"]
    assert archive["online"] == counted_s


def test_external_online_approved_after_watching_caps_the_figure(
    client, admin, ann, make_courseware, connect, clock
):
    clock.now = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
    item = make_courseware(hours_limit=1)
    player = connect("ann")
    player.open(item)
    player.beat()
    clock.advance(INTERVAL_S)
    player.beat(advance=INTERVAL_S)
    player.close()
    approved_record(client, ann, admin, "external_online", 50, "2026-05-31")
    opened = connect("ann").open(item)
    assert opened["status"] == "year_cap_reached"
    assert opened["year"]["online_effective_s"] == 50 * H == online_group(client, ann)["group"]


# --- subject minimums (changzhou-2011) -------------------------------------------------------


@pytest.fixture
def chen(app, client, admin, make_user, clock):
    """A changzhou learner with all 72 hours, all professional: the public subject is short."""
    with app.app_context(), transaction():
        ensure_unit("常州研究院", rule_set_id="changzhou-2011")
    chen_id = make_user("chen", unit="常州研究院")
    clock.now = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
    attended_training(client, admin, chen_id, 12, "2026-05-01", subject="professional")
    client.post("/login", data={"username": "chen", "password": PASSWORD})
    return chen_id


def test_the_banner_names_each_subject_and_never_says_reached(client, chen):
    for path in ("/", "/archive", "/archive/print"):
        page = client.get(path, headers=EN).text.replace("\xa0", " ")  # one-line figures
        assert "of the 72 h 00 min target, but a subject is still short" in page, path
        assert "Public subject: 0 h 00 min, 24 h 00 min missing" in page
        assert "Professional subject: 72 h 00 min, minimum met" in page
        assert REACHED not in page
    zh = client.get("/", headers={"Accept-Language": "zh-CN"}).text.replace("\xa0", " ")
    assert "公需科目：0 小时 00 分，尚缺 24 小时 00 分" in zh


def test_the_exports_show_each_subject(client, chen):
    query = "?from=2026-01&to=2026-12"
    pdf = client.get("/archive/export.pdf" + query, headers=EN)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    assert "a subject is still short" in text
    assert "Public subject: 0 h 00 min, 24 h 00 min missing" in text
    assert REACHED not in text
    rows = list(csv.reader(io.StringIO(client.get("/archive/export.csv" + query, headers=EN).text)))
    summary = {row[0]: row[1:] for row in rows if row}
    assert summary["Target met"] == ["no"]
    assert summary["Public subject still missing"] == ["24 h 00 min", "24.0"]
    assert float(summary["Professional subject"][1]) == 72
    book = client.get("/archive/export.xlsx" + query, headers=EN)
    sheet = load_workbook(io.BytesIO(book.data))["Summary"]
    cells = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True)}
    assert cells["Public subject still missing"][:2] == ("24 h 00 min", 24)


def test_the_unit_report_shows_the_missing_subject(app, client, admin, chen):
    client.post("/logout")
    client.post("/login", data={"username": "root", "password": PASSWORD})
    units = {u["name"]: u["id"] for u in client.get("/api/v1/units", headers=admin).json}
    query = f"?unit_id={units['常州研究院']}&year=2026"
    page = client.get("/admin/reports" + query, headers=EN).text
    assert "0 of 1 employees have met their target" in page
    assert "Still missing by subject" in page
    assert "Public subject 24 h 00 min" in page
    book = client.get("/admin/reports/export.xlsx" + query, headers=EN)
    header, row = list(load_workbook(io.BytesIO(book.data)).active.iter_rows(values_only=True))
    assert row[header.index("Target met")] == "no"
    assert row[header.index("Still missing by subject")] == "Public subject 24 h 00 min"

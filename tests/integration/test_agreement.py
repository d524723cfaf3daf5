"""One reader, one rule: every place that shows recorded time shows the same seconds.

The claims page, the archive API, the unit report and every export (PDF, CSV, XLSX) agree to
the second on the same data, per kind and per month, and courseware watched over several
months lands in the months it was watched.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.integration.conftest import PASSWORD
from tests.integration.test_archive_api import approved_record, attended_training, watch
from tracker.core.rules import KINDS
from tracker.exports.labels import hours, kind_label

EN = {"Accept-Language": "en"}
H = 3600
MONTHS = [f"2026-{month:02d}" for month in range(1, 13)]


@pytest.fixture
def year(app, client, make_user, auth_headers, make_courseware, connect, clock):
    """A year of every kind, with caps that cut, online time in two months of one item."""
    make_user("root", role="admin")
    admin = auth_headers("root")
    unit = client.post("/api/v1/units", json={"name": "信息中心"}, headers=admin).json
    ann_id = make_user("ann", unit="信息中心")
    ann = auth_headers("ann")
    lecture = make_courseware(hours_limit=1, title="Integrity")
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    watch(connect, clock, lecture, 120)
    clock.now = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)  # the same item again, in May
    watch(connect, clock, lecture, 60)
    watch(connect, clock, make_courseware(hours_limit=1, title="Ethics"), 60)
    # With March's 2 min, 50 h of external online learning in April reach the online cap:
    # 2 min of it and all of May's online time are cut.
    approved_record(client, ann, admin, "external_online", 50, "2026-04-15")
    approved_record(client, ann, admin, "self_study", 12, "2026-06-10")  # 2 h above its cap
    attended_training(client, admin, ann_id, 2, "2026-09-15")
    approved_record(client, ann, admin, "external_training", 8, "2026-11-20")
    clock.now = datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
    return {"admin": admin, "ann": ann, "unit": unit["id"]}


def archive(client, headers, first: str, last: str) -> dict:
    response = client.get(f"/api/v1/archive?from={first}&to={last}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_online_time_lands_in_its_months_and_the_months_match_the_report(client, year):
    doc = archive(client, year["ann"], "2026-01", "2026-12")
    online = [i for i in doc["items"] if i["kind"] == "online"]
    assert sorted((i["title"], i["raw_s"], i["start_date"]) for i in online) == [
        ("Ethics", 60, "2026-05-04"),
        ("Integrity", 180, "2026-03-02"),  # one row for the item's year, both months in it
    ]
    assert doc["by_kind"]["online"] == {"raw_s": 240, "effective_s": 120, "count": 2}
    assert doc["by_kind"]["external_online"]["effective_s"] == 50 * H - 120
    months = [archive(client, year["ann"], m, m) for m in MONTHS]
    assert [(i["title"], i["raw_s"], i["effective_s"]) for i in months[2]["items"]] == [
        ("Integrity", 120, 120)
    ]
    assert sorted((i["title"], i["raw_s"], i["effective_s"]) for i in months[4]["items"]) == [
        ("Ethics", 60, 0),
        ("Integrity", 60, 0),
    ]
    for kind in KINDS:  # (counts are of table rows: an item watched in two months is in both)
        for figure in ("raw_s", "effective_s"):
            assert sum(m["by_kind"][kind][figure] for m in months) == doc["by_kind"][kind][figure]
    report = client.get(
        f"/api/v1/reports/units/{year['unit']}?year=2026", headers=year["admin"]
    ).json
    (row,) = report["rows"]
    assert (row["total_s"], row["effective_s"], row["remaining_s"], row["compliant"]) == (
        doc["total_s"],
        doc["effective_s"],
        doc["remaining_s"],
        doc["compliant"],
    )
    running = 0.0
    for month, point in zip(months, report["months"], strict=True):
        running += month["effective_s"]
        assert point["average_effective_s"] == running  # one member: the average is ann's


def test_every_export_shows_the_api_figures_per_kind_and_month(client, year):
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    for first, last in [("2026-01", "2026-12"), *((month, month) for month in MONTHS)]:
        _exports_agree(client, archive(client, year["ann"], first, last))


def _exports_agree(client, doc: dict) -> None:
    query = f"?from={doc['from']}&to={doc['to']}"

    rows = client.get("/archive/export.csv" + query, headers=EN).data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(rows)))
    summary = {row[0]: row for row in lines[: lines.index([])]}  # the block before the items
    book = load_workbook(io.BytesIO(client.get("/archive/export.xlsx" + query, headers=EN).data))
    sheet = {row[0]: row for row in book["Summary"].iter_rows(values_only=True)}
    pdf = client.get("/archive/export.pdf" + query, headers=EN).data
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    page = client.get("/archive" + query, headers=EN).text
    for kind in KINDS:
        figures = doc["by_kind"][kind]
        label = kind_label(kind)
        # For machines the exports give decimal hours to two places.
        raw, effective = round(figures["raw_s"] / H, 2), round(figures["effective_s"] / H, 2)
        expected = [raw, effective, figures["count"]]
        assert [float(summary[label][2]), float(summary[label][4]), int(summary[label][5])] == (
            expected
        )
        assert [sheet[label][2], sheet[label][4], sheet[label][5]] == expected
        # The PDF shows hours and minutes; every figure here is a whole number of minutes.
        assert f"{label} {hours(figures['raw_s'])} {hours(figures['effective_s'])}" in text
        assert f'data-kind="{kind}"' in page
    for name, key in (("Effective", "effective_s"), ("Total duration", "total_s")):
        assert float(summary[name][2]) == sheet[name][2] == round(doc[key] / H, 2)
    assert f'data-effective-s="{doc["effective_s"]}"' in page


def test_the_claims_page_shows_the_archives_year(client, year):
    doc = archive(client, year["ann"], "2026-01", "2026-12")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    page = client.get("/learning/external", headers=EN).text
    assert f'data-effective-s="{doc["effective_s"]}" data-raw-s="{doc["total_s"]}"' in page
    caps = dict(re.findall(r'data-cap="(\w+)" data-effective-s="([\d.]+)"', page))
    by_kind = doc["by_kind"]
    assert float(caps["online"]) == (
        by_kind["online"]["effective_s"] + by_kind["external_online"]["effective_s"]
    )
    assert float(caps["self_study"]) == by_kind["self_study"]["effective_s"] == 10 * H

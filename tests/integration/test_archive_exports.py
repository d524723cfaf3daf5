"""The archive page, its print view, PDF, CSV and XLSX show the API's figures exactly."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.integration.conftest import PASSWORD, token_for
from tests.integration.test_archive_api import approved_record, attended_training, watch
from tracker.services.accounts import save_user

EN = {"Accept-Language": "en"}
H = 3600


@pytest.fixture
def seeded(client, make_user, auth_headers, make_courseware, connect, clock):
    """The employee guide's year: online 0 h 10, offline 44 h, self-study 48 h (10 h effective)."""
    make_user("root", role="admin")
    admin = auth_headers("root")
    ann_id = make_user("ann")
    ann = auth_headers("ann")
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    watch(connect, clock, make_courseware(hours_limit=1, title="Integrity"), 600)
    attended_training(client, admin, ann_id, 5.5, "2026-04-10")
    approved_record(client, ann, admin, "self_study", 48, "2026-05-20")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    return client.get("/api/v1/archive?from=2026-01&to=2026-12", headers=ann).json


QUERY = "?from=2026-01&to=2026-12"


def in_hours(seconds: float) -> float:
    """A duration as the exports give it to machines: decimal hours to two places."""
    return round(seconds / H, 2)


def test_page_shows_the_api_figures(client, seeded):
    page = client.get("/archive" + QUERY, headers=EN).text.replace("\xa0", " ")  # one-line figures
    assert f'data-effective-s="{seeded["effective_s"]}"' in page
    assert f'data-total-s="{seeded["total_s"]}"' in page
    assert "In 2026 you have completed 54 h 10 min; 45 h 50 min more reach the 100 h 00 min" in page
    assert "On-the-job self-study count at most 10 h 00 min a year" in page


@pytest.mark.parametrize(
    ("watched_s", "done", "left"),
    [(590, "0 h 09 min", "99 h 51 min"), (600, "0 h 10 min", "99 h 50 min")],
)
def test_shown_done_and_remaining_add_up_to_the_target(
    client, make_user, make_courseware, connect, clock, watched_s, done, left
):
    make_user("ann")
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    watch(connect, clock, make_courseware(hours_limit=1), watched_s)
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    shown = [int(h) * 60 + int(m) for h, m in (f.split()[::2] for f in (done, left))]
    assert sum(shown) == 100 * 60
    banner = f"In 2026 you have completed {done}; {left} more reach the 100 h 00 min target."
    page = client.get("/archive" + QUERY, headers=EN).text.replace("\xa0", " ")
    assert banner in page
    assert f"<span>Remaining</span><strong>{left}</strong>" in page
    pdf = client.get("/archive/export.pdf" + QUERY, headers=EN).data
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert banner in text
    body = client.get("/archive/export.csv" + QUERY, headers=EN).data.decode("utf-8-sig")
    summary = {row[0]: row for row in csv.reader(io.StringIO(body)) if row}
    assert summary["Effective"][1] == done
    assert summary["Remaining"][1:3] == [left, str(in_hours(100 * H - watched_s))]


def test_print_view_is_the_same_archive_without_navigation(client, seeded):
    page = client.get("/archive/print" + QUERY, headers=EN).text
    assert 'class="printable"' in page
    assert 'class="filters' not in page
    assert f'data-effective-s="{seeded["effective_s"]}"' in page


def test_csv_has_the_api_figures(client, seeded):
    response = client.get("/archive/export.csv" + QUERY, headers=EN)
    assert response.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Item", "Value", "Hours", "Effective", "Effective hours", "Count"]
    summary = {row[0]: row for row in rows if row}
    assert summary["Effective"][1:3] == ["54 h 10 min", "54.17"]
    assert float(summary["Total duration"][2]) == in_hours(seeded["total_s"])
    header = rows.index(next(r for r in rows if r and r[0] == "Kind" and "Title" in r))
    items = rows[header + 1 : rows.index([], header)]
    assert len(items) == len(seeded["items"])
    assert rows[header][9] == "Hours"
    assert sum(float(r[11]) for r in items) == pytest.approx(
        in_hours(seeded["effective_s"]), abs=0.01 * len(items)
    )


def test_xlsx_has_the_api_figures(client, seeded):
    response = client.get("/archive/export.xlsx" + QUERY, headers=EN)
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert rows[0] == ("Item", "Value", "Hours", "Effective", "Effective hours", "Count")
    summary = {row[0]: row for row in rows}
    assert summary["Effective"][2] == in_hours(seeded["effective_s"]) == 54.17
    assert summary["Remaining"][2] == in_hours(seeded["remaining_s"])
    self_study = seeded["by_kind"]["self_study"]["effective_s"]
    assert summary["On-the-job self-study"][4] == in_hours(self_study)
    items = list(book["Learning items"].iter_rows(values_only=True))[1:]
    assert sum(row[9] for row in items) == pytest.approx(in_hours(seeded["total_s"]), abs=0.01)


def test_pdf_has_the_api_figures(client, seeded):
    response = client.get("/archive/export.pdf" + QUERY, headers=EN)
    assert response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "Total duration 92 h 10 min, effective 54 h 10 min." in text
    assert "45 h 50 min more reach the 100 h 00 min target" in text
    assert "On-the-job self-study count at most 10 h 00 min a year" in text


def font_descriptors(pdf: bytes) -> list[Any]:
    """The descriptors of the fonts the PDF's pages use (of the descendant, if composite),
    leaving out ReportLab's initial Helvetica (a standard font, no text is set in it)."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"]["/Font"]
        for name in fonts:
            font = fonts[name].get_object()
            if font.get("/BaseFont") == "/Helvetica":
                continue
            if "/DescendantFonts" in font:
                font = font["/DescendantFonts"][0].get_object()
            found.append(font["/FontDescriptor"].get_object())
    return found


def chinese_archive_pdf(app, client, admin, auth_headers) -> bytes:
    """The Chinese PDF of 张伟, whose approved claim's title has a dash."""
    with app.app_context():
        save_user("wei", PASSWORD, "learner", "信息中心", "张伟")
    wei = auth_headers("wei")
    approved_record(client, wei, admin, "self_study", 4, "2026-05-20", title="科研诚信—案例研讨")
    client.post("/login", data={"username": "wei", "password": PASSWORD})
    response = client.get("/archive/export.pdf" + QUERY, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return response.data


def test_the_pdf_embeds_its_cjk_font_and_shows_the_name_dots_and_dashes(
    app, client, admin, auth_headers
):
    pdf = chinese_archive_pdf(app, client, admin, auth_headers)
    descriptors = font_descriptors(pdf)
    assert descriptors
    assert all("/FontFile2" in d for d in descriptors)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "张伟 (wei) · 信息中心 · 2026-01 – 2026-12" in text
    assert "科研诚信—案例研讨" in text


def test_without_its_font_file_the_pdf_is_still_made_and_the_log_says_why(
    make_app, database_url, tmp_path, caplog
):
    missing = tmp_path / "no-such-font.ttf"
    app = make_app(database_url, PDF_FONT=str(missing))
    client = app.test_client()
    with app.app_context():
        save_user("root", PASSWORD, "admin")
    admin = {"Authorization": f"Bearer {token_for(client, 'root')}"}
    # Alembic's logging set-up (run by make_app) replaced the root handlers, pytest's too.
    log = logging.getLogger("tracker.exports.pdf")
    log.addHandler(caplog.handler)
    try:
        pdf = chinese_archive_pdf(
            app, client, admin, lambda name: {"Authorization": f"Bearer {token_for(client, name)}"}
        )
    finally:
        log.removeHandler(caplog.handler)
    assert "张伟" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert all("/FontFile2" not in d for d in font_descriptors(pdf))
    assert f"PDF font {missing} is unusable" in caplog.text
    assert "fonts-wqy-microhei" in caplog.text


def test_learners_cannot_export_someone_elses_archive(client, seeded, make_user):
    other = make_user("bob")
    for path in ("/archive", "/archive/export.pdf", "/archive/export.csv"):
        assert client.get(f"{path}?user_id={other}").status_code == 403


def test_unit_report_page_and_xlsx_match_the_api(app, client, make_user, auth_headers):
    make_user("root", role="admin")
    admin = auth_headers("root")
    unit = client.post("/api/v1/units", json={"name": "信息中心"}, headers=admin).json
    ann_id = make_user("ann", unit="信息中心")
    make_user("bob", unit="信息中心")
    attended_training(client, admin, ann_id, 13, "2026-03-01")
    api = client.get(f"/api/v1/reports/units/{unit['id']}?year=2026", headers=admin).json
    client.post("/login", data={"username": "root", "password": PASSWORD})
    page = client.get(f"/admin/reports?unit_id={unit['id']}&year=2026", headers=EN).text
    assert "1 of 2 employees have met their target" in page
    assert "<svg" in page
    response = client.get(f"/admin/reports/export.xlsx?unit_id={unit['id']}&year=2026", headers=EN)
    header, *rows = load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
    assert header[9:12] == ("Completed hours", "Effective hours", "Remaining hours")
    expected = [(r["username"], in_hours(r["effective_s"])) for r in api["rows"]]
    assert [(r[0], r[10]) for r in rows] == expected

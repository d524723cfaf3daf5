"""Certificates: issued on a pass and for a met year, verified without logging in, revoked."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.integration.conftest import assert_error, count, user_id
from tests.integration.test_exams import answers, key_of, make_exam, start
from tracker.extensions import db
from tracker.models import AuditEntry, Certificate, LearningRecord
from tracker.services.certificates import new_number, normalize_number

ZH = {"Accept-Language": "zh-CN"}


def pass_exam(client, admin, learner, **settings) -> str:
    exam_id = make_exam(client, admin, **settings)
    attempt = start(client, learner, exam_id)
    key = key_of(client, admin, exam_id)
    result = client.post(
        f"/api/v1/attempts/{attempt['id']}/submit",
        json={"answers": answers(attempt, key)},
        headers=learner,
    ).json
    return result["certificate"]


def test_numbers_are_random_and_forgiving_to_type():
    numbers = {new_number("exam", 2026) for _ in range(200)}
    assert len(numbers) == 200
    number = next(iter(numbers))
    assert normalize_number(number) == number
    sloppy = number.lower().replace("-", " - ", 1).replace("0", "o").replace("1", "I")
    assert normalize_number(sloppy) == number
    assert normalize_number("EX2026-AAAA") is None
    assert normalize_number("x" * 64) is None


def test_a_passed_exam_certificate_verifies_and_prints(
    client, admin, learner, make_user, auth_headers
):
    number = pass_exam(client, admin, learner)
    verified = client.get(f"/api/v1/verify?number={number.lower()}").json  # no login
    assert verified["genuine"] is True
    assert verified["valid"] is True
    assert (verified["holder"], verified["title"], verified["subject"]) == (
        "ann",
        "Integrity exam",
        "public",
    )
    assert (verified["hours"], verified["score"], verified["issued_on"]) == (
        2.0,
        100.0,
        "2026-03-02",
    )
    assert set(verified) == {
        "number", "genuine", "valid", "kind", "holder", "title", "subject", "hours", "score",
        "year", "issued_on", "revoked_on",
    }  # fmt: skip
    page = client.get(f"/verify/{number}", headers=ZH)
    assert page.status_code == 200
    assert "该证书真实有效" in page.text
    assert "ann" in page.text
    mine = client.get("/api/v1/certificates", headers=learner).json
    assert [(c["number"], c["kind"]) for c in mine] == [(number, "exam")]
    pdf = client.get(f"/api/v1/certificates/{mine[0]['id']}/pdf", headers=learner)
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert number in text
    assert f"/verify/{number}" in text
    assert " · " in text  # subject · hours · score: the embedded font has the middle dot
    make_user("bob")
    bob = auth_headers("bob")
    response = client.get(f"/api/v1/certificates/{mine[0]['id']}/pdf", headers=bob)
    assert_error(response, 404, "certificate_not_found")
    assert client.get("/api/v1/certificates", headers=bob).json == []


def test_revoking_is_audited_and_shown(app, client, admin, learner):
    number = pass_exam(client, admin, learner)
    certificate_id = client.get("/api/v1/certificates", headers=learner).json[0]["id"]
    response = client.post(
        f"/api/v1/certificates/{certificate_id}/revoke",
        json={"reason": "falsified"},
        headers=learner,
    )
    assert_error(response, 403, "forbidden")
    revoked = client.post(
        f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "falsified"}, headers=admin
    )
    assert revoked.status_code == 200, revoked.json
    assert (revoked.json["revoked"], revoked.json["revoke_reason"]) == (True, "falsified")
    again = client.post(
        f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "twice"}, headers=admin
    )
    assert_error(again, 409, "certificate_revoked")
    verified = client.get(f"/api/v1/verify?number={number}").json
    assert (verified["genuine"], verified["valid"], verified["revoked_on"]) == (
        True,
        False,
        "2026-03-02",
    )
    assert "reason" not in str(verified)
    assert "已被撤销" in client.get(f"/verify/{number}", headers=ZH).text
    assert count(app, AuditEntry, AuditEntry.action == "certificate.revoke") == 1
    own = client.get("/api/v1/certificates", headers=learner).json[0]
    assert own["revoke_reason"] is None  # the reason is for admins


@pytest.mark.parametrize(
    ("number", "page_status"),  # the page refuses what cannot be a number, beside the field
    [("EX2026-0000-0000-0000-0000", 200), ("nonsense", 400), ("x" * 64, 400)],
)
def test_unknown_numbers_are_not_genuine(client, number, page_status):
    verified = client.get(f"/api/v1/verify?number={number}")
    assert verified.status_code == 200
    assert verified.json == {
        "number": number, "genuine": False, "valid": False, "kind": None, "holder": None,
        "title": None, "subject": None, "hours": None, "score": None, "year": None,
        "issued_on": None, "revoked_on": None,
    }  # fmt: skip
    page = client.get(f"/verify/{number}", headers=ZH)
    assert page.status_code == page_status
    assert ("没有此编号的证书" in page.text) is (page_status == 200)
    assert_error(client.get("/api/v1/verify?number=" + "x" * 65), 400, "bad_payload")


def test_year_certificates_for_a_unit_in_one_go(app, client, admin, make_user):
    for name in ("met", "short", "other"):
        make_user(name, unit="Institute" if name != "other" else "Elsewhere")
    with app.app_context():
        from datetime import date

        db.session.add(
            LearningRecord(
                user_id=user_id(app, "met"),
                kind="external_training",
                title="Summer school",
                start_date=date(2025, 7, 1),
                end_date=date(2025, 7, 20),
                claimed_ms=100 * 3_600_000,
                status="approved",
                approved_ms=100 * 3_600_000,
            )
        )
        db.session.commit()
    unit_id = next(
        u["id"] for u in client.get("/api/v1/units", headers=admin).json if u["name"] == "Institute"
    )
    issued = client.post(
        "/api/v1/certificates/yearly", json={"unit_id": unit_id, "year": 2025}, headers=admin
    )
    assert issued.status_code == 200, issued.json
    assert [(c["holder"], c["hours"], c["year"], c["kind"]) for c in issued.json["issued"]] == [
        ("met", 100.0, 2025, "year")
    ]
    assert (issued.json["already_held"], issued.json["not_met"]) == (0, 1)
    assert issued.json["issued"][0]["number"].startswith("CE2026-")
    again = client.post(
        "/api/v1/certificates/yearly", json={"unit_id": unit_id, "year": 2025}, headers=admin
    )
    assert (again.json["issued"], again.json["already_held"]) == ([], 1)
    assert count(app, Certificate) == 1
    for body, code, status in (
        ({"unit_id": unit_id, "year": 2027}, "bad_payload", 400),
        ({"unit_id": 999, "year": 2025}, "unit_not_found", 404),
        ({"unit_id": unit_id, "year": 1999}, "bad_payload", 400),
    ):
        assert_error(
            client.post("/api/v1/certificates/yearly", json=body, headers=admin), status, code
        )

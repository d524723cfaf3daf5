"""Exam, certificate and evaluation pages, driven through their forms."""

from __future__ import annotations

import io
import re

import pytest

from tests.integration.conftest import PASSWORD, count
from tests.integration.test_exams import QUESTIONS, key_of, make_exam
from tracker.models import Exam, ExamQuestion

ZH = {"Accept-Language": "zh-CN"}


def log_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_taking_an_exam_through_the_pages(app, client, admin, make_user, make_courseware):
    item = make_courseware(title="科研诚信")
    exam_id = make_exam(client, admin, item, time_limit_minutes=20)
    key = key_of(client, admin, exam_id)
    make_user("wang")
    log_in(client, "wang")
    assert "参加考试" in client.get(f"/play/{item}", headers=ZH).text  # the player links to it
    assert "Integrity exam" in client.get("/exams", headers=ZH).text
    assert "开始考试" in client.get(f"/exams/{exam_id}", headers=ZH).text
    started = client.post(f"/exams/{exam_id}/start")
    assert started.status_code == 302
    page = client.get(started.location, headers=ZH).text
    assert 'src="/static/exams/attempt.js"' in page
    assert "<script>" not in page  # ready for a strict CSP: no inline scripts
    assert "onclick" not in page
    assert "0\xa0小时\xa020\xa0分\xa000\xa0秒" in page  # the countdown, labelled
    for question in QUESTIONS:
        assert question["text"] in page
    fields = {}
    for question in QUESTIONS:
        block = page[page.index(question["text"]) :]
        name = re.search(r'name="(q\d+)"', block).group(1)
        fields[name] = [str(c) for c in key[question["text"]]]
    done = client.post(started.location, data=fields)
    assert done.status_code == 302
    result = client.get(done.location, headers=ZH).text
    assert "100 %" in result
    assert "下载证书" in result
    number = re.search(r"(EX2026-[0-9A-Z-]+)", result).group(1)
    pdf = client.get(f"/certificates/{number}.pdf")
    assert pdf.mimetype == "application/pdf"
    assert number in client.get("/certificates", headers=ZH).text


def test_a_late_hand_in_from_the_page_shows_the_result(client, admin, make_user, clock):
    exam_id = make_exam(client, admin, time_limit_minutes=1)
    make_user("wang")
    log_in(client, "wang")
    attempt_url = client.post(f"/exams/{exam_id}/start").location
    clock.advance(61)
    response = client.post(attempt_url, data={}, headers=ZH, follow_redirects=True)
    assert "时间已到" in response.text
    assert "时间到时自动交卷" in response.text


def test_admin_pages_create_fill_and_publish_an_exam(app, client, make_user):
    make_user("root", role="admin")
    log_in(client, "root")
    assert client.get("/admin/exams", headers=ZH).status_code == 200
    created = client.post(
        "/admin/exams",
        data={"title": "公需科目考试", "subject": "public", "pass_mark": "60", "max_attempts": "2"},
    )
    assert created.status_code == 302, created.text
    exam_url = created.location
    bad = client.post(
        exam_url + "/questions",
        data={"kind": "single", "text": "Q", "choice_A": "a", "choice_B": "b"},
        headers=ZH,
    )
    assert bad.status_code == 400
    added = client.post(
        exam_url + "/questions",
        data={"kind": "single", "text": "Q", "choice_A": "a", "choice_B": "b", "correct": "B"},
    )
    assert added.status_code == 302
    sheet = "type,question,A,B,answer\nsingle,Second,x,y,A\nbogus,Third,x,y,A\n"
    refused = client.post(
        exam_url + "/import",
        data={"file": (io.BytesIO(sheet.encode()), "q.csv")},
        content_type="multipart/form-data",
        headers=ZH,
    )
    assert refused.status_code == 400
    assert "第 3 行" in refused.text or "行 3" in refused.text
    assert count(app, ExamQuestion) == 1
    published = client.post(
        exam_url,
        data={
            "title": "公需科目考试",
            "subject": "public",
            "pass_mark": "60",
            "max_attempts": "2",
            "published": "on",
        },
    )
    assert published.status_code == 302, published.text
    assert count(app, Exam, Exam.published.is_(True)) == 1
    assert "公需科目考试" in client.get("/exams", headers=ZH).text
    template = client.get("/admin/exams/questions.csv")
    assert "题型" in template.data.decode("utf-8-sig")


@pytest.mark.parametrize(
    "path", ["/admin/exams", "/admin/certificates", "/admin/evaluations", "/admin/exams/1"]
)
def test_exam_admin_pages_are_for_admins(client, make_user, path):
    make_user("ann")
    log_in(client, "ann")
    assert client.get(path).status_code == 403


def test_verification_needs_no_login(client):
    page = client.get("/verify", headers=ZH)
    assert page.status_code == 200
    assert "证书查验" in page.text
    unknown = client.get("/verify?number=EX2026-0000-0000-0000-0000", headers=ZH)  # well-formed
    assert "没有此编号的证书" in unknown.text

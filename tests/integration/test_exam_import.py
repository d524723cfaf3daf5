"""Question sheets (CSV, XLSX): every row or none, a translated problem per bad row."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

from tests.integration.conftest import assert_error, count
from tracker.models import ExamQuestion
from tracker.services.exams import sheet

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}

GOOD_CSV = """题型,题目,选项A,选项B,选项C,答案,分值
单选,每年学时目标是多少？,100 学时,50 学时,10 学时,A,2
多选,哪些计入学时？,在线学习,脱产培训,午休,"A,C",
判断,一天培训按 8 学时计。,,,,对,
"""


def new_exam(client, admin) -> int:
    body = {"title": "Imported", "subject": "professional"}
    return client.post("/api/v1/exams", json=body, headers=admin).json["id"]


def upload(client, admin, exam_id, name, data, replace=False, lang=EN):
    query = "?replace=true" if replace else ""
    return client.post(
        f"/api/v1/exams/{exam_id}/questions/import{query}",
        data={"file": (io.BytesIO(data), name)},
        headers={**admin, **lang},
        content_type="multipart/form-data",
    )


def test_a_chinese_csv_sheet_is_imported(client, admin):
    exam_id = new_exam(client, admin)
    response = upload(client, admin, exam_id, "题库.csv", GOOD_CSV.encode("gb18030"))
    assert response.status_code == 200, response.json
    assert response.json == {"imported": 3, "bank_size": 3}
    bank = client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json
    assert [(q["kind"], q["points"]) for q in bank] == [
        ("single", 2),
        ("multiple", 1),
        ("true_false", 1),
    ]
    assert [c["correct"] for c in bank[1]["choices"]] == [True, False, True]
    assert bank[2]["answer"] is True
    again = upload(client, admin, exam_id, "q.csv", GOOD_CSV.encode(), replace=True)
    assert again.json == {"imported": 3, "bank_size": 3}


def test_an_xlsx_sheet_is_imported(client, admin):
    book = Workbook()
    sheet = book.active
    sheet.append(["type", "question", "A", "B", "answer", "points"])
    sheet.append(["single", "Half a day is", "4 hours", "8 hours", "A", 3])
    sheet.append(["true_false", "Self-study is capped", None, None, "true", None])
    out = io.BytesIO()
    book.save(out)
    exam_id = new_exam(client, admin)
    response = upload(client, admin, exam_id, "bank.xlsx", out.getvalue())
    assert response.status_code == 200, response.json
    bank = client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json
    assert [(q["text"], q["points"]) for q in bank] == [
        ("Half a day is", 3),
        ("Self-study is capped", 1),
    ]


def test_every_bad_row_is_named_and_nothing_is_saved(app, client, admin):
    exam_id = new_exam(client, admin)
    sheet = (
        "type,question,A,B,C,answer,points\n"
        "single,Fine,a,b,,A,1\n"
        "essay,Unknown type,a,b,,A,1\n"
        "single,,a,b,,A,1\n"
        "single,Two answers,a,b,c,AB,1\n"
        "multiple,Letter out of range,a,b,,C,1\n"
        "single,Gap,a,,c,A,1\n"
        "true_false,Maybe,,,,perhaps,1\n"
        "single,Points,a,b,,A,0\n"
    )
    response = upload(client, admin, exam_id, "bad.csv", sheet.encode(), lang=ZH)
    assert_error(response, 400, "bad_sheet")
    assert response.json["message"] == "试题表有错误，未保存任何内容。"
    lines = [d["line"] for d in response.json["details"]]
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    assert "题型“essay”不是单选、多选或判断。" in response.json["details"][0]["problem"]
    assert count(app, ExamQuestion) == 0


def test_sheets_are_bounded(client, admin, monkeypatch):
    exam_id = new_exam(client, admin)
    rows = "type,question,A,B,answer\n" + "single,Q,a,b,A\n" * 201
    response = upload(client, admin, exam_id, "long.csv", rows.encode())
    assert_error(response, 400, "bad_sheet")
    assert response.json["details"][0]["line"] == 202
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 30_000_000)
    response = upload(client, admin, exam_id, "bomb.xlsx", bomb.getvalue())
    assert_error(response, 400, "bad_sheet")
    response = upload(client, admin, exam_id, "broken.xlsx", b"PK\x03\x04not really a zip")
    assert_error(response, 400, "bad_sheet")
    response = upload(client, admin, exam_id, "no-header.csv", b"single,Q,a,b,A\n")
    assert_error(response, 400, "bad_sheet")
    response = upload(client, admin, exam_id, "picture.png", b"\x89PNG\r\n\x1a\n")
    assert_error(response, 400, "bad_file")
    monkeypatch.setattr(sheet, "MAX_SHEET_BYTES", 1000)  # small, so the test sends little
    response = upload(client, admin, exam_id, "huge.csv", b"type,question\n" + b"x" * 1000)
    assert_error(response, 413, "too_large")

"""Every exported table goes through `csv_bytes` / `xlsx_bytes`: no cell is a live formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tracker.exports.tables import csv_bytes, xlsx_bytes

FORMULAS = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x","y")']
PLAIN = ["plain", "a=b", "1-2", "", "说明 =1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_cells_that_start_like_a_formula_get_an_apostrophe(text):
    rows = list(csv.reader(io.StringIO(csv_bytes([[text, 3, None]]).decode("utf-8-sig"))))
    assert rows == [["'" + text, "3", ""]]


@pytest.mark.parametrize("text", PLAIN)
def test_csv_keeps_other_text_as_it_is(text):
    rows = list(csv.reader(io.StringIO(csv_bytes([[text]]).decode("utf-8-sig"))))
    assert rows == [[text]]


def test_xlsx_stores_formula_like_text_as_text():
    formulas = [f for f in FORMULAS if "\r" not in f]  # XML reads a lone CR as a newline
    data = xlsx_bytes([("Sheet", ["=header"], [[text, -5] for text in formulas + PLAIN])])
    sheet = load_workbook(io.BytesIO(data)).active
    cells = list(sheet.iter_rows())
    assert all(c.data_type != "f" for row in cells for c in row)
    assert [row[0].value for row in cells] == ["=header", *formulas, *(p or None for p in PLAIN)]
    assert [row[1].value for row in cells[1:]] == [-5] * (len(formulas) + len(PLAIN))
    assert all(row[0].quotePrefix for row in cells[: len(formulas) + 1])
    assert not any(row[0].quotePrefix for row in cells[len(formulas) + 1 :])


@pytest.mark.parametrize(
    ("title", "sheet"),
    [
        ("a/b", "a_b"),
        ("[x]:*?\\", "_x_____"),
        ("'quoted'", "quoted"),
        ("x" * 40, "x" * 31),
        ("", "-"),
    ],
)
def test_xlsx_sheet_titles_are_ones_excel_accepts(title, sheet):
    assert load_workbook(io.BytesIO(xlsx_bytes([(title, None, [[1]])]))).sheetnames == [sheet]

"""Question sheets (CSV or XLSX): one question a row, checked whole before anything is saved.

Columns (a header row names them, in English or Chinese, any order): type (single / multiple /
true_false, 单选 / 多选 / 判断), question, choices A to H, answer (letters such as "B" or
"A,C"; true/false: true/false, 对/错, √/×), points (optional, 1 by default).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from tracker.core.exams import MAX_CHOICES, MAX_POINTS, MAX_QUESTIONS, MULTIPLE, SINGLE, TRUE_FALSE
from tracker.errors import fail
from tracker.services.csvfile import lines, problem
from tracker.services.exams.authoring import FALSE, TRUE, QuestionDraft

MAX_SHEET_BYTES = 1024 * 1024
SHEETS = frozenset({"csv", "txt", "xlsx"})  # the file types a question sheet may be
MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # an XLSX is a zip: refuse one that unpacks to more
MAX_COLUMNS = 30
LETTERS = "ABCDEFGH"[:MAX_CHOICES]

KINDS = {
    "single": SINGLE,
    "single_choice": SINGLE,
    "单选": SINGLE,
    "单选题": SINGLE,
    "multiple": MULTIPLE,
    "multiple_choice": MULTIPLE,
    "多选": MULTIPLE,
    "多选题": MULTIPLE,
    "true_false": TRUE_FALSE,
    "truefalse": TRUE_FALSE,
    "tf": TRUE_FALSE,
    "判断": TRUE_FALSE,
    "判断题": TRUE_FALSE,
}
TRUTH = {
    **dict.fromkeys(("true", "t", "yes", "y", "对", "正确", "是", "√", "✓"), True),
    **dict.fromkeys(("false", "f", "no", "n", "错", "错误", "否", "×", "✗"), False),
}
HEADERS = {
    "type": "type",
    "kind": "type",
    "题型": "type",
    "question": "question",
    "text": "question",
    "题目": "question",
    "题干": "question",
    "answer": "answer",
    "答案": "answer",
    "points": "points",
    "score": "points",
    "分值": "points",
    **{letter.lower(): letter for letter in LETTERS},
    **{f"choice_{letter.lower()}": letter for letter in LETTERS},
    **{f"选项{letter.lower()}": letter for letter in LETTERS},
}
_SPLIT = re.compile(r"[\s,，、;；/]+")


def _refuse(line: int, message: str) -> None:
    fail("bad_sheet", details=[problem(line, message)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    for line, cells in lines(data, "bad_sheet"):
        yield line, cells[:MAX_COLUMNS]


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        _refuse(1, _("The file is not a readable Excel workbook."))
    if unpacked > MAX_UNPACKED_BYTES:
        _refuse(1, _("The workbook is too large."))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        for number, row in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            yield number, [_cell(v) for v in row]
        book.close()
    except (KeyError, ValueError, OSError, IndexError, zipfile.BadZipFile):
        _refuse(1, _("The file is not a readable Excel workbook."))


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = HEADERS.get(name.strip().lower().replace(" ", "_"))
        if key and key not in columns:
            columns[key] = index
    missing = [name for name in ("type", "question", "answer") if name not in columns]
    if missing or "A" not in columns:
        _refuse(
            1,
            _(
                "The first row must name the columns type, question, A, B, … and answer "
                "(or 题型, 题目, 选项A, 选项B, … and 答案)."
            ),
        )
    return columns


def _letters(answer: str) -> set[int] | None:
    parts = [p for p in _SPLIT.split(answer.upper()) if p]
    if len(parts) == 1 and len(parts[0]) > 1:
        parts = list(parts[0])  # "AC"
    if not parts or any(p not in LETTERS for p in parts):
        return None
    return {LETTERS.index(p) for p in parts}


def _choices(values: dict[str, str], line: int) -> tuple[list[str], list[dict[str, Any]]]:
    texts = [values.get(letter, "") for letter in LETTERS]
    while texts and not texts[-1]:
        texts.pop()
    if any(not t for t in texts):
        return [], [problem(line, _("Leave no gap between choices."))]
    if any(len(t) > 500 for t in texts):
        return [], [problem(line, _("A choice is longer than 500 characters."))]
    return texts, []


def _row(line: int, values: dict[str, str]) -> tuple[QuestionDraft | None, list[dict[str, Any]]]:
    kind = KINDS.get(values.get("type", "").lower().replace(" ", "_"))
    text = values.get("question", "")
    answer = values.get("answer", "")
    problems = []
    if kind is None:
        problems.append(
            problem(
                line,
                _(
                    "The type “%(value)s” is not single, multiple or true_false.",
                    value=values.get("type", ""),
                ),
            )
        )
    if not text:
        problems.append(problem(line, _("The question text is missing.")))
    elif len(text) > 2000:
        problems.append(problem(line, _("The question is longer than 2000 characters.")))
    points_text = values.get("points", "") or "1"
    points = int(points_text) if points_text.isdigit() else 0
    if not 1 <= points <= MAX_POINTS:
        problems.append(
            problem(line, _("The points must be a whole number from 1 to %(n)d.", n=MAX_POINTS))
        )
    if kind is None or problems:
        return None, problems
    if kind == TRUE_FALSE:
        truth = TRUTH.get(answer.lower())
        if truth is None:
            return None, [problem(line, _("The answer of a true/false question is true or false."))]
        return QuestionDraft(kind, text, points, ((TRUE, truth), (FALSE, not truth))), []
    texts, problems = _choices(values, line)
    if problems:
        return None, problems
    if len(texts) < 2:
        return None, [problem(line, _("A choice question needs at least two choices."))]
    right = _letters(answer)
    if right is None or max(right) >= len(texts):
        return None, [
            problem(
                line,
                _(
                    "The answer “%(value)s” must name choices of this row by letter (A–%(last)s).",
                    value=answer,
                    last=LETTERS[len(texts) - 1],
                ),
            )
        ]
    if kind == SINGLE and len(right) != 1:
        return None, [problem(line, _("A single choice question has exactly one answer."))]
    choices = tuple((t, i in right) for i, t in enumerate(texts))
    return QuestionDraft(kind, text, points, choices), []


def read_sheet(data: bytes) -> list[QuestionDraft]:
    """The questions of a CSV or XLSX sheet; `bad_sheet` naming every bad row if any."""
    if len(data) > MAX_SHEET_BYTES:
        fail("too_large")
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    columns: dict[str, int] | None = None
    drafts: list[QuestionDraft] = []
    problems: list[dict[str, Any]] = []
    count = 0
    for line, cells in rows:
        if not any(cells):
            continue
        if columns is None:
            columns = _columns(cells)
            continue
        count += 1
        if count > MAX_QUESTIONS:
            _refuse(line, _("A sheet holds at most %(n)d questions.", n=MAX_QUESTIONS))
        values = {key: cells[i] if i < len(cells) else "" for key, i in columns.items()}
        draft, found = _row(line, values)
        problems += found
        if draft is not None:
            drafts.append(draft)
    if columns is None or not count:
        _refuse(2, _("The sheet has no questions."))
    if problems:
        fail("bad_sheet", details=problems)
    return drafts

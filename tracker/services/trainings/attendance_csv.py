"""Reading an attendance file: who attended, how much of it they missed, whether they passed.

Pure: bytes in, lines out, or `bad_csv` with every line's problems in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from tracker.errors import fail
from tracker.services.csvfile import CsvRow, problem, read_rows, repeated

MAX_LINES = 5000
# The assessment as people write it in a spreadsheet (empty: passed).
ASSESSMENTS = {
    "passed": "passed",
    "pass": "passed",
    "合格": "passed",
    "通过": "passed",
    "failed": "failed",
    "fail": "failed",
    "不合格": "failed",
    "未通过": "failed",
}


@dataclass(frozen=True)
class AttendanceLine:
    """One valid line of an attendance file."""

    line: int
    username: str
    absent_fraction: float
    assessment: str


def fraction(text: str) -> float | None:
    """A share between 0 and 1 written as 0.2, 20% or 1/5 (empty: 0); None if it is not one."""
    text = text.strip()
    try:
        if not text:
            return 0.0
        if text.endswith("%"):
            value = float(text[:-1]) / 100
        elif "/" in text:
            top, bottom = text.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if 0 <= value <= 1 else None


def _line(row: CsvRow) -> tuple[AttendanceLine | None, list[str]]:
    problems = []
    username = row.cells.get("username", "")
    if not username:
        problems.append(_("The username is missing."))
    absent = row.cells.get("absent_fraction", "")
    share = fraction(absent)
    if share is None:
        problems.append(
            _("The absence “%(value)s” is not a fraction between 0 and 1.", value=absent)
        )
    written = row.cells.get("assessment", "") or "passed"
    assessment = ASSESSMENTS.get(written.lower())
    if assessment is None:
        problems.append(_("The assessment “%(value)s” must be passed or failed.", value=written))
    if problems or share is None or assessment is None:
        return None, problems
    return AttendanceLine(row.line, username, share, assessment), []


def parse_attendance(data: bytes) -> list[AttendanceLine]:
    """The lines of an attendance file; `bad_csv` with every line's problems if any."""
    rows = read_rows(data, required=("username",), max_rows=MAX_LINES)
    errors = repeated(rows, "username")
    lines = []
    for row in rows:
        line, problems = _line(row)
        errors += [problem(row.line, text) for text in problems]
        if line is not None:
            lines.append(line)
    if errors:
        fail("bad_csv", details=sorted(errors, key=lambda error: error["line"]))
    return lines

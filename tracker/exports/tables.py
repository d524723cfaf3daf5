"""CSV and XLSX exports of an archive document and of a unit report; every table the
tracker exports is written by `csv_bytes` or `xlsx_bytes` here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tracker.core.rules import KINDS
from tracker.exports.labels import (
    awaiting_exam_reason,
    exam_outcome,
    hours,
    kind_label,
    rule_set_name,
    shortfalls,
    subject_label,
)


def _figure(seconds: float) -> float:
    """A duration for machines: decimal hours to two places (the text beside it is for people)."""
    return round(seconds / 3600, 2)


def _summary_header() -> list[str]:
    return [_("Item"), _("Value"), _("Hours"), _("Effective"), _("Effective hours"), _("Count")]


def _summary_rows(doc: dict[str, Any]) -> list[list[Any]]:
    user = doc["user"]
    rows: list[list[Any]] = [
        [_("Name"), user["display_name"] or user["username"]],
        [_("Unit"), user["unit"] or ""],
        [_("Period"), f"{doc['from']} – {doc['to']}"],
        [_("Rule set"), rule_set_name(doc["rule_set"])],
        [_("Target"), hours(doc["target_s"]), _figure(doc["target_s"])],
        [_("Total duration"), hours(doc["total_s"]), _figure(doc["total_s"])],
        [_("Effective"), hours(doc["effective_s"]), _figure(doc["effective_s"])],
        [_("Remaining"), hours(doc["remaining_s"], missing=True), _figure(doc["remaining_s"])],
        [_("Target met"), _("yes") if doc["compliant"] else _("no")],
        [_("Exams taken"), doc["counts"]["exams"]["taken"]],
        [_("Exams passed"), doc["counts"]["exams"]["passed"]],
        [_("Pass rate"), f"{doc['counts']['exams']['pass_rate']:.1f} %"],
    ]
    for subject, missing_s in doc["subject_shortfalls_s"].items():
        effective_s = doc["by_subject"].get(subject, {}).get("effective_s", 0)
        label = subject_label(subject)
        rows.append([label, hours(effective_s), _figure(effective_s)])
        missing = _("%(subject)s still missing", subject=label)
        rows.append([missing, hours(missing_s, missing=True), _figure(missing_s)])
    for kind in KINDS:
        figures = doc["by_kind"][kind]
        rows.append(
            [
                kind_label(kind),
                hours(figures["raw_s"]),
                _figure(figures["raw_s"]),
                hours(figures["effective_s"]),
                _figure(figures["effective_s"]),
                figures["count"],
            ]
        )
    return rows


def _item_header() -> list[str]:
    return [
        _("Kind"),
        _("Title"),
        _("Start"),
        _("End"),
        _("Category"),
        _("Organiser"),
        _("Location"),
        _("Subject"),
        _("Duration"),
        _("Hours"),
        _("Effective"),
        _("Effective hours"),
        _("Note"),
    ]


def _item_rows(doc: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            kind_label(i["kind"]),
            i["title"],
            i["start_date"],
            i["end_date"],
            i["category"],
            i["organizer"],
            i["location"],
            subject_label(i["subject"]),
            hours(i["raw_s"]),
            _figure(i["raw_s"]),
            hours(i["effective_s"]),
            _figure(i["effective_s"]),
            awaiting_exam_reason() if i["awaiting_exam"] else "",
        ]
        for i in doc["items"]
    ]


def _exam_header() -> list[str]:
    return [_("Exam"), _("Subject"), _("Date"), _("Attempts"), _("Best score"), _("Result")]


def _exam_rows(doc: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            e["title"],
            subject_label(e["subject"]),
            e["day"],
            e["attempts"],
            e["best_percent"],
            exam_outcome(e),
        ]
        for e in doc["exams"]
    ]


Sheets = list[tuple[str, list[str] | None, list[list[Any]]]]  # (title, header, rows) each


# Text that a spreadsheet program would read as a formula (OWASP "CSV injection"). People's
# titles, names and comments are data: in CSV such a cell gets a leading apostrophe (which
# spreadsheet programs hide); in XLSX it is stored as text, marked so that editing keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as CSV in UTF-8 with a BOM (so Excel shows Chinese), formulas made inert."""
    out = io.StringIO()
    csv.writer(out).writerows([f"'{v}" if _formula_like(v) else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def csv_file(sheets: Sheets) -> bytes:
    """Sheets as one CSV, an empty row between them."""
    rows: list[list[Any]] = []
    for number, (_title, header, body) in enumerate(sheets):
        rows += [[]] if number else []
        rows += [header] if header else []
        rows += body
    return csv_bytes(rows)


def _archive_sheets(doc: dict[str, Any]) -> Sheets:
    return [
        (_("Summary"), _summary_header(), _summary_rows(doc)),
        (_("Learning items"), _item_header(), _item_rows(doc)),
        (_("Exams"), _exam_header(), _exam_rows(doc)),
    ]


def archive_csv(doc: dict[str, Any]) -> bytes:
    """The archive as CSV: summary, items, exams."""
    return csv_file(_archive_sheets(doc))


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: no `[]:*?/\\`, no quote at either end, 1-31 characters."""
    return _SHEET_TITLE_FORBIDDEN.sub("_", title)[:31].strip("'") or "-"


def _sheet(book: Workbook, title: str, header: list[str] | None, rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(_sheet_title(title))
    if header:
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if _formula_like(cell.value):
                cell.data_type, cell.quotePrefix = "s", True
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)


def xlsx_bytes(sheets: Sheets) -> bytes:
    """A workbook of (title, header, rows) sheets: headers in bold, columns as wide as their
    text, formulas in text cells made inert."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        _sheet(book, title, header, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def archive_xlsx(doc: dict[str, Any]) -> bytes:
    """The archive as an Excel workbook: summary, items and exams sheets."""
    return xlsx_bytes(_archive_sheets(doc))


def _report_header() -> list[str]:
    return [
        _("Username"),
        _("Name"),
        _("Unit"),
        _("Rule set"),
        _("Total duration"),
        _("Effective"),
        _("Target"),
        _("Remaining"),
        _("Target met"),
        _("Completed hours"),
        _("Effective hours"),
        _("Remaining hours"),
        _("Still missing by subject"),
        _("Exams taken"),
        _("Exams passed"),
        _("Pass rate"),
    ]


def _report_rows(doc: dict[str, Any]) -> list[list[Any]]:
    rows = [
        [
            r["username"],
            r["display_name"],
            r["unit"],
            r["rule_set"],
            hours(r["total_s"]),
            hours(r["effective_s"]),
            hours(r["target_s"]),
            hours(r["remaining_s"], missing=True),
            _("yes") if r["compliant"] else _("no"),
            _figure(r["total_s"]),
            _figure(r["effective_s"]),
            _figure(r["remaining_s"]),
            shortfalls(r["subject_shortfalls_s"]),
            r["exams"]["taken"],
            r["exams"]["passed"],
            r["exams"]["pass_rate"],
        ]
        for r in doc["rows"]
    ]
    return rows


def _report_summary(doc: dict[str, Any]) -> list[list[Any]]:
    exams = doc["exams"]
    return [
        [_("Unit"), doc["unit"]],
        [_("Year"), doc["year"]],
        [_("Employees"), doc["members"]],
        [_("Target met"), doc["compliant"]],
        [_("Exams taken"), exams["taken"]],
        [_("Exams passed"), exams["passed"]],
        [_("Pass rate"), f"{exams['pass_rate']:.1f} %"],
    ]


def _training_header() -> list[str]:
    return [_("Training"), _("End"), _("Attendees"), _("Ratings"), _("Average rating")]


def _training_rows(doc: dict[str, Any]) -> list[list[Any]]:
    return [
        [t["title"], t["end_date"], t["attendees"], t["ratings"], t["average_rating"] or ""]
        for t in doc["trainings"]
    ]


def _report_sheets(doc: dict[str, Any]) -> Sheets:
    return [
        (f"{doc['unit']} {doc['year']}", _report_header(), _report_rows(doc)),
        (_("Trainings"), _training_header(), _training_rows(doc)),
        (_("Summary"), [_("Item"), _("Value")], _report_summary(doc)),
    ]


def report_xlsx(doc: dict[str, Any]) -> bytes:
    """A unit report as an Excel workbook: one row per employee, the trainings' ratings, and
    the unit's totals."""
    return xlsx_bytes(_report_sheets(doc))


def report_csv(doc: dict[str, Any]) -> bytes:
    """A unit report as CSV: the rows, the trainings and the totals of the workbook."""
    return csv_file(_report_sheets(doc))


def attendance_csv(people: Iterable[Any]) -> bytes:
    """A training's attendance sheet to fill in: everyone enrolled, present and passed by
    default (the columns the attendance import reads)."""
    return csv_bytes(
        [
            ["username", "display_name", "absent_fraction", "assessment"],
            *(
                [
                    p.username,
                    p.display_name,
                    p.absent_fraction if p.absent_fraction is not None else 0,
                    p.assessment or "passed",
                ]
                for p in people
            ),
        ]
    )

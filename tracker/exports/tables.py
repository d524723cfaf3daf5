"""CSV and XLSX exports of an archive document and of a unit report."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tracker.core.rules import KINDS
from tracker.exports.labels import hours, kind_label, shortfalls, subject_label


def _summary_rows(doc: dict[str, Any]) -> list[list[Any]]:
    user = doc["user"]
    rows: list[list[Any]] = [
        [_("Name"), user["display_name"] or user["username"]],
        [_("Unit"), user["unit"] or ""],
        [_("Period"), f"{doc['from']} – {doc['to']}"],
        [_("Rule set"), doc["rule_set"]],
        [_("Target"), hours(doc["target_s"]), doc["target_s"]],
        [_("Total duration"), hours(doc["total_s"]), doc["total_s"]],
        [_("Effective"), hours(doc["effective_s"]), doc["effective_s"]],
        [_("Remaining"), hours(doc["remaining_s"]), doc["remaining_s"]],
        [_("Target met"), _("yes") if doc["compliant"] else _("no")],
    ]
    for subject, missing_s in doc["subject_shortfalls_s"].items():
        effective_s = doc["by_subject"].get(subject, {}).get("effective_s", 0)
        label = subject_label(subject)
        rows.append([label, hours(effective_s), effective_s])
        rows.append([_("%(subject)s still missing", subject=label), hours(missing_s), missing_s])
    for kind in KINDS:
        figures = doc["by_kind"][kind]
        rows.append(
            [
                kind_label(kind),
                hours(figures["raw_s"]),
                figures["raw_s"],
                hours(figures["effective_s"]),
                figures["effective_s"],
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
        _("Seconds"),
        _("Effective"),
        _("Effective seconds"),
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
            i["raw_s"],
            hours(i["effective_s"]),
            i["effective_s"],
        ]
        for i in doc["items"]
    ]


def archive_csv(doc: dict[str, Any]) -> bytes:
    """The archive as CSV (UTF-8 with a BOM, so Excel shows Chinese): summary, then items."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(_summary_rows(doc))
    writer.writerow([])
    writer.writerow(_item_header())
    writer.writerows(_item_rows(doc))
    return out.getvalue().encode("utf-8-sig")


def _sheet(book: Workbook, title: str, header: list[str] | None, rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title[:31])
    if header:
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)


def _xlsx(sheets: list[tuple[str, list[str] | None, list[list[Any]]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        _sheet(book, title, header, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def archive_xlsx(doc: dict[str, Any]) -> bytes:
    """The archive as an Excel workbook: a summary sheet and an items sheet."""
    return _xlsx(
        [(_("Summary"), None, _summary_rows(doc)), (_("Items"), _item_header(), _item_rows(doc))]
    )


def report_xlsx(doc: dict[str, Any]) -> bytes:
    """A unit report as an Excel workbook, one row per employee."""
    header = [
        _("Username"),
        _("Name"),
        _("Unit"),
        _("Rule set"),
        _("Completed"),
        _("Effective"),
        _("Target"),
        _("Remaining"),
        _("Target met"),
        _("Completed seconds"),
        _("Effective seconds"),
        _("Remaining seconds"),
        _("Still missing by subject"),
    ]
    rows = [
        [
            r["username"],
            r["display_name"],
            r["unit"],
            r["rule_set"],
            hours(r["total_s"]),
            hours(r["effective_s"]),
            hours(r["target_s"]),
            hours(r["remaining_s"]),
            _("yes") if r["compliant"] else _("no"),
            r["total_s"],
            r["effective_s"],
            r["remaining_s"],
            shortfalls(r["subject_shortfalls_s"]),
        ]
        for r in doc["rows"]
    ]
    return _xlsx([(f"{doc['unit']} {doc['year']}", header, rows)])

"""Evaluations as CSV or XLSX for admins."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from tracker.exports.tables import csv_file, xlsx_bytes
from tracker.services.evaluations import EvaluationRow


def _table(rows: list[EvaluationRow]) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Kind"),
        _("Title"),
        _("Username"),
        _("Name"),
        _("Rating"),
        _("Comment"),
        _("Date"),
    ]
    body = [
        [
            _("Courseware") if r.evaluation.target == "courseware" else _("Training"),
            r.target_title,
            r.username,
            r.display_name,
            r.evaluation.rating,
            r.evaluation.comment,
            r.evaluation.updated_at.date().isoformat(),
        ]
        for r in rows
    ]
    return header, body


def evaluations_csv(rows: list[EvaluationRow]) -> bytes:
    """One line per evaluation, after the header."""
    header, body = _table(rows)
    return csv_file([(_("Evaluations"), header, body)])


def evaluations_xlsx(rows: list[EvaluationRow]) -> bytes:
    """One sheet, one row per evaluation."""
    header, body = _table(rows)
    return xlsx_bytes([(_("Evaluations"), header, body)])


EXPORTS = {
    "csv": (evaluations_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        evaluations_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}

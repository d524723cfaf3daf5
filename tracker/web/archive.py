"""The archive pages: an employee's record with print and exports, and unit reports."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_login import login_required

from tracker.api.fields import id_arg
from tracker.auth import current_principal
from tracker.clock import this_year
from tracker.errors import fail
from tracker.exports.document import archive_document, report_document
from tracker.exports.pdf import archive_pdf
from tracker.exports.tables import archive_csv, archive_xlsx, report_csv, report_xlsx
from tracker.services import units as org
from tracker.services.archive import build_archive
from tracker.services.reports import SORT_KEYS, unit_report
from tracker.services.scope import admin_scope
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import ReportForm, parse_form, validated

EXPORTS = {
    "csv": (archive_csv, "text/csv; charset=utf-8"),
    "xlsx": (archive_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (archive_pdf, "application/pdf"),
}


def _document() -> dict[str, Any]:
    args = request.args
    return archive_document(
        build_archive(
            current_principal(),
            args.get("user_id", type=id_arg),
            args.get("from") or None,
            args.get("to") or None,
        )
    )


@bp.get("/archive")
@login_required
def archive_page() -> Any:
    return render_template("archive.html", doc=_document(), printable=False)


@bp.get("/archive/print")
@login_required
def archive_print() -> Any:
    return render_template("archive.html", doc=_document(), printable=True)


@bp.get("/archive/export.<fmt>")
@login_required
def archive_export(fmt: str) -> Any:
    if fmt not in EXPORTS:
        fail("not_found")
    render, mimetype = EXPORTS[fmt]
    doc = _document()
    name = f"archive-{doc['user']['username']}-{doc['from']}-{doc['to']}.{fmt}"
    return Response(
        render(doc),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _report(form: ReportForm) -> dict[str, Any] | None:
    unit_id = request.args.get("unit_id", type=id_arg)
    if unit_id is None:
        return None
    sort = request.args.get("sort", "name")
    return report_document(
        unit_report(
            admin_scope(current_principal()),
            unit_id,
            form.year or this_year(),
            sort if sort in SORT_KEYS else "name",
            request.args.get("order") == "desc",
        )
    )


@bp.get("/admin/reports")
@admin_page
def admin_reports() -> Any:
    form, problems = validated(ReportForm, request.args.to_dict())
    return render_template(
        "admin/reports.html",
        report=_report(form) if form else None,
        units=org.list_units(current_principal()),
        year=this_year(),
        problems=problems,
    ), 400 if problems else 200


REPORT_EXPORTS = {"csv": (report_csv, EXPORTS["csv"][1]), "xlsx": (report_xlsx, EXPORTS["xlsx"][1])}


@bp.get("/admin/reports/export.<fmt>")
@admin_page
def admin_report_export(fmt: str) -> Any:
    if fmt not in REPORT_EXPORTS:
        fail("not_found")
    doc = _report(parse_form(ReportForm, request.args))
    if doc is None:
        fail("unit_not_found")
    render, mimetype = REPORT_EXPORTS[fmt]
    return Response(
        render(doc),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="report-{doc["year"]}.{fmt}"'},
    )

"""The archive of recorded time, and compliance reports per unit."""

from __future__ import annotations

from tracker.api import bp
from tracker.api.schemas_archive import ArchiveOut, ArchiveQuery, ReportQuery, UnitReportOut
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.clock import this_year
from tracker.services.archive import Archive, build_archive
from tracker.services.reports import UnitReport, unit_report
from tracker.services.scope import admin_scope


@bp.get("/archive")
@endpoint(
    "An employee's recorded time per year, raw and effective (admins may pass user_id)",
    query=ArchiveQuery,
    response=ArchiveOut,
    errors=("bad_period", "user_not_found", "forbidden"),
)
def archive(query: ArchiveQuery) -> Archive:
    return build_archive(current_principal(), query.user_id, query.from_, query.to)


@bp.get("/reports/units/<int:unit_id>")
@endpoint(
    "Compliance of a unit (and the units below it) for one year",
    query=ReportQuery,
    response=UnitReportOut,
    roles=("admin",),
    errors=("unit_not_found",),
)
def unit_compliance(unit_id: int, query: ReportQuery) -> UnitReport:
    year = query.year or this_year()
    scope = admin_scope(current_principal())
    return unit_report(scope, unit_id, year, query.sort, query.order == "desc")

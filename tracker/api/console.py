"""The admin console's data: who is watching now, and courseware usage."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas import AuditPage, AuditQuery, LiveList, UsageList
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.services import audit, console


@bp.get("/live")
@endpoint("Everyone watching right now (from the live store)", response=LiveList, roles=("admin",))
def live() -> list[console.LiveRow]:
    return console.watching_now(current_principal())


@bp.get("/stats/courseware")
@endpoint(
    "Viewers, completions and credited time per courseware", response=UsageList, roles=("admin",)
)
def courseware_usage() -> list[console.CoursewareStats]:
    return console.courseware_stats(current_principal())


@bp.get("/audit")
@endpoint(
    "The audit log of administrative actions, newest first",
    query=AuditQuery,
    response=AuditPage,
    roles=("admin",),
)
def audit_log(query: AuditQuery) -> dict[str, Any]:
    entries, total = audit.recent_entries(
        current_principal(), query.limit, query.offset, query.target_type
    )
    return {"items": entries, "total": total}

"""The admin console's data: who is watching now, and courseware usage."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas import LiveList, UsageList
from tracker.api.spec import endpoint
from tracker.services import console


@bp.get("/live")
@endpoint("Everyone watching right now (from the live store)", response=LiveList, roles=("admin",))
def live() -> list[dict[str, Any]]:
    return [row.public() for row in console.watching_now()]


@bp.get("/stats/courseware")
@endpoint(
    "Viewers, completions and credited time per courseware", response=UsageList, roles=("admin",)
)
def courseware_usage() -> list[dict[str, Any]]:
    return [row.public() for row in console.courseware_stats()]

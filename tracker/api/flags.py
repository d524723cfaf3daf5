"""Flags for review: the queue of the people an admin administers, one's own flags, decisions."""

from __future__ import annotations

from types import SimpleNamespace

from tracker.api import bp
from tracker.api.schemas_flags import (
    FlagDecisionIn,
    FlagList,
    FlagOut,
    FlagPage,
    FlagQuery,
    MyFlagsQuery,
)
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.services import flags
from tracker.services.flags import FlagView


@bp.get("/flags")
@endpoint(
    "The review queue: flags of the people the caller administers (open first, oldest first)",
    query=FlagQuery,
    response=FlagPage,
    roles=("admin",),
)
def list_flags(query: FlagQuery) -> SimpleNamespace:
    items, total = flags.review_queue(
        current_principal(), query.status, query.year, query.limit, query.offset
    )
    return SimpleNamespace(items=items, total=total, limit=query.limit, offset=query.offset)


@bp.get("/flags/mine")
@endpoint(
    "The caller's own flags: their status, and any deduction with its reason",
    query=MyFlagsQuery,
    response=FlagList,
)
def my_flags(query: MyFlagsQuery) -> SimpleNamespace:
    return SimpleNamespace(items=flags.my_flags(current_principal(), query.year))


@bp.get("/flags/<int:flag_id>")
@endpoint(
    "One flag with its evidence (one's own, or of someone the caller administers)",
    response=FlagOut,
    errors=("flag_not_found",),
)
def get_flag(flag_id: int) -> FlagView:
    return flags.get_flag(current_principal(), flag_id)


@bp.post("/flags/<int:flag_id>/review")
@endpoint(
    "Dismiss a flag (with a note) or deduct a stated amount (with the reason the person sees)",
    body=FlagDecisionIn,
    response=FlagOut,
    roles=("admin",),
    errors=("flag_not_found", "own_flag", "flag_decided"),
)
def review_flag(flag_id: int, body: FlagDecisionIn) -> FlagView:
    return flags.decide(
        current_principal(), flag_id, body.decision, body.note, body.hours, body.kind
    )

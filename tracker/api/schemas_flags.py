"""Request and response bodies of flags for review and their decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from tracker.api.fields import HoursIn, In, Out, Query, Year
from tracker.api.schemas_archive import KindName
from tracker.core.heuristics import RULES
from tracker.models.flags import FLAG_STATUSES
from tracker.wire import Hours, Seconds, from_ms

# The rules and statuses as the core and the ledger name them (one list each).
FlagStatus = Literal[FLAG_STATUSES]  # type: ignore[valid-type]
FlagRule = Literal[RULES]  # type: ignore[valid-type]


class FlagQuery(Query):
    """Filters and page of the review queue (open flags first, oldest first)."""

    status: FlagStatus | None = None
    year: Year | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class MyFlagsQuery(Query):
    """Which year of one's own flags (default: all)."""

    year: Year | None = None


class FlagOut(Out):
    """A heuristic's finding about a person, with its evidence and the reviewer's decision."""

    id: int
    user_id: int
    username: str
    display_name: str = ""
    rule: FlagRule
    year: int
    day: date
    figure_s: Seconds = from_ms("figure_ms")
    evidence: dict[str, Any]
    status: FlagStatus
    found_at: datetime
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    note: str = ""
    deducted_hours: Hours | None = from_ms("deducted_ms", default=None)
    deducted_kind: KindName | None = None


class FlagPage(Out):
    """One page of the review queue and how many flags match."""

    items: list[FlagOut]
    total: int
    limit: int
    offset: int


class FlagList(Out):
    """One's own flags, newest first."""

    items: list[FlagOut]


class FlagDecisionIn(In):
    """Dismiss with a note, or deduct `hours` (at most the flag's figure) with the reason the
    person will see; `kind` is what the hours are taken from (default: online, or the later
    claim's kind for overlapping claims)."""

    decision: Literal["dismiss", "deduct"]
    note: Annotated[str, Field(min_length=1, max_length=2000)]
    hours: HoursIn | None = None
    kind: KindName | None = None

    @model_validator(mode="after")
    def _hours_with_deduction(self) -> FlagDecisionIn:
        if (self.decision == "deduct") != (self.hours is not None):
            raise PydanticCustomError(
                "hours_with_deduction", "hours are given with a deduction, and only then"
            )
        return self

"""Request and response bodies of notices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from tracker.api.fields import Out, Query
from tracker.services.notices import KINDS, MAX_PAGE

NoticeKind = Literal[KINDS]  # type: ignore[valid-type]


class NoticeQuery(Query):
    """Which page of the caller's notices; `unread=true` for the unread ones only."""

    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 20
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    unread: bool = False


class NoticeOut(Out):
    """A notice, worded in the caller's language; `params` names what it is about."""

    id: int
    kind: NoticeKind
    title: str
    body: str
    params: dict[str, Any]
    created_at: datetime
    read: bool


class NoticePageOut(Out):
    """One page of the caller's notices, newest first."""

    items: list[NoticeOut]
    total: int
    unread: int


class MarkedOut(Out):
    """How many notices were marked read."""

    marked: int

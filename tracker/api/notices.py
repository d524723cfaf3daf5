"""Notices: each user reads and marks only their own."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas_notices import MarkedOut, NoticePageOut, NoticeQuery
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.services import notices
from tracker.services.notices import NoticePage


@bp.get("/notices")
@endpoint("The caller's notices, newest first", query=NoticeQuery, response=NoticePageOut)
def list_notices(query: NoticeQuery) -> NoticePage:
    return notices.list_notices(current_principal(), query.limit, query.offset, query.unread)


@bp.post("/notices/<int:notice_id>/read")
@endpoint("Mark one of the caller's notices read", status=204, errors=("notice_not_found",))
def mark_read(notice_id: int) -> str:
    notices.mark_read(current_principal(), notice_id)
    return ""


@bp.post("/notices/read")
@endpoint("Mark all the caller's notices read", response=MarkedOut)
def mark_all_read() -> dict[str, Any]:
    return {"marked": notices.mark_all_read(current_principal())}

"""In-app notices: the one writer (`notify`, inside the caller's transaction), reading, marking.

A notice is stored as its kind and parameters; its title and body are written when it is
read, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tracker import clock
from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.formatting import duration
from tracker.models import Notice
from tracker.services import transaction
from tracker.services.flag_rules import rule_title
from tracker.services.rules import no_credit_text


def _subjects(missing_ms: Mapping[str, int]) -> str:
    from tracker.exports.labels import shortfalls

    return shortfalls({subject: ms / 1000 for subject, ms in missing_ms.items()})


def _rejected(p: Mapping[str, Any]) -> str:
    if p.get("note"):
        return _('"%(title)s" was rejected. The reviewer\'s note: %(note)s', **p)
    return _('"%(title)s" was rejected.', **p)


def _voided(p: Mapping[str, Any]) -> str:
    if p.get("reason"):
        return _(
            'Your confirmed attendance at "%(title)s" was voided; its hours no longer count. '
            "Reason: %(reason)s",
            **p,
        )
    return _('Your confirmed attendance at "%(title)s" was voided; its hours no longer count.', **p)


def _at_risk(p: Mapping[str, Any]) -> str:
    text = _(
        "In %(year)s you have %(done)s; %(left)s more reach the %(target)s target.",
        year=p["year"],
        done=duration(p["effective_ms"]),
        left=duration(p["remaining_ms"], missing=True),
        target=duration(p["target_ms"]),
    )
    short = _subjects(p.get("shortfalls") or {})
    if short:
        text += " " + _("Still missing by subject: %(subjects)s.", subjects=short)
    return text


def _deducted(p: Mapping[str, Any]) -> str:
    return _(
        "%(hours)s were deducted from your %(year)s learning after a review of "
        '"%(rule)s" (%(day)s). Reason: %(note)s',
        hours=duration(p["deducted_ms"]),
        year=p["year"],
        rule=rule_title(p["rule"]),
        day=p["day"],
        note=p["note"],
    )


def _confirmed(p: Mapping[str, Any]) -> str:
    why = no_credit_text(p.get("why"), p.get("absence_voids_at"))
    if why:
        return _('Your attendance at "%(title)s" was confirmed, but earns no hours.', **p) + (
            " " + why
        )
    return _(
        'Your attendance at "%(title)s" was confirmed: %(hours)s credited.',
        title=p["title"],
        hours=duration(p["credited_ms"]),
    )


# kind -> (title, body), each from the notice's parameters, in the current language.
TEXTS: dict[str, tuple[Callable[[Mapping[str, Any]], str], Callable[[Mapping[str, Any]], str]]] = {
    "record_approved": (
        lambda p: _("Learning record approved"),
        lambda p: _(
            '"%(title)s" was approved: %(hours)s count.',
            title=p["title"],
            hours=duration(p["approved_ms"]),
        ),
    ),
    "record_rejected": (lambda p: _("Learning record rejected"), _rejected),
    "record_revoked": (
        lambda p: _("Approved learning record revoked"),
        lambda p: _('"%(title)s" was revoked; its hours no longer count. Reason: %(reason)s', **p),
    ),
    "attendance_confirmed": (
        lambda p: _("Attendance confirmed"),
        lambda p: _confirmed(p),
    ),
    "attendance_voided": (lambda p: _("Attendance voided"), _voided),
    "filing_overdue": (
        lambda p: _("Training filing overdue"),
        lambda p: _(
            'The materials of "%(title)s" (ended %(end)s) were due on %(due)s and are not '
            "complete.",
            **p,
        ),
    ),
    "target_at_risk": (lambda p: _("Behind this year's target"), _at_risk),
    "flag_deducted": (lambda p: _("Hours deducted after a review"), _deducted),
}
KINDS = tuple(TEXTS)
MAX_PAGE = 100


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def notify(user_id: int, kind: str, *, once: str | None = None, **params: Any) -> None:
    """Add a notice for `user_id` in the caller's transaction; with `once`, only the first
    notice with that key for that user is kept (a rerun adds nothing)."""
    if kind not in TEXTS:
        raise ValueError(f"unknown notice kind {kind!r}")
    row = {
        "user_id": user_id,
        "kind": kind,
        "params": _plain(params),
        "once_key": once,
        "created_at": clock.now(),
    }
    if once is None:
        db.session.add(Notice(**row))
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Notice).values(**row)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["user_id", "once_key"]))


@dataclass(frozen=True)
class NoticeView:
    """A notice as its reader sees it, worded in the reader's language."""

    id: int
    kind: str
    params: dict[str, Any]
    created_at: datetime
    read_at: datetime | None

    @property
    def read(self) -> bool:
        """Whether the reader has marked it read."""
        return self.read_at is not None

    @property
    def title(self) -> str:
        """One line saying what happened."""
        return TEXTS[self.kind][0](self.params)

    @property
    def body(self) -> str:
        """The details."""
        return TEXTS[self.kind][1](self.params)


@dataclass(frozen=True)
class NoticePage:
    """Some of a user's notices, newest first, with how many there are and are unread."""

    items: tuple[NoticeView, ...]
    total: int
    unread: int


def _view(notice: Notice) -> NoticeView:
    return NoticeView(
        notice.id, notice.kind, dict(notice.params or {}), notice.created_at, notice.read_at
    )


def unread_count(principal: Principal) -> int:
    """How many of the caller's notices are unread."""
    return (
        db.session.scalar(
            select(func.count()).where(Notice.user_id == principal.id, Notice.read_at.is_(None))
        )
        or 0
    )


def list_notices(
    principal: Principal, limit: int = 20, offset: int = 0, unread: bool = False
) -> NoticePage:
    """The caller's own notices, newest first (only unread ones if asked)."""
    limit = max(1, min(limit, MAX_PAGE))
    mine = Notice.user_id == principal.id
    query = select(Notice).where(mine)
    if unread:
        query = query.where(Notice.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit).offset(offset)
    )
    return NoticePage(tuple(_view(n) for n in rows), total, unread_count(principal))


def mark_read(principal: Principal, notice_id: int) -> None:
    """Mark one of the caller's notices read; anyone else's is `notice_not_found`."""
    with transaction():
        notice = db.session.scalar(
            select(Notice).where(Notice.id == notice_id, Notice.user_id == principal.id)
        )
        if notice is None:
            fail("notice_not_found")
        if notice.read_at is None:
            notice.read_at = clock.now()


def mark_all_read(principal: Principal) -> int:
    """Mark every unread notice of the caller read; how many were."""
    with transaction():
        result = db.session.execute(
            update(Notice)
            .where(Notice.user_id == principal.id, Notice.read_at.is_(None))
            .values(read_at=clock.now())
        )
        return result.rowcount or 0

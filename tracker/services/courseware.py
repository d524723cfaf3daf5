"""Courseware catalogue: listing, creating and editing items."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from flask import current_app
from sqlalchemy import func, or_, select

from tracker import clock
from tracker.core.rules import MS_PER_HOUR, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Courseware, ItemProgress, WatchSession
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.scope import actor_scope


@dataclass(frozen=True)
class CoursewareView:
    """A courseware item as shown to a user, with what that user has credited on it."""

    id: int
    title: str
    description: str
    kind: str
    hours_limit: float
    subject: str | None
    source_url: str
    published: bool
    credited_ms: int = 0

    @property
    def cap_ms(self) -> int:
        """The item cap in milliseconds."""
        return hours_to_ms(self.hours_limit)


def _view(item: Courseware, credited_ms: int = 0) -> CoursewareView:
    return CoursewareView(
        id=item.id,
        title=item.title,
        description=item.description,
        kind=item.kind,
        hours_limit=float(item.hours_limit),
        subject=item.subject,
        source_url=item.source_url,
        published=item.published,
        credited_ms=credited_ms,
    )


@dataclass(frozen=True)
class CatalogueFilter:
    """What a user is looking for in the catalogue."""

    text: str | None = None
    kind: str | None = None
    subject: str | None = None
    unfinished: bool = False


def list_courseware(
    user_id: int,
    include_unpublished: bool = False,
    where: CatalogueFilter | None = None,
) -> list[CoursewareView]:
    """The catalogue, with the user's credited time per item, filtered if asked."""
    where = where or CatalogueFilter()
    query = (
        select(Courseware, ItemProgress.credited_ms)
        .outerjoin(
            ItemProgress,
            (ItemProgress.courseware_id == Courseware.id) & (ItemProgress.user_id == user_id),
        )
        .order_by(Courseware.id)
    )
    if not include_unpublished:
        query = query.where(Courseware.published.is_(True))
    if where.text:
        pattern = f"%{where.text}%"
        query = query.where(
            or_(Courseware.title.ilike(pattern), Courseware.description.ilike(pattern))
        )
    if where.kind:
        query = query.where(Courseware.kind == where.kind)
    if where.subject:
        query = query.where(Courseware.subject == where.subject)
    if where.unfinished:
        credited = func.coalesce(ItemProgress.credited_ms, 0)
        query = query.where(credited < Courseware.hours_limit * MS_PER_HOUR)
    return [_view(item, credited or 0) for item, credited in db.session.execute(query)]


def get_courseware(
    courseware_id: int, user_id: int, include_unpublished: bool = False
) -> CoursewareView:
    """One item with the user's credited time; `courseware_not_found` if hidden or missing."""
    item = db.session.get(Courseware, courseware_id)
    if item is None or not (item.published or include_unpublished):
        fail("courseware_not_found")
    progress = db.session.get(ItemProgress, (user_id, courseware_id))
    return _view(item, progress.credited_ms if progress else 0)


def create_courseware(fields: dict[str, Any], actor_id: int | None = None) -> CoursewareView:
    """Add an item to the catalogue (the organisation's admins, or the command line)."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        now = clock.now()
        item = Courseware(**_columns(fields), created_at=now, updated_at=now)
        db.session.add(item)
        db.session.flush()
        log_action(actor_id, "courseware.create", "courseware", item.id, new=_plain(fields))
        return _view(item)


def update_courseware(
    courseware_id: int, fields: dict[str, Any], actor_id: int | None = None
) -> CoursewareView:
    """Change an item; a new hour limit applies to future credit only."""
    actor_scope(actor_id).require_organisation()
    with transaction():
        item = db.session.get(Courseware, courseware_id, with_for_update=True)
        if item is None:
            fail("courseware_not_found")
        old = {name: _plain(getattr(item, name)) for name in fields}
        for name, value in _columns(fields).items():
            setattr(item, name, value)
        new = {name: _plain(getattr(item, name)) for name in fields}
        changed = [name for name in fields if old[name] != new[name]]
        if changed:
            item.updated_at = clock.now()
            log_action(
                actor_id,
                "courseware.update",
                "courseware",
                item.id,
                old={n: old[n] for n in changed},
                new={n: new[n] for n in changed},
            )
        db.session.flush()
        return _view(item)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return float(value) if isinstance(value, Decimal) else value


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    columns = dict(fields)
    if "hours_limit" in columns:
        columns["hours_limit"] = Decimal(str(columns["hours_limit"]))
    return columns


@dataclass(frozen=True)
class RecentLearning:
    """A recent viewing session of the user."""

    courseware_id: int
    title: str
    opened_at: datetime
    raw_ms: int


def recent_learning(user_id: int, limit: int = 5) -> list[RecentLearning]:
    """The user's latest viewing sessions that booked some time, newest first."""
    rows = db.session.execute(
        select(WatchSession, Courseware.title)
        .join(Courseware, Courseware.id == WatchSession.courseware_id)
        .where(WatchSession.user_id == user_id, WatchSession.raw_ms > 0)
        .order_by(WatchSession.opened_at.desc())
        .limit(limit)
    ).all()
    return [RecentLearning(s.courseware_id, title, s.opened_at, s.raw_ms) for s, title in rows]


MEDIA_TYPES = {
    "video": {".mp4", ".webm", ".ogv", ".m4v"},
    "document": {".pdf"},
}


def store_media(filename: str, stream: BinaryIO, kind: str) -> str:
    """Save an uploaded courseware file under a generated name; the URL it is served at."""
    suffix = Path(filename).suffix.lower()
    if suffix not in MEDIA_TYPES.get(kind, set()):
        fail("bad_media_type")
    folder = Path(current_app.config["MEDIA_DIR"]) / "courseware"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid4().hex}{suffix}"
    with (folder / name).open("wb") as out:
        shutil.copyfileobj(stream, out)
    return f"/media/courseware/{name}"

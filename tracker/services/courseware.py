"""Courseware catalogue: listing, creating and editing items."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.core.rules import hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Courseware, ItemProgress
from tracker.services import transaction


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

    def public(self) -> dict[str, Any]:
        """The item as the API shows it."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "kind": self.kind,
            "hours_limit": self.hours_limit,
            "subject": self.subject,
            "source_url": self.source_url,
            "published": self.published,
            "credited_s": self.credited_ms / 1000,
        }


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


def list_courseware(user_id: int, include_unpublished: bool = False) -> list[CoursewareView]:
    """The catalogue, with the user's credited time per item."""
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


def create_courseware(fields: dict[str, Any]) -> CoursewareView:
    """Add an item to the catalogue."""
    with transaction():
        item = Courseware(**_columns(fields))
        db.session.add(item)
        db.session.flush()
        return _view(item)


def update_courseware(courseware_id: int, fields: dict[str, Any]) -> CoursewareView:
    """Change an item; a new hour limit applies to future credit only."""
    with transaction():
        item = db.session.get(Courseware, courseware_id)
        if item is None:
            fail("courseware_not_found")
        for name, value in _columns(fields).items():
            setattr(item, name, value)
        db.session.flush()
        return _view(item)


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    columns = dict(fields)
    if "hours_limit" in columns:
        columns["hours_limit"] = Decimal(str(columns["hours_limit"]))
    return columns

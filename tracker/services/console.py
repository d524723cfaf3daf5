"""What admins watch: who is studying right now, and how each courseware is used."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from tracker.auth import Principal
from tracker.core.rules import MS_PER_HOUR, hours_to_ms
from tracker.extensions import db
from tracker.live.store import LiveSessionStore, Presence
from tracker.models import Courseware, ItemProgress, User, WatchSession
from tracker.services.scope import AdminScope, admin_scope


@dataclass(frozen=True)
class LiveRow:
    """One viewer watching now."""

    session_id: str
    user_id: int
    username: str
    display_name: str
    courseware_id: int
    title: str
    status: str
    seen_at: float


def _watching(scope: AdminScope) -> tuple[list[Presence], dict[int, User]]:
    """The live sessions of the people in `scope`, and those people."""
    store: LiveSessionStore = current_app.extensions["tracker.live_store"]
    present = store.watching()
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({p.user_id for p in present}), scope.members())
        )
    }
    if not scope.organisation:  # the organisation also sees sessions of since-deleted users
        present = [p for p in present if p.user_id in users]
    return present, users


def watching_now(principal: Principal) -> list[LiveRow]:
    """Every live session of the people `principal` administers, with names and titles."""
    present, users = _watching(admin_scope(principal))
    titles = dict(
        db.session.execute(
            select(Courseware.id, Courseware.title).where(
                Courseware.id.in_({p.courseware_id for p in present})
            )
        ).all()
    )
    return [
        LiveRow(
            p.session_id,
            p.user_id,
            users[p.user_id].username if p.user_id in users else "?",
            users[p.user_id].display_name if p.user_id in users else "",
            p.courseware_id,
            titles.get(p.courseware_id, "?"),
            p.status,
            p.seen_at,
        )
        for p in present
    ]


@dataclass(frozen=True)
class CoursewareStats:
    """How much one courseware has been used."""

    courseware_id: int
    title: str
    kind: str
    hours_limit: float
    viewers: int
    completed: int
    sessions: int
    credited_ms: int
    watching_now: int

    @property
    def limit_ms(self) -> int:
        """The item's hour limit in milliseconds."""
        return hours_to_ms(self.hours_limit)


def courseware_stats(principal: Principal) -> list[CoursewareStats]:
    """Viewers, completions, sessions and credited time for every courseware, counting the
    people `principal` administers."""
    scope = admin_scope(principal)
    now: dict[int, int] = {}
    for presence in _watching(scope)[0]:
        now[presence.courseware_id] = now.get(presence.courseware_id, 0) + 1
    progress = (
        select(
            ItemProgress.courseware_id.label("cid"),
            func.count().label("viewers"),
            func.sum(ItemProgress.credited_ms).label("credited"),
        )
        .where(ItemProgress.credited_ms > 0, scope.of_people(ItemProgress.user_id))
        .group_by(ItemProgress.courseware_id)
        .subquery()
    )
    sessions = (
        select(WatchSession.courseware_id.label("cid"), func.count().label("sessions"))
        .where(scope.of_people(WatchSession.user_id))
        .group_by(WatchSession.courseware_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Courseware, progress.c.viewers, progress.c.credited, sessions.c.sessions)
        .outerjoin(progress, progress.c.cid == Courseware.id)
        .outerjoin(sessions, sessions.c.cid == Courseware.id)
        .order_by(Courseware.id)
    ).all()
    completed = _completions(scope)
    return [
        CoursewareStats(
            item.id,
            item.title,
            item.kind,
            float(item.hours_limit),
            viewers or 0,
            completed.get(item.id, 0),
            count or 0,
            int(credited or 0),
            now.get(item.id, 0),
        )
        for item, viewers, credited, count in rows
    ]


def _completions(scope: AdminScope) -> dict[int, int]:
    # A viewer completed an item when their credit reached its limit (hours → ms).
    limit_ms = Courseware.hours_limit * MS_PER_HOUR
    return dict(
        db.session.execute(
            select(ItemProgress.courseware_id, func.count())
            .join(Courseware, Courseware.id == ItemProgress.courseware_id)
            .where(ItemProgress.credited_ms >= limit_ms, scope.of_people(ItemProgress.user_id))
            .group_by(ItemProgress.courseware_id)
        ).all()
    )

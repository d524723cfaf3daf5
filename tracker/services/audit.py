"""The audit log of administrative actions, written inside the action's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select, true

from tracker import clock
from tracker.auth import Principal
from tracker.extensions import db
from tracker.models import AuditEntry, Certificate, LearningRecord, Training, Unit, User
from tracker.services.scope import AdminScope, admin_scope


@dataclass(frozen=True)
class AuditView:
    """One logged action as shown to admins."""

    id: int
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    at: datetime


def log_action(
    actor_id: int | None, action: str, target_type: str, target_id: object, **detail: Any
) -> None:
    """Add an entry to the log; the caller's transaction commits it with the change itself."""
    db.session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail,
            at=clock.now(),
        )
    )


def entries_for(target_type: str, target_id: object) -> list[AuditView]:
    """The log of one object, oldest first."""
    rows = db.session.execute(
        select(AuditEntry, User.username)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return [_view(entry, username) for entry, username in rows]


def _concerning(scope: AdminScope) -> ColumnElement[bool]:
    """The entries about what `scope` administers: its people, their records and certificates,
    its units and their trainings; and a unit admin's own imports (target `*`)."""
    if scope.organisation:
        return true()

    def ids(column: Any, *where: ColumnElement[bool]) -> Any:
        return select(cast(column, String)).where(*where)

    people = scope.people()
    about = {
        "user": ids(User.id, scope.members()),
        "record": ids(LearningRecord.id, LearningRecord.user_id.in_(people)),
        "certificate": ids(Certificate.id, Certificate.user_id.in_(people)),
        "unit": ids(Unit.id, scope.units(Unit.id)),
        "training": ids(Training.id, scope.units(Training.unit_id)),
    }
    return or_(
        *(
            and_(AuditEntry.target_type == kind, AuditEntry.target_id.in_(found))
            for kind, found in about.items()
        ),
        and_(AuditEntry.target_id == "*", AuditEntry.actor_id.in_(people)),
    )


def recent_entries(
    principal: Principal, limit: int = 100, offset: int = 0, target_type: str | None = None
) -> tuple[list[AuditView], int]:
    """One page of the log about what `principal` administers, newest first, and how many
    entries match in all."""
    query = (
        select(AuditEntry, User.username)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(_concerning(admin_scope(principal)))
    )
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return [_view(entry, username) for entry, username in rows], total


def _view(entry: AuditEntry, username: str | None) -> AuditView:
    return AuditView(
        id=entry.id,
        actor_id=entry.actor_id,
        actor=username or "",
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        detail=dict(entry.detail or {}),
        at=entry.at,
    )

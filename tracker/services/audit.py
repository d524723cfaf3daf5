"""The audit log of administrative actions, written inside the action's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEntry, User


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
            at=current_app.extensions["tracker.clock"](),
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
    return [
        AuditView(
            id=entry.id,
            actor_id=entry.actor_id,
            actor=username or "",
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            detail=dict(entry.detail or {}),
            at=entry.at,
        )
        for entry, username in rows
    ]

"""The audit log of administrative actions, written inside the action's own transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select, true

from tracker import clock
from tracker.auth import Principal
from tracker.extensions import db
from tracker.models import (
    AuditEntry,
    Certificate,
    Courseware,
    Exam,
    Flag,
    LearningRecord,
    Training,
    Unit,
    User,
)
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


@dataclass(frozen=True)
class Person:
    """Someone an entry names, as the reader may see them: `id` is None when the reader cannot
    open their page; `name` is "" for a person outside a unit admin's units (not revealed)."""

    id: int | None
    name: str


@dataclass(frozen=True)
class AuditLine:
    """One entry with the names it needs to read as a sentence."""

    entry: AuditView
    actor: Person | None  # None: the system itself (e.g. a certificate issued on a pass)
    person: Person | None  # whom the entry concerns: an account, a claim's or flag's owner, ...
    target: str  # the object's title, name or number ("" when it is gone or is many)
    state: str | None = None  # a claim's or flag's status now (which tab of its queue)


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
    """The entries about what `scope` administers: its people, their records, flags and
    certificates, its units and their trainings; and a unit admin's own imports (target `*`)."""
    if scope.organisation:
        return true()

    def ids(column: Any, *where: ColumnElement[bool]) -> Any:
        return select(cast(column, String)).where(*where)

    people = scope.people()
    about = {
        "user": ids(User.id, scope.members()),
        "record": ids(LearningRecord.id, LearningRecord.user_id.in_(people)),
        "flag": ids(Flag.id, Flag.user_id.in_(people)),
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
    scope = admin_scope(principal)
    views = [_view(entry, username) for entry, username in rows]
    if not scope.organisation:
        # An organisation admin may have confirmed an outsider on a training in the subtree.
        inside = _inside(scope, {_about(v) for v in views} - {None})
        views = [v if _about(v) in inside or _about(v) is None else _hide(v) for v in views]
    return views, total


def readable_entries(
    principal: Principal, limit: int = 100, offset: int = 0, target_type: str | None = None
) -> tuple[list[AuditLine], int]:
    """One page of the log as `recent_entries`, each entry with the names and titles it
    mentions (people outside a unit admin's units unnamed)."""
    views, total = recent_entries(principal, limit, offset, target_type)
    ids: dict[str, set[int]] = {}
    for view in views:
        if view.target_id.isdigit():
            ids.setdefault(view.target_type, set()).add(int(view.target_id))
    records = _rows(LearningRecord, ids.get("record"), LearningRecord.title, "user_id", "status")
    flags = _rows(Flag, ids.get("flag"), Flag.rule, "user_id", "status")
    certificates = _rows(Certificate, ids.get("certificate"), Certificate.number, "user_id")
    titles = {
        "training": _rows(Training, ids.get("training"), Training.title),
        "courseware": _rows(Courseware, ids.get("courseware"), Courseware.title),
        "unit": _rows(Unit, ids.get("unit"), Unit.name),
        "exam": _rows(Exam, ids.get("exam"), Exam.title),
        "record": records,
        "flag": flags,
        "certificate": certificates,
    }

    def owner(view: AuditView) -> int | None:
        if view.target_type == "user" and view.target_id.isdigit():
            return int(view.target_id)
        found = titles.get(view.target_type, {}).get(_number(view.target_id))
        if found is not None and len(found) > 1:
            return found[1]
        return _about(view)

    owners = {v.id: owner(v) for v in views}
    wanted = {o for o in owners.values() if o is not None} | {
        v.actor_id for v in views if v.actor_id is not None
    }
    names = dict(
        db.session.execute(
            select(User.id, func.coalesce(func.nullif(User.display_name, ""), User.username)).where(
                User.id.in_(sorted(wanted))
            )
        ).all()
    )
    scope = admin_scope(principal)
    inside = set(names) if scope.organisation else _inside(scope, set(names))

    def person(user_id: int | None, hidden: bool = False) -> Person | None:
        if user_id is None and not hidden:
            return None
        if hidden or user_id not in inside:
            return Person(None, "")
        return Person(user_id, names[user_id])

    lines = []
    for view in views:
        found = titles.get(view.target_type, {}).get(_number(view.target_id))
        about = owners[view.id]
        hidden = about is None and "user_id" in view.detail  # scrubbed by recent_entries
        actor = None
        if view.actor_id is not None:  # an administrator's name is shown even from outside
            actor_id = view.actor_id if view.actor_id in inside else None
            actor = Person(actor_id, names.get(view.actor_id, view.actor))
        if view.target_type == "user":
            target = names.get(about, "") if about is not None else ""
        else:
            target = str(found[0]) if found else ""
        state = str(found[2]) if found is not None and len(found) > 2 else None
        lines.append(AuditLine(view, actor, person(about, hidden), target, state))
    return lines, total


def _number(target_id: str) -> int | None:
    return int(target_id) if target_id.isdigit() else None


def _rows(model: Any, ids: set[int] | None, label: Any, *more: str) -> dict[int, tuple[Any, ...]]:
    """{id: (label, *more)} of the objects `ids` names of `model`."""
    if not ids:
        return {}
    columns = [getattr(model, name) for name in more]
    rows = db.session.execute(select(model.id, label, *columns).where(model.id.in_(sorted(ids))))
    return {row[0]: tuple(row[1:]) for row in rows}


def _about(view: AuditView) -> int | None:
    """The person an entry's detail names (an attendee, a flag's or certificate's owner)."""
    value = view.detail.get("user_id")
    return value if isinstance(value, int) else None


def _inside(scope: AdminScope, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(
        db.session.scalars(select(User.id).where(User.id.in_(sorted(user_ids)), scope.members()))
    )


def _hide(view: AuditView) -> AuditView:
    return replace(view, detail=view.detail | {"user_id": None})


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

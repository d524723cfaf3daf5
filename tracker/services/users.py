"""Managing users: listing, editing, deactivating and importing them from CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, or_, select

from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Unit, User
from tracker.services import transaction
from tracker.services.accounts import (
    DisplayName,
    Password,
    Username,
    ensure_unit,
    new_password,
    store_user,
    username_key,
)
from tracker.services.audit import log_action
from tracker.services.csvfile import problem, read_rows, repeated
from tracker.services.rules import rule_set_for
from tracker.services.scope import AdminScope, actor_scope, admin_scope
from tracker.validation import details

MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True)
class UserView:
    """A user as admins see it."""

    id: int
    username: str
    display_name: str
    role: str
    unit: str | None
    unit_id: int | None
    active: bool
    created_at: datetime


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit=user.unit.name if user.unit else None,
        unit_id=user.unit_id,
        active=user.active,
        created_at=user.created_at,
    )


def list_users(
    principal: Principal,
    text: str | None = None,
    role: str | None = None,
    unit_id: int | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[UserView], int]:
    """One page of the users `principal` administers matching the filters, and how many match
    in all."""
    query = select(User).where(admin_scope(principal).members())
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if role:
        query = query.where(User.role == role)
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    if active is not None:
        query = query.where(User.active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(User.username).limit(limit).offset(offset))
    return [_view(user) for user in rows], total or 0


def get_user(principal: Principal, user_id: int) -> UserView:
    """One user `principal` administers; `user_not_found` if there is none (or outside)."""
    user = db.session.get(User, user_id)
    if user is None or not admin_scope(principal).covers_unit(user.unit_id):
        fail("user_not_found")
    return _view(user)


def update_user(user_id: int, fields: dict[str, Any], actor: Principal) -> UserView:
    """Change a user; deactivating one ends their sessions and tokens at once."""
    secret = None
    if fields.get("password"):
        current = db.session.scalar(select(User.password_hash).where(User.id == user_id))
        db.session.rollback()  # the hash takes a while: not while holding SQLite's write lock
        secret = new_password(fields["password"], current)
    with transaction():
        user = db.session.get(User, user_id, with_for_update=True)
        scope = admin_scope(actor)
        if user is None or not scope.covers_unit(user.unit_id):
            fail("user_not_found")
        _keep_scope(scope, user, fields, actor)
        if user.id == actor.id and (
            fields.get("active") is False or fields.get("role", "admin") != "admin"
        ):
            fail("cannot_change_self")
        before = _audited(user)
        changes = {k: fields[k] for k in ("display_name", "role") if k in fields}
        if secret is not None:
            changes["password"] = secret
        if "unit_id" in fields:
            changes["unit"] = _existing_unit(fields["unit_id"])
        if "active" in fields:
            changes["active"] = fields["active"]
        store_user(user, user.username, **changes)
        after = _audited(user) | ({"password": "changed"} if secret is not None else {})
        changed = sorted(k for k in after if before.get(k) != after[k])
        if changed:
            log_action(
                actor.id,
                "user.update",
                "user",
                user.id,
                old={k: before.get(k) for k in changed},
                new={k: after[k] for k in changed},
            )
        db.session.flush()
        view = _view(user)
    return view


def _keep_scope(scope: AdminScope, user: User, fields: dict[str, Any], actor: Principal) -> None:
    """A unit admin keeps people inside its units and cannot change its own unit or role."""
    if scope.organisation:
        return
    if user.id == actor.id and (
        fields.get("unit_id", user.unit_id) != user.unit_id
        or fields.get("role", user.role) != user.role
    ):
        fail("own_scope")
    if "unit_id" in fields:
        scope.check_place(fields["unit_id"])


def _audited(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "role": user.role,
        "unit_id": user.unit_id,
        "active": user.active,
    }


def _existing_unit(unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        fail("unknown_unit")
    return unit


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import did."""

    created: int
    updated: int


class UserRow(BaseModel):
    """One line of a user CSV; the password may be left empty for existing users."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    username: Username
    password: Password | None = None
    display_name: DisplayName = ""
    role: Literal["admin", "leader", "learner"] = "learner"
    unit: Annotated[str, Field(max_length=200)] | None = None
    active: bool | None = None  # empty: as it is (new users: active)


def parse_users_csv(data: bytes) -> list[tuple[int, UserRow]]:
    """The lines of a user file with their numbers; `bad_csv` with every line's problems."""
    rows = read_rows(data, required=("username", "role"), max_rows=MAX_IMPORT_ROWS)
    problems = repeated(rows, "username", same=username_key)
    parsed = []
    for row in rows:
        try:
            cells = {k: v for k, v in row.cells.items() if v}
            parsed.append((row.line, UserRow.model_validate(cells)))
        except ValidationError as exc:
            problems += details(exc, line=row.line)
    if problems:
        fail("bad_csv", details=sorted(problems, key=lambda p: p["line"]))
    return parsed


def import_users(data: bytes, actor_id: int | None = None) -> ImportResult:
    """Create or update users from CSV; all rows are saved, or none if any row is bad."""
    parsed = parse_users_csv(data)
    rows = {username_key(item.username): (line, item) for line, item in parsed}  # no repeats
    current = dict(
        db.session.execute(
            select(User.username_key, User.password_hash).where(User.username_key.in_(rows))
        ).all()
    )
    db.session.rollback()  # hashing takes a tenth of a second a password: not holding the lock
    secrets = {
        key: new_password(item.password, current.get(key))
        for key, (_line, item) in rows.items()
        if item.password
    }
    with transaction():
        found = db.session.scalars(select(User).where(User.username_key.in_(rows)))
        existing = {user.username_key: user for user in found}
        missing = [
            problem(line, gettext("A new user needs a password."), "password")
            for key, (line, item) in rows.items()
            if key not in existing and not item.password
        ] + [
            problem(line, gettext("You cannot deactivate yourself."), "active")
            for key, (line, item) in rows.items()
            if item.active is False and key in existing and existing[key].id == actor_id
        ]
        if missing:
            fail("bad_csv", details=sorted(missing, key=lambda p: p["line"]))
        _rows_in_scope(actor_scope(actor_id), parsed, existing, actor_id)
        for key, (_line, item) in rows.items():
            changes: dict[str, Any] = {"role": item.role}
            if secrets.get(key) is not None:
                changes["password"] = secrets[key]
            if item.display_name:
                changes["display_name"] = item.display_name
            if item.unit:
                changes["unit"] = ensure_unit(item.unit)
            if item.active is not None:
                changes["active"] = item.active
            store_user(existing.get(key), item.username, **changes)
        result = ImportResult(created=len(parsed) - len(existing), updated=len(existing))
        log_action(
            actor_id,
            "user.import",
            "user",
            "*",
            created=result.created,
            updated=result.updated,
            usernames=sorted(item.username for _line, item in parsed),
        )
    return result


def _rows_in_scope(
    scope: AdminScope,
    parsed: list[tuple[int, UserRow]],
    existing: dict[str, User],
    actor_id: int | None,
) -> None:
    """`bad_csv` unless a unit admin's file keeps everyone in one of its existing units
    (`existing`: the users by their username's key)."""
    if scope.organisation:
        return
    units = dict(db.session.execute(select(Unit.name, Unit.id)).all())
    problems = []
    for line, item in parsed:
        user = existing.get(username_key(item.username))
        if user is not None and not scope.covers_unit(user.unit_id):
            problems.append(problem(line, gettext("This user is outside your units."), "username"))
        elif (
            user is not None
            and user.id == actor_id
            and (item.role != user.role or item.unit not in (None, user.unit and user.unit.name))
        ):
            problems.append(problem(line, gettext("You cannot change your own unit or role.")))
        elif item.unit is None and user is None:
            problems.append(
                problem(line, gettext("Choose one of the units you administer."), "unit")
            )
        elif item.unit is not None and not scope.covers_unit(units.get(item.unit)):
            problems.append(problem(line, gettext("This unit is not one of yours."), "unit"))
    if problems:
        fail("bad_csv", details=problems)


def me(user_id: int) -> dict[str, Any]:
    """The caller as they see themselves, with the rule set that applies to them."""
    user = db.session.get(User, user_id)
    if user is None:
        fail("user_not_found")
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "unit": user.unit.name if user.unit else None,
        "rule_set": rule_set_for(user).id,
        "language": user.language,
    }

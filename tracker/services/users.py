"""Managing users: listing, editing, deactivating and importing them from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, or_, select

from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.live.fanout import announce_ended
from tracker.models import Unit, User
from tracker.services import transaction
from tracker.services.accounts import ensure_unit, hash_password
from tracker.services.audit import log_action
from tracker.services.player import end_user_sessions
from tracker.services.rules import rule_set_for

CSV_COLUMNS = ("username", "password", "display_name", "role", "unit")
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

    def public(self) -> dict[str, Any]:
        """The user as the API shows it."""
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "unit": self.unit,
            "unit_id": self.unit_id,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
        }


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
    text: str | None = None,
    role: str | None = None,
    unit_id: int | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[UserView], int]:
    """One page of users matching the filters, and how many match in all."""
    query = select(User)
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


def get_user(user_id: int) -> UserView:
    """One user; `user_not_found` if there is none."""
    user = db.session.get(User, user_id)
    if user is None:
        fail("user_not_found")
    return _view(user)


def update_user(user_id: int, fields: dict[str, Any], actor: Principal) -> UserView:
    """Change a user; deactivating one ends their sessions and tokens at once."""
    ended: list[str] = []
    password_hash = fields.get("password") and hash_password(fields["password"])
    with transaction():
        user = db.session.get(User, user_id, with_for_update=True)
        if user is None:
            fail("user_not_found")
        if user.id == actor.id and (
            fields.get("active") is False or fields.get("role", "admin") != "admin"
        ):
            fail("cannot_change_self")
        before = _audited(user)
        if "unit_id" in fields:
            user.unit_id = _existing_unit_id(fields["unit_id"])
        for name in ("display_name", "role"):
            if name in fields:
                setattr(user, name, fields[name])
        if password_hash:
            user.password_hash = password_hash
            user.token_version += 1
        if "active" in fields and fields["active"] != user.active:
            user.active = fields["active"]
            user.token_version += 1  # every token and cookie session of the user stops working
            if not user.active:
                ended = end_user_sessions(user.id, reason="disabled")
        after = _audited(user) | ({"password": "changed"} if fields.get("password") else {})
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
    announce_ended(ended, "account_disabled")
    return view


def _audited(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "role": user.role,
        "unit_id": user.unit_id,
        "active": user.active,
    }


def _existing_unit_id(unit_id: int | None) -> int | None:
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        fail("unknown_unit")
    return unit_id


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import did."""

    created: int
    updated: int


def _decode(data: bytes) -> str:
    # Excel in China saves CSV as GB18030 unless told otherwise; UTF-8 may carry a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    fail("bad_csv", details=[{"line": 1, "problem": "encoding"}])


class UserRow(BaseModel):
    """One line of a user CSV; the password may be left empty for existing users."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    username: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[\w.@-]+$")]
    password: Annotated[str, Field(min_length=8, max_length=200)] | None = None
    display_name: Annotated[str, Field(max_length=120)] = ""
    role: Literal["admin", "leader", "learner"] = "learner"
    unit: Annotated[str, Field(max_length=200)] | None = None


def import_users(data: bytes, actor_id: int | None = None) -> ImportResult:
    """Create or update users from CSV; all rows are saved, or none if any row is bad."""
    rows = list(csv.DictReader(io.StringIO(_decode(data))))
    problems: list[dict[str, Any]] = []
    header = set(rows[0].keys()) if rows else set()
    if not rows or not {"username", "role"} <= header:
        fail("bad_csv", details=[{"line": 1, "problem": "header: " + ",".join(CSV_COLUMNS)}])
    if len(rows) > MAX_IMPORT_ROWS:
        fail("bad_csv", details=[{"line": MAX_IMPORT_ROWS + 2, "problem": "too many rows"}])
    parsed: list[tuple[int, UserRow]] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        try:
            item = UserRow.model_validate({k: v for k, v in row.items() if k and v})
        except ValidationError as exc:
            problems += [
                {"line": line, "field": ".".join(map(str, e["loc"])), "problem": e["msg"]}
                for e in exc.errors()
            ]
            continue
        if item.username in seen:
            problems.append({"line": line, "field": "username", "problem": "duplicate"})
        seen.add(item.username)
        parsed.append((line, item))
    existing = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(seen)))
    }
    for line, item in parsed:
        if item.username not in existing and not item.password:
            problems.append({"line": line, "field": "password", "problem": "required"})
    if problems:
        fail("bad_csv", details=problems)
    db.session.rollback()  # hashing takes seconds: not while holding SQLite's write lock
    hashes = {item.username: hash_password(item.password) for _, item in parsed if item.password}
    with transaction():
        for _, item in parsed:
            user = existing.get(item.username)
            if user is None:
                user = User(username=item.username, token_version=0, active=True)
                db.session.add(user)
            if item.password:
                user.password_hash = hashes[item.username]
            user.role = item.role
            user.display_name = item.display_name or user.display_name or ""
            if item.unit:
                user.unit = ensure_unit(item.unit)
        result = ImportResult(created=len(parsed) - len(existing), updated=len(existing))
        log_action(
            actor_id,
            "user.import",
            "user",
            "*",
            created=result.created,
            updated=result.updated,
            usernames=sorted(seen),
        )
    return result


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
    }

"""Accounts: passwords, logging in, creating users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Unit, User
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.rules import rule_sets

T = TypeVar("T")


def off_the_loop(work: Callable[..., T], *args: Any) -> T:
    """Run CPU-bound `work` (Argon2) in gevent's thread pool when serving under gevent.

    Argon2 takes a tenth of a second of CPU; on the gevent loop that would stall every
    socket of the process. The C code releases the GIL, so a pool thread runs it while the
    loop serves others. This yields to other greenlets in the middle of a transaction, which
    is safe only because waiting for SQLite's write lock is cooperative (`tracker.db`).
    """
    from gevent import get_hub, monkey

    if monkey.is_module_patched("threading"):
        return get_hub().threadpool.apply(work, args)
    return work(*args)


def _hasher() -> PasswordHasher:
    return current_app.extensions["tracker.password_hasher"]


def _decoy_hash() -> str:
    # Verified against for unknown usernames, so they cost as much time as known ones.
    cache = current_app.extensions.setdefault("tracker.decoy_hash", [])
    if not cache:
        cache.append(hash_password("not a real password"))
    return cache[0]


def hash_password(password: str) -> str:
    """An Argon2id hash of `password`."""
    return off_the_loop(_hasher().hash, password)


def ensure_unit(name: str, parent: Unit | None = None, rule_set_id: str | None = None) -> Unit:
    """The unit called `name`, created if missing (inside the caller's transaction)."""
    if rule_set_id is not None and rule_set_id not in rule_sets():
        fail("unknown_rule_set")
    unit = db.session.scalar(select(Unit).where(Unit.name == name))
    if unit is None:
        unit = Unit(name=name, parent=parent, rule_set_id=rule_set_id)
        db.session.add(unit)
    elif rule_set_id is not None:
        unit.rule_set_id = rule_set_id
    return unit


def save_user(
    username: str,
    password: str,
    role: str,
    unit: str | None = None,
    display_name: str | None = None,
) -> Principal:
    """Create the user, or update the one with that username (idempotent)."""
    password_hash = hash_password(password)  # before the transaction: it takes a while
    with transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, token_version=0, active=True)
            db.session.add(user)
        elif password and not _matches(user.password_hash, password):
            user.token_version += 1  # a changed password revokes old tokens
        user.password_hash = password_hash
        user.role = role
        user.display_name = display_name if display_name is not None else user.display_name or ""
        if unit is not None:
            user.unit = ensure_unit(unit)
        db.session.flush()
        return Principal.of(user)


def create_user(
    username: str,
    password: str,
    role: str,
    unit: str | None = None,
    display_name: str = "",
    actor_id: int | None = None,
) -> Principal:
    """Create a new user; `username_taken` if the name exists."""
    taken = db.session.scalar(select(User.id).where(User.username == username)) is not None
    db.session.rollback()  # end the read: the hash that follows must not hold SQLite's lock
    if taken:
        fail("username_taken")
    try:
        principal = save_user(username, password, role, unit, display_name)
    except IntegrityError:  # created by a concurrent request after our check
        fail("username_taken")
    with transaction():
        log_action(
            actor_id,
            "user.create",
            "user",
            principal.id,
            new={"username": username, "role": role, "unit": unit},
        )
    return principal


def _matches(password_hash: str, password: str) -> bool:
    try:
        return off_the_loop(_hasher().verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(username: str, password: str) -> Principal:
    """The principal for valid credentials; `invalid_credentials` otherwise."""
    user = db.session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None else _decoy_hash()
    db.session.rollback()  # the hash takes a while: not while holding SQLite's write lock
    if not _matches(stored, password) or user is None:
        fail("invalid_credentials")
    if not user.active:
        fail("account_disabled")
    if _hasher().check_needs_rehash(user.password_hash):
        with transaction():
            user.password_hash = hash_password(password)
    return Principal.of(user)

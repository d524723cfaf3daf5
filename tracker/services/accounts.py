"""Accounts: the username and password rules, passwords, logging in, saving users."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from tracker import clock
from tracker.auth import Principal, sign_in_max_age
from tracker.errors import RetryLater, fail
from tracker.extensions import db
from tracker.live.fanout import end_sign_in, sign_in_room, user_room
from tracker.models import SignIn, Unit, User
from tracker.services import after_commit, transaction
from tracker.services.audit import log_action
from tracker.services.player import end_user_sessions
from tracker.services.rules import rule_sets
from tracker.services.scope import actor_scope
from tracker.validation import details

# A username, once NFKC-normalised and case-folded, may hold only these: ASCII letters, digits,
# `. _ - @` and Chinese characters (CJK Unified Ideographs and Extension A). No other script is
# allowed, so no name can pass for another one with a look-alike letter (Cyrillic а, Greek ο).
USERNAME_ALPHABET = r"^[A-Za-z0-9._@\-\u3400-\u4dbf\u4e00-\u9fff]+$"
_SAFE_KEY = re.compile(USERNAME_ALPHABET)


def username_key(username: str) -> str:
    """What makes a username unique and finds it at login: NFKC, case-folded, NFKC again
    (`ADMIN1` and full-width `ａｄｍｉｎ１` are both `admin1`)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def _nfkc(value: Any) -> Any:
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _safe(username: str) -> str:
    if not _SAFE_KEY.match(username_key(username)):
        raise PydanticCustomError("username", "not a username")
    return username


# The rules every way of creating or changing a user checks (API, pages, CSV import, command
# line). A username is kept as written after NFKC (full-width letters become ASCII ones).
Username = Annotated[
    str,
    BeforeValidator(_nfkc),
    Field(min_length=1, max_length=80, json_schema_extra={"pattern": USERNAME_ALPHABET}),
    AfterValidator(_safe),
]
Password = Annotated[str, Field(min_length=8, max_length=200)]
DisplayName = Annotated[str, Field(max_length=120)]

_USERNAME: TypeAdapter[str] = TypeAdapter(Username)
MAX_LOGIN_NAME = 200  # longer than any username: what a login form may be counted by

T = TypeVar("T")


def off_the_loop(work: Callable[..., T], *args: Any) -> T:
    """Run CPU-bound `work` (Argon2) in gevent's thread pool when serving under gevent.

    Argon2 takes a tenth of a second of CPU; on the gevent loop that would stall every
    socket of the process. The C code releases the GIL, so a pool thread runs it while the
    loop serves others. At most `HASHING_THREADS` hashes run at once (more wait their turn,
    still off the loop), so a storm of logins cannot take every core from the loop's thread;
    `HASHING_NICE` lowers their threads' priority too.
    This yields to other greenlets in the middle of a transaction, which is safe only
    because waiting for SQLite's write lock is cooperative (`tracker.db`).
    """
    from gevent import get_hub, monkey

    if not monkey.is_module_patched("threading"):
        return work(*args)
    with current_app.extensions["tracker.hashing_turns"]:
        nice = int(current_app.config["HASHING_NICE"])
        return get_hub().threadpool.apply(_yielding_cpu, (work, args, nice))


def _yielding_cpu(work: Callable[..., T], args: tuple[Any, ...], nice: int) -> T:
    """`work(*args)` in this (pool) thread, `nice` steps below normal priority (Linux);
    Argon2's own lane threads, started from it, inherit the priority."""
    if nice:
        from gevent.monkey import get_original

        thread = get_original("threading", "get_native_id")()
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed
            os.setpriority(
                os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), nice)
            )
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


@dataclass(frozen=True)
class NewPassword:
    """A password to set, hashed before any transaction: hashing takes a tenth of a second,
    too long to hold SQLite's write lock or a user's row lock."""

    hash: str
    revokes: bool = True  # setting it ends every token and session of the user


def new_password(password: str, current_hash: str | None = None) -> NewPassword | None:
    """`password` hashed, ready for `store_user`; None when it is the `current_hash`'s own
    password (setting it again changes nothing, and ends no token or session)."""
    if current_hash is not None and _matches(current_hash, password):
        return None
    return NewPassword(hash_password(password), revokes=current_hash is not None)


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


def user_named(username: str) -> User | None:
    """The user called `username` (ignoring case and width, see `username_key`), if any."""
    return db.session.scalar(select(User).where(User.username_key == username_key(username)))


def checked_username(username: str) -> str:
    """`username` as the `Username` rule keeps it; `bad_payload` naming the problem if it
    breaks the rule (for callers without a pydantic model of their own: the command line)."""
    try:
        return _USERNAME.validate_python(username)
    except ValidationError as error:
        fail("bad_payload", details=details(error))


def store_user(user: User | None, username: str, **changes: Any) -> User:
    """Create `user` (None) or change it, inside the caller's transaction.

    The one place a user's fields are written. `changes` may set `password` (a
    `NewPassword`), `role`, `display_name`, `language` (preferred; None: the browser's), `unit`
    (a `Unit`, or None for none) and `active`; what they leave out stays as it is. A new
    password or a change of `active` ends every token, cookie session, viewing session and
    player socket of the user (`revoke`).
    """
    unknown = set(changes) - {"password", "role", "display_name", "language", "unit", "active"}
    if unknown:
        raise TypeError(f"not a user field: {sorted(unknown)}")
    password: NewPassword | None = changes.pop("password", None)
    if user is None:
        if password is None:
            raise ValueError("a new user needs a password")
        user = User(
            username=username,
            username_key=username_key(username),
            token_version=0,
            active=True,
            created_at=clock.now(),
        )
        user.display_name = ""
        db.session.add(user)
    else:
        activity = changes.get("active", user.active)
        if activity != user.active or (password is not None and password.revokes):
            revoke(user, "signed_out" if activity else "account_disabled")
    if password is not None:
        user.password_hash = password.hash
    for name, value in changes.items():
        setattr(user, name, value)
    return user


def revoke(user: User, reason: str) -> None:
    """End every sign-in of `user` (in the caller's transaction): tokens and cookie sessions
    stop working, open viewing sessions end, and once committed every player socket of the
    user, in any server process, hears `session_ended` and is disconnected."""
    user.token_version += 1
    db.session.execute(delete(SignIn).where(SignIn.user_id == user.id))
    ended = end_user_sessions(user.id, "disabled" if reason == "account_disabled" else reason)
    room, store = user_room(user.id), current_app.extensions["tracker.live_store"]
    after_commit(lambda: end_sign_in(room, ended, reason, store.take_sockets(room)))


def save_user(
    username: str,
    password: str,
    role: str,
    unit: str | None = None,
    display_name: str | None = None,
) -> Principal:
    """Create the user, or update the one with that username (idempotent): the command line's
    and the demo's way, not an administrative action (nothing is audited). Saving the same
    password again keeps the user's tokens and sessions. `bad_payload` for a username that
    breaks the rule."""
    username = checked_username(username)
    existing = user_named(username)
    current_hash = existing.password_hash if existing is not None else None
    db.session.rollback()  # the hash takes a while: not while holding SQLite's write lock
    secret = new_password(password, current_hash)
    with transaction():
        changes: dict[str, Any] = {"role": role}
        if secret is not None:
            changes["password"] = secret
        if display_name is not None:
            changes["display_name"] = display_name
        if unit is not None:
            changes["unit"] = ensure_unit(unit)
        user = store_user(user_named(username), username, **changes)
        db.session.flush()
        return Principal.of(user)


def create_user(
    username: str,
    password: str,
    role: str,
    unit: str | None = None,
    display_name: str = "",
    actor_id: int | None = None,
    unit_id: int | None = None,
) -> Principal:
    """An admin creates a user, in a unit named `unit` (created if missing) or `unit_id`.

    `username_taken` if the name exists, `unknown_unit` if `unit_id` does not.
    """
    if user_named(username) is not None:
        fail("username_taken")
    db.session.rollback()  # the hash takes a while: not while holding SQLite's write lock
    secret = NewPassword(hash_password(password))
    try:
        with transaction():
            if user_named(username) is not None:
                fail("username_taken")
            scope = actor_scope(actor_id)
            if unit is not None and unit_id is None and not scope.organisation:
                unit_id = db.session.scalar(select(Unit.id).where(Unit.name == unit))
                if unit_id is None:
                    fail("unknown_unit")  # a unit admin does not add units by naming them
            scope.check_place(unit_id)
            if unit_id is not None:
                place = db.session.get(Unit, unit_id)
                if place is None:
                    fail("unknown_unit")
            else:
                place = ensure_unit(unit) if unit is not None else None
            user = store_user(
                None,
                username,
                password=secret,
                role=role,
                display_name=display_name,
                unit=place,
            )
            db.session.flush()
            log_action(
                actor_id,
                "user.create",
                "user",
                user.id,
                new={"username": username, "role": role, "unit": place.name if place else None},
            )
            return Principal.of(user)
    except IntegrityError:  # created by a concurrent request after our check
        fail("username_taken")


def _matches(password_hash: str, password: str) -> bool:
    try:
        return off_the_loop(_hasher().verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(username: str, password: str, address: str | None = None) -> Principal:
    """The principal for valid credentials; `invalid_credentials` otherwise.

    Failed logins are counted per account and per client `address` (`tracker.throttle`);
    beyond either limit the password is not even checked: `too_many_attempts`, with the
    seconds to wait. Successful logins are never counted.
    """
    account = username_key(username[:MAX_LOGIN_NAME])
    throttle = current_app.extensions["tracker.login_throttle"]
    wait_s = throttle.wait_s(account, address)
    if wait_s:
        raise RetryLater("too_many_attempts", wait_s)
    user = user_named(username) if len(username) <= MAX_LOGIN_NAME else None
    stored = user.password_hash if user is not None else _decoy_hash()
    # Everything needed afterwards is read now: the hash takes a while and nothing may hold
    # SQLite's write lock meanwhile, nor take it again after (reloading the user would).
    principal, active = (Principal.of(user), user.active) if user is not None else (None, False)
    db.session.rollback()
    if not _matches(stored, password) or principal is None:
        throttle.failed(account, address)
        fail("invalid_credentials")
    if not active:
        fail("account_disabled")
    if _hasher().check_needs_rehash(stored):
        rehashed = hash_password(password)
        with transaction():
            found = db.session.get(User, principal.id)
            if found is not None and found.password_hash == stored:
                found.password_hash = rehashed
    return principal


def log_in(username: str, password: str, address: str | None = None) -> Principal:
    """A browser login: `authenticate`, then keep the login server-side, so that logging out
    (or any change of the user's password or account) ends its cookies for good."""
    principal = authenticate(username, password, address)
    with transaction():
        return replace(principal, sign_in=keep_sign_in(principal.id))


def keep_sign_in(user_id: int) -> str:
    """Keep a new browser login of the user server-side (in the caller's transaction); its id."""
    now = clock.now()
    # Logins never logged out would pile up: each login clears the user's expired ones.
    db.session.execute(
        delete(SignIn).where(
            SignIn.user_id == user_id, SignIn.created_at <= now - sign_in_max_age()
        )
    )
    sign_in = SignIn(id=secrets.token_hex(16), user_id=user_id, created_at=now)
    db.session.add(sign_in)
    return sign_in.id


def log_out(principal: Principal) -> None:
    """End one browser login: its cookie session and "remember me" cookie stop working, and
    its player sockets hear `session_ended` and are disconnected. The user's other logins
    and bearer tokens are untouched."""
    if principal.sign_in is None:
        return
    with transaction():
        db.session.execute(delete(SignIn).where(SignIn.id == principal.sign_in))
        room, store = sign_in_room(principal.sign_in), current_app.extensions["tracker.live_store"]
        after_commit(lambda: end_sign_in(room, [], "logged_out", store.take_sockets(room)))

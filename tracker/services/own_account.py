"""One's own account: password, display name and preferred language."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from tracker.auth import Principal
from tracker.errors import TrackerError, fail
from tracker.extensions import db
from tracker.models import User
from tracker.services import transaction
from tracker.services.accounts import authenticate, keep_sign_in, new_password, store_user
from tracker.services.audit import log_action


def change_password(principal: Principal, current_password: str, password: str) -> Principal:
    """Set a new password after checking the current one (`wrong_password`, nothing changes).

    Every token and session issued before ends; the caller's browser session may be renewed
    with the principal returned. The current password again is no change.
    """
    try:
        authenticate(principal.username, current_password)
    except TrackerError as error:
        if error.code == "invalid_credentials":
            fail("wrong_password")
        raise
    current = db.session.scalar(select(User.password_hash).where(User.id == principal.id))
    db.session.rollback()  # the hash takes a while: not while holding SQLite's write lock
    secret = new_password(password, current)
    with transaction():
        user = db.session.get(User, principal.id, with_for_update=True)
        if user is None or user.password_hash != current:
            fail("wrong_password")  # changed meanwhile by another request: check again
        sign_in = principal.sign_in
        if secret is not None:
            store_user(user, user.username, password=secret)  # ends every sign-in
            log_action(user.id, "user.password", "user", user.id, new={"password": "changed"})
            if sign_in is not None:
                sign_in = keep_sign_in(user.id)  # the browser that asked stays logged in
        db.session.flush()
        return Principal.of(user, sign_in)


def update_profile(principal: Principal, fields: dict[str, Any]) -> Principal:
    """Change one's display name and preferred language (None: the browser's)."""
    language = fields.get("language")
    if language is not None and language not in current_app.config["LANGUAGES"]:
        fail("bad_payload")
    with transaction():
        user = db.session.get(User, principal.id, with_for_update=True)
        if user is None:
            fail("user_not_found")
        changes = {k: fields[k] for k in ("display_name", "language") if k in fields}
        before = {k: getattr(user, k) for k in changes}
        store_user(user, user.username, **changes)
        changed = sorted(k for k in changes if before[k] != getattr(user, k))
        if changed:
            log_action(
                user.id,
                "user.profile",
                "user",
                user.id,
                old={k: before[k] for k in changed},
                new={k: getattr(user, k) for k in changed},
            )
        db.session.flush()
        return Principal.of(user)

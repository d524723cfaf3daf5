"""Who is calling: cookie sessions for the browser, bearer tokens for the API and sockets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from tracker import clock
from tracker.errors import fail
from tracker.extensions import bearer_token, db, login_manager
from tracker.models import SignIn, User


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, detached from any database session."""

    id: int
    username: str
    role: str
    display_name: str
    token_version: int
    unit_id: int | None = None  # an admin with a unit administers only that unit's subtree
    language: str | None = None  # preferred over the browser's Accept-Language
    sign_in: str | None = None  # the browser login (`SignIn`) of a cookie session, if one

    is_authenticated = True
    is_active = True
    is_anonymous = False

    @classmethod
    def of(cls, user: User, sign_in: str | None = None) -> Principal:
        """The principal for `user` (signed in by the browser login `sign_in`, if given)."""
        return cls(
            user.id,
            user.username,
            user.role,
            user.display_name,
            user.token_version,
            user.unit_id,
            user.language,
            sign_in,
        )

    def get_id(self) -> str:
        """Flask-Login's session and "remember me" key: changing the token version logs every
        session out, ending the sign-in (logout) logs out this one."""
        return f"{self.id}:{self.token_version}:{self.sign_in}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tracker-api-token")


def issue_token(principal: Principal) -> str:
    """A signed bearer token for `principal`."""
    return _serializer().dumps({"uid": principal.id, "v": principal.token_version})


def _load(user_id: int, version: int, sign_in: str | None = None) -> Principal | None:
    query = select(User).where(User.id == user_id)
    if sign_in is not None:
        oldest = clock.now() - sign_in_max_age()
        query = query.join(SignIn, SignIn.user_id == User.id).where(
            SignIn.id == sign_in, SignIn.created_at > oldest
        )
    user = db.session.scalar(query)
    if user is None or not user.active or user.token_version != version:
        return None
    return Principal.of(user, sign_in)


def sign_in_max_age() -> timedelta:
    """How long a browser login lasts at most: as long as its "remember me" cookie."""
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def principal_from_token(token: str | None) -> Principal | None:
    """The principal a bearer token names, if it is valid, unexpired and not revoked."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE_S"])
        return _load(int(data["uid"]), int(data["v"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


@login_manager.user_loader
def _load_from_session(session_key: str) -> Principal | None:
    # Keys without a sign-in (cookies from before logins were kept) are not honoured.
    user_id, version, sign_in = [*session_key.split(":"), "", "", ""][:3]
    numbers = all(part.isdecimal() and len(part) <= 18 for part in (user_id, version))
    if not (numbers and sign_in) or len(sign_in) > 32:
        return None
    return _load(int(user_id), int(version), sign_in)


@login_manager.request_loader
def _load_from_header(req: Any) -> Principal | None:
    return principal_from_token(bearer_token(req))


def current_principal() -> Principal | None:
    """The caller of the current request or socket event, if authenticated."""
    user = current_user._get_current_object() if current_user else None
    return user if isinstance(user, Principal) else None


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Reject unauthenticated callers (401) and, if `roles` given, other roles (403)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                fail("unauthorized")
            if roles and principal.role not in roles:
                fail("forbidden")
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator


def wants_json() -> bool:
    """Whether the caller is an API client rather than a browser page."""
    return request.path.startswith("/api/")

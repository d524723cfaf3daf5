"""Who is calling: cookie sessions for the browser, bearer tokens for the API and sockets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from tracker.errors import fail
from tracker.extensions import db, login_manager
from tracker.models import User


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

    is_authenticated = True
    is_active = True
    is_anonymous = False

    @classmethod
    def of(cls, user: User) -> Principal:
        """The principal for `user`."""
        return cls(
            user.id,
            user.username,
            user.role,
            user.display_name,
            user.token_version,
            user.unit_id,
            user.language,
        )

    def get_id(self) -> str:
        """Flask-Login's session key: changing the token version logs every session out."""
        return f"{self.id}:{self.token_version}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tracker-api-token")


def issue_token(principal: Principal) -> str:
    """A signed bearer token for `principal`."""
    return _serializer().dumps({"uid": principal.id, "v": principal.token_version})


def _load(user_id: int, version: int) -> Principal | None:
    user = db.session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active or user.token_version != version:
        return None
    return Principal.of(user)


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
    try:
        user_id, version = (int(part) for part in session_key.split(":"))
    except ValueError:
        return None
    return _load(user_id, version)


@login_manager.request_loader
def _load_from_header(req: Any) -> Principal | None:
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    return principal_from_token(token.strip()) if scheme.lower() == "bearer" else None


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

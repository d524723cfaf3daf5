"""Who may see a page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import url_for
from flask_login import login_required

from tracker.auth import current_principal
from tracker.errors import fail
from tracker.services.scope import admin_scope


def admin_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Log in first; then only admins may see the page."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_principal().role != "admin":
            fail("forbidden")
        return view(*args, **kwargs)

    wrapper.admin_page = True  # type: ignore[attr-defined]  (tests walk every admin page)
    return wrapper


def organisation_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """An admin page of the organisation's own (the catalogue, exams): not for unit admins."""

    @wraps(view)
    @admin_page
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        admin_scope(current_principal()).require_organisation()
        return view(*args, **kwargs)

    return wrapper


def home_page(role: str) -> str:
    """Where a person lands after logging in: the console for admins, else the catalogue."""
    return url_for("web.admin_console") if role == "admin" else url_for("web.index")

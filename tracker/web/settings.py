"""One's own account: display name, language and password."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user

from tracker.api.schemas import PasswordChange, ProfilePatch
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.services import own_account, users
from tracker.web import bp
from tracker.web.forms import Problems, error_problems, validated


def _settings_page(problems: Problems | None = None, status: int = 200) -> Any:
    return render_template(
        "settings.html", me=users.me(current_principal().id), problems=problems or Problems()
    ), status


@bp.get("/settings")
@login_required
def settings_page() -> Any:
    return _settings_page()


@bp.post("/settings")
@login_required
def settings_save() -> Any:
    values = {
        "display_name": request.form.get("display_name", ""),
        "language": request.form.get("language") or None,
    }
    body, problems = validated(ProfilePatch, values, "profile")
    if body is None:
        return _settings_page(problems, status=400)
    principal = own_account.update_profile(current_principal(), body.model_dump())
    if principal.language:
        session["lang"] = principal.language
    else:
        session.pop("lang", None)  # follow the browser again
    flash(_("Your settings were saved."), "ok")
    return redirect(url_for("web.settings_page"))


@bp.post("/settings/password")
@login_required
def settings_password() -> Any:
    values = {
        "current_password": request.form.get("current_password", ""),
        "new_password": request.form.get("new_password", ""),
    }
    body, problems = validated(PasswordChange, values, "password")
    if request.form.get("repeat_password", "") != values["new_password"]:
        problems.add(_("The two new passwords are not the same."), "repeat_password")
    if body is None or problems:
        return _settings_page(problems, status=400)
    try:
        principal = own_account.change_password(
            current_principal(), body.current_password, body.new_password
        )
    except TrackerError as error:
        return _settings_page(error_problems(error, "password"), status=error.status)
    login_user(principal)  # this browser stays logged in; every other session has ended
    flash(_("Your password was changed. You were logged out everywhere else."), "ok")
    return redirect(url_for("web.settings_page"))

"""Log in and out, language choice, the start page."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_required, login_user, logout_user

from tracker.auth import current_principal
from tracker.errors import RetryLater, TrackerError
from tracker.exports.document import archive_document
from tracker.security import same_site_path
from tracker.services import courseware as catalogue
from tracker.services.accounts import log_in, log_out
from tracker.services.archive import build_archive
from tracker.web import bp
from tracker.web.access import home_page
from tracker.web.forms import LoginForm, Problems, error_problems, validated


@bp.get("/login")
def login() -> Any:
    return render_template("login.html", problems=Problems())


@bp.post("/login")
def login_submit() -> Any:
    form, problems = validated(LoginForm, request.form.to_dict())
    if form is None:
        return render_template("login.html", problems=problems), 400
    try:
        principal = log_in(form.username, form.password, request.remote_addr)
    except TrackerError as error:
        headers = error.headers() if isinstance(error, RetryLater) else {}
        return render_template("login.html", problems=error_problems(error)), error.status, headers
    login_user(principal, remember=bool(request.form.get("remember")))
    return redirect(same_site_path(request.args.get("next")) or home_page(principal.role))


@bp.post("/logout")
def logout() -> Any:
    principal = current_principal()
    if principal is not None:
        log_out(principal)
    logout_user()
    return redirect(url_for("web.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.referrer or url_for("web.index")
    return redirect(target if target.startswith(request.host_url) else url_for("web.index"))


@bp.get("/")
@login_required
def index() -> Any:
    principal = current_principal()
    kind = request.args.get("kind")
    subject = request.args.get("subject")
    where = catalogue.CatalogueFilter(
        text=(request.args.get("q") or "").strip()[:100] or None,
        kind=kind if kind in ("video", "document") else None,
        subject=subject if subject in ("public", "professional") else None,
        unfinished=request.args.get("unfinished") == "1",
    )
    year = archive_document(build_archive(principal, None, None, None))
    return render_template(
        "index.html",
        year=year,
        online_cap=next((c for c in year["years"][0]["caps"] if "online" in c["kinds"]), None),
        items=catalogue.list_courseware(principal.id, where=where),
        recent=catalogue.recent_learning(principal.id),
        filters=where,
    )

"""Browser pages: log in, the catalogue, and the player page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from tracker.auth import current_principal
from tracker.config import PROJECT_ROOT
from tracker.errors import TrackerError
from tracker.services import courseware as catalogue
from tracker.services.accounts import authenticate

bp = Blueprint("web", __name__)


@bp.get("/login")
def login() -> Any:
    return render_template("login.html")


@bp.post("/login")
def login_submit() -> Any:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        principal = authenticate(username, password)
    except TrackerError as error:
        flash(str(error.message), "error")
        return render_template("login.html", username=username), 401
    login_user(principal, remember=bool(request.form.get("remember")))
    target = request.args.get("next", "")
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.index")
    return redirect(target)


@bp.post("/logout")
def logout() -> Any:
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
    items = catalogue.list_courseware(principal.id)
    return render_template("index.html", items=items)


@bp.get("/play/<int:courseware_id>")
@login_required
def play(courseware_id: int) -> Any:
    principal = current_principal()
    item = catalogue.get_courseware(
        courseware_id, principal.id, include_unpublished=principal.role == "admin"
    )
    return render_template("play.html", item=item)


@bp.get("/media/<path:name>")
@login_required
def media(name: str) -> Any:
    return send_from_directory(current_app.config["MEDIA_DIR"], name, conditional=True)


@bp.get("/vendor/<path:name>")
def vendor(name: str) -> Any:
    """Front-end packages installed from npm at set-up time (never committed)."""
    allowed = {"socket.io.min.js": "socket.io-client/dist/socket.io.min.js"}
    if name not in allowed:
        abort(404)
    path = PROJECT_ROOT / "node_modules" / allowed[name]
    if not path.exists():
        abort(404, _("Front-end packages are missing: run the set-up command."))
    return send_from_directory(Path(path).parent, Path(path).name, max_age=3600)

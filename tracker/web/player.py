"""The player page, its media and the front-end packages it loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, render_template, send_from_directory
from flask_babel import gettext as _
from flask_login import login_required

from tracker.auth import current_principal
from tracker.config import PROJECT_ROOT
from tracker.services import courseware as catalogue
from tracker.web import bp


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

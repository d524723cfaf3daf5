"""The player page, its media and the front-end packages it loads."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from flask import abort, current_app, render_template, send_from_directory
from flask_babel import gettext as _
from flask_login import login_required

from tracker.auth import current_principal
from tracker.config import PROJECT_ROOT
from tracker.services import courseware as catalogue
from tracker.services.uploads import is_upload
from tracker.web import bp

NODE_MODULES = PROJECT_ROOT / "node_modules"
# Files of npm packages the player loads, by the name it asks for (never committed).
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "plyr.min.js": "plyr/dist/plyr.min.js",
    "plyr.css": "plyr/dist/plyr.css",
    "plyr.svg": "plyr/dist/plyr.svg",
    # PDF.js's legacy build also runs in the older Chromium-based browsers common at work.
    "pdf.min.mjs": "pdfjs-dist/legacy/build/pdf.min.mjs",
    "pdf.worker.min.mjs": "pdfjs-dist/legacy/build/pdf.worker.min.mjs",
}
# Folders PDF.js reads data from: CJK character maps, standard fonts, image decoders.
VENDOR_FOLDERS = {
    "pdfjs/cmaps/": "pdfjs-dist/cmaps",
    "pdfjs/standard_fonts/": "pdfjs-dist/standard_fonts",
    "pdfjs/wasm/": "pdfjs-dist/wasm",
    "pdfjs/iccs/": "pdfjs-dist/iccs",
}
MIME_TYPES = {".mjs": "text/javascript", ".wasm": "application/wasm"}


@bp.get("/play/<int:courseware_id>")
@login_required
def play(courseware_id: int) -> Any:
    """The player page of one courseware item."""
    principal = current_principal()
    item = catalogue.get_courseware(
        courseware_id, principal.id, include_unpublished=principal.role == "admin"
    )
    idle_minutes = float(current_app.config.get("IDLE_MINUTES", 5))
    return render_template("play.html", item=item, idle_minutes=idle_minutes)


@bp.get("/media/<path:name>")
@login_required
def media(name: str) -> Any:
    """Courseware media from the instance's media folder (ranges allowed, for seeking)."""
    if is_upload(name):
        # Evidence and training materials are served only through their own permission checks.
        abort(404)
    return send_from_directory(current_app.config["MEDIA_DIR"], name, conditional=True)


@bp.get("/vendor/<path:name>")
def vendor(name: str) -> Any:
    """Front-end packages installed from npm at set-up time (never committed)."""
    if name in VENDOR_FILES:
        path = NODE_MODULES / VENDOR_FILES[name]
        folder, file = path.parent, path.name
    else:
        prefix = next((p for p in VENDOR_FOLDERS if name.startswith(p) and name != p), None)
        if prefix is None:
            abort(404)
        folder, file = NODE_MODULES / VENDOR_FOLDERS[prefix], name[len(prefix) :]
    if not folder.is_dir():
        abort(404, _("Front-end packages are missing: run the set-up command."))
    # send_from_directory refuses names that would leave the folder.
    mimetype = MIME_TYPES.get(PurePosixPath(file).suffix)
    return send_from_directory(folder, file, max_age=3600, mimetype=mimetype)

"""Browser pages (server-rendered, translated)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

from tracker.web import admin, archive, learning, pages, player  # noqa: E402, F401

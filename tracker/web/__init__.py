"""Browser pages (server-rendered, translated)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

from tracker.web import admin, archive, pages, player, records, trainings  # noqa: E402, F401

"""The JSON API under `/api/v1`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from tracker.api import auth, console, courseware, openapi, units, users  # noqa: E402, F401

"""The JSON API under `/api/v1`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from tracker.api import (  # noqa: E402, F401  (routes register)
    archive,
    auth,
    certificates,
    console,
    courseware,
    evaluations,
    exams,
    notices,
    openapi,
    records,
    trainings,
    units,
    users,
)

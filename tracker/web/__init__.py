"""Browser pages (server-rendered, translated)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

from tracker.web import (  # noqa: E402, F401  (routes register)
    admin,
    archive,
    certificates,
    evaluations,
    exams,
    exams_admin,
    fields,
    flags,
    notices,
    pages,
    player,
    records,
    settings,
    trainings,
)

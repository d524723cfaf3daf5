"""`GET /openapi.json`: the API description, generated from the routes."""

from __future__ import annotations

from typing import Any

from flask import current_app

from tracker.api import bp
from tracker.api.spec import build_openapi, endpoint


@bp.get("/openapi.json")
@endpoint("This OpenAPI document", public=True)
def openapi() -> dict[str, Any]:
    return build_openapi(current_app)

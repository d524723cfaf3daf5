"""Cross-site request forgery defence: state-changing requests must come from our own pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from tracker.errors import fail

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _allowed_origins(app: Flask) -> set[str]:
    configured = app.config["CORS_ORIGINS"]
    if configured == "*":
        return {"*"}
    return set(configured or [])


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def install_origin_check(app: Flask) -> None:
    """Refuse POST/PATCH/… whose Origin (or Referer) is another site.

    Cookies are SameSite=Lax already; this also covers older browsers. Requests that carry
    neither header (API clients with bearer tokens, curl) are not from a browser page and
    pass; the socket handshake is checked by Flask-SocketIO's own origin check.
    """
    allowed = _allowed_origins(app)

    @app.before_request
    def _same_origin_only() -> None:
        if request.method in SAFE_METHODS or "*" in allowed:
            return
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if not source:
            return
        origin = _origin_of(source) if source != "null" else "null"
        if origin != _origin_of(request.host_url) and origin not in allowed:
            fail("forbidden")

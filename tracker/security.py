"""Browser-facing defences: writes only from our own pages, redirects only within the site,
and the security headers of every answer."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from tracker.errors import fail

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: where a redirect may send a browser.

    An open redirect would let a phishing link borrow our login page. Browsers drop tabs and
    newlines inside URLs and read a backslash as a slash (`/<tab>/evil.example` leads to
    `//evil.example`): any space, control character or backslash disqualifies the target.
    """
    if not target or any(c.isspace() or c == "\\" or not c.isprintable() for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


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

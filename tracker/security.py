"""Browser-facing defences: writes only from our own pages, redirects only within the site,
and the security headers of every answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

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


def install_security_headers(app: Flask) -> None:
    """Every answer says: only this site's scripts and styles (`CONTENT_SECURITY_POLICY`), no
    framing by other sites, no guessing of content types, no full referrer to other sites."""
    headers = {
        "Content-Security-Policy": app.config["CONTENT_SECURITY_POLICY"],
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": app.config["REFERRER_POLICY"],
    }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in headers.items():
            if value:
                response.headers.setdefault(name, value)
        return response


def large_body(limit: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let a view that receives files take bodies up to the config value `limit` (bytes).

    Every other route takes at most `MAX_CONTENT_LENGTH`; a small allowance on top of the
    file's own limit leaves room for the form's other fields and the multipart framing.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view

    return decorator


def install_body_limits(app: Flask) -> None:
    """Refuse (`413`) a body larger than its route takes, before anything reads it."""

    @app.before_request
    def _bounded_body() -> None:
        view = app.view_functions.get(request.endpoint or "")
        limit = getattr(view, "body_limit", None)
        if limit is not None:
            request.max_content_length = int(app.config[limit]) + int(
                app.config["MAX_CONTENT_LENGTH"]
            )
        # Werkzeug enforces the limit on whatever reads the body (also a body sent without a
        # Content-Length); a declared length beyond it is refused at once.
        most = request.max_content_length
        if most is not None and (request.content_length or 0) > most:
            raise RequestEntityTooLarge()


def install_text_check(app: Flask) -> None:
    """Refuse (`400 bad_payload`) text with NUL characters in a query string, form or JSON
    body: no one types them, and PostgreSQL cannot store them (a 500 otherwise)."""

    @app.before_request
    def _no_nul() -> None:
        texts: list[Any] = [*request.args.lists(), *request.form.lists()]
        if request.is_json:
            texts.append(request.get_json(silent=True))  # cached for the view
        if _holds_nul(texts):
            fail("bad_payload", _("Text must not contain NUL characters."))


def _holds_nul(data: Any) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested deeper than `JSON_MAX_DEPTH` as not JSON (a 400
    through `get_json`), never a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error
        if _depth(data) > int(self._app.config["JSON_MAX_DEPTH"]):
            raise ValueError("JSON nested too deeply")
        return data


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in `data` (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in value)
    return deepest

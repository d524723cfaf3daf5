"""The browser's cookie session, read once per socket instead of once per event."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

_KEY = "tracker.cookie_session"


class SocketAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a socket's events reuse the session of its handshake.

    Flask-SocketIO pushes a request context per event on the handshake's environ, and Flask
    opens the session for each: parsing the cookie header and checking its signature again,
    a sixth of a heartbeat's CPU. Flask-SocketIO only reads that session at `connect`
    (events get its own managed copy), so the first one opened is kept in the environ.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        environ: dict[str, Any] = request.environ
        if "saved_session" in environ:  # an event on a socket whose `connect` opened it
            return environ[_KEY]
        session = environ[_KEY] = super().open_session(app, request)
        return session

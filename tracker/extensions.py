"""Flask extensions, created without an app and bound in `create_app`."""

from __future__ import annotations

from typing import Any

import flask_login
from flask import Request, request
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy

from tracker.models import Base


def bearer_token(req: Request) -> str | None:
    """The token of the request's `Authorization: Bearer` header ("" if blank), else None."""
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class LoginManager(flask_login.LoginManager):
    """Flask-Login's, except that a bearer token, when sent, alone decides who calls."""

    # An API client sharing a browser's cookie jar must not act as the browser's user, and a
    # bad token must not be made good by a cookie beside it.
    def _load_user(self) -> Any:
        if bearer_token(request) is None:
            return super()._load_user()
        return self._update_request_context_with_user(self._load_user_from_request(request))


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
babel = Babel()
login_manager = LoginManager()
# Flashed when a page needs a login; made a string in the language of that request.
login_manager.login_message = _l("Please log in to see this page.")
login_manager.localize_callback = str

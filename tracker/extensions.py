"""Flask extensions, created without an app and bound in `create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy

from tracker.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
babel = Babel()
login_manager = LoginManager()
# Flashed when a page needs a login; made a string in the language of that request.
login_manager.login_message = _l("Please log in to see this page.")
login_manager.localize_callback = str

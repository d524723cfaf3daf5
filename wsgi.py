"""Entry point: `python wsgi.py` serves HTTP and websockets; gunicorn and `flask` import `app`."""

import os

if __name__ == "__main__" and os.environ.get("TRACKER_ASYNC_MODE", "gevent") == "gevent":
    # Must run before anything imports socket, ssl or threading (gunicorn's gevent worker
    # does this itself).
    from gevent import monkey

    monkey.patch_all()

from tracker import create_app
from tracker.extensions import socketio

app = create_app()

if __name__ == "__main__":
    host, port = app.config["HOST"], int(app.config["PORT"])
    print(f"tracker is serving on http://{host}:{port}/  (log in at http://{host}:{port}/login)")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)

"""Entry point: `python wsgi.py` serves HTTP and websockets; gunicorn and `flask` import `app`."""

import gc
import os

if __name__ == "__main__" and os.environ.get("TRACKER_ASYNC_MODE", "gevent") == "gevent":
    # Must run before anything imports socket, ssl or threading (gunicorn's gevent worker
    # does this itself).
    from gevent import monkey

    monkey.patch_all()

from tracker import create_app
from tracker.extensions import socketio

app = create_app()

# A server process holds thousands of sockets, each with its greenlet, buffers and dicts:
# with the default thresholds the collector walked that whole heap again and again while
# players connected (two fifths of the process's CPU at a few thousand, docs/benchmarks.md).
# What exists after start-up lives as long as the process; younger garbage is collected
# less often. Reference counting still frees everything that is not in a cycle at once.
gc.freeze()
gc.set_threshold(100_000, 50, 100)

if __name__ == "__main__":
    host, port = app.config["HOST"], int(app.config["PORT"])
    print(f"tracker is serving on http://{host}:{port}/  (log in at http://{host}:{port}/login)")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)

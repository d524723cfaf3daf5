"""The baseline of bench/heartbeats.py: bare Flask-SocketIO on gevent, acking `/player` events.

Same transport, same namespace, same event names and ack shapes as tracker, and no work:
no identity, no database, no Redis. What one process of this stack can do at best on this
machine, measured in the same run as tracker so that the ratio means something.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
from typing import Any  # noqa: E402
from uuid import uuid4  # noqa: E402

from flask import Flask  # noqa: E402
from flask_socketio import Namespace, SocketIO  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", logger=False, engineio_logger=False)
INTERVAL_S = float(os.environ.get("TRACKER_HEARTBEAT_INTERVAL_S", "15"))
VIEW = {
    "item": {"courseware_id": 1, "credited_s": 0.0, "cap_s": 360000.0},
    "year": {"year": 2026, "online_effective_s": 0.0, "online_raw_s": 0.0, "online_cap_s": None},
}


class BareNamespace(Namespace):
    """Acks `open`, `heartbeat` and `close` at once."""

    def on_connect(self, auth: Any = None) -> None:
        return None

    def on_open(self, data: Any) -> dict[str, Any]:
        return {
            "ok": True,
            "session_id": uuid4().hex,
            "heartbeat_interval_s": INTERVAL_S,
            "status": "not_recording",
            **VIEW,
        }

    def on_heartbeat(self, data: Any) -> dict[str, Any]:
        return {
            "ok": True,
            "session_id": data.get("session_id"),
            "status": "recording",
            "accepted": True,
            "delta_s": 0.0,
            "raw_delta_s": 0.0,
            "heartbeat_interval_s": INTERVAL_S,
            **VIEW,
        }

    on_close = on_heartbeat


@app.get("/api/v1/openapi.json")
def ready() -> dict[str, str]:
    """Answers the harness's readiness probe."""
    return {"openapi": "bare"}


socketio.on_namespace(BareNamespace("/player"))

if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(os.environ["TRACKER_PORT"]))

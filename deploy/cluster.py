"""Start N tracker processes behind nginx on this machine, sharing PostgreSQL and Redis.

`scripts/cluster --processes 2` (or `python -m deploy.cluster`). The servers read the usual
`TRACKER_*` settings from the environment (TRACKER_DATABASE_URL must name PostgreSQL and
TRACKER_REDIS_URL a Redis; TRACKER_SECRET_KEY is shared, made up if unset); each gets its
own loopback port and nginx listens on --port. Ctrl-C stops them all.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import sys
import tempfile
import threading
from pathlib import Path

from deploy.local import Processes


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k.startswith("TRACKER_")}
    if not env.get("TRACKER_DATABASE_URL", "").startswith("postgresql"):
        parser.error("set TRACKER_DATABASE_URL to a PostgreSQL URL: the processes share it")
    if not env.get("TRACKER_REDIS_URL"):
        parser.error("set TRACKER_REDIS_URL: sockets and presence are shared through Redis")
    env.setdefault("TRACKER_SECRET_KEY", secrets.token_urlsafe(32))
    # Behind nginx: the client's address (for the login throttle) is in X-Forwarded-For.
    env.setdefault("TRACKER_TRUSTED_PROXIES", "1")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="tracker-cluster-") as run, Processes() as processes:
        # The first process migrates the schema alone; the others start once it is ready.
        servers = [processes.server("server-1", env)]
        servers += [processes.server(f"server-{n}", env) for n in range(2, args.processes + 1)]
        proxy = processes.nginx("nginx", [s.port for s in servers], Path(run), port=args.port)
        print(f"tracker: {len(servers)} processes behind {proxy.url}/login", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Heartbeat benchmark: simulated viewers over real websockets against real server processes.

Starts `python wsgi.py` (and with `--baseline` first a bare Flask-SocketIO server that acks
the same events doing no work, `bench/bare_server.py`) on a fresh database, connects the
viewers, lets them beat on a schedule (open loop, like the browser player) or ack after ack
(`--closed-loop`), and prints acks/s, ack latency, credit, lapses and CPU, with the machine's
load beside them and, with `--baseline`, the ratio tracker/bare. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import secrets
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # deploy.local and tracker, when run as a script

from bulk import PASSWORD, provision  # noqa: E402
from machine import CORES, cpu_during, load_average  # noqa: E402
from pg_schema import private_schema  # noqa: E402
from viewers import Plan, Tally, Window, run_all  # noqa: E402

from deploy.local import Processes, ServerProcess  # noqa: E402

READY_TIMEOUT_S = 300  # a loaded machine migrates a fresh schema slowly


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--viewers", type=int, default=50, help="simulated viewers (default 50)")
    add("--duration", type=float, default=20, help="measured seconds (default 20)")
    add("--period", type=float, help="s between beats (default: the heartbeat interval)")
    add("--warmup", type=float, default=3, help="unmeasured seconds (default 3)")
    add("--ramp", type=float, default=0, help="viewers arrive over this many s (default 0)")
    add("--heartbeat-interval", type=float, default=5, help="server's (default 5)")
    add("--closed-loop", action="store_true", help="each viewer beats as soon as it is acked")
    add("--baseline", action="store_true", help="also measure the bare server, first")
    add("--logins", type=int, default=0, help="concurrent login loops while viewers beat")
    add(
        "--login-storm",
        type=int,
        default=0,
        metavar="N",
        help="measure tracker twice, without and with N login loops, and compare",
    )
    add(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of tracker, e.g. HASHING_THREADS=4 (TRACKER_ is added)",
    )
    add("--profile", type=Path, help="py-spy samples of tracker over the window, collapsed")
    add("--database-url", help="SQLAlchemy URL; default: fresh SQLite file")
    add("--redis-url", help="Redis URL; default: in-process live store")
    add("--ack-timeout", type=float, default=10, help="s to wait for one ack")
    add("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    args.period = args.period or args.heartbeat_interval
    if args.viewers < 1 or args.duration <= 0 or args.period <= 0 or args.warmup < 0:
        parser.error("--viewers, --duration and --period must be positive, --warmup >= 0")
    if args.login_storm and (args.logins or args.baseline):
        parser.error("--login-storm runs tracker twice itself: no --logins, no --baseline")
    if args.period > args.heartbeat_interval:
        parser.error("--period must not exceed --heartbeat-interval (sessions would lapse)")
    return args


@contextlib.contextmanager
def database_url(given: str | None, workdir: Path) -> Iterator[str]:
    """The URL the server uses: a fresh SQLite file, or a private schema of a PostgreSQL db."""
    if given is None:
        yield f"sqlite:///{workdir / 'bench.db'}"
    elif given.startswith("postgresql"):
        with private_schema(given, "heartbeats") as url:
            yield url
    else:
        yield given


@contextlib.contextmanager
def redis_prefix(url: str | None) -> Iterator[str]:
    """A private key prefix; its keys are deleted afterwards."""
    prefix = f"heartbeats-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        if url:
            import redis

            client = redis.Redis.from_url(url)
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
            client.close()


class BareServer(ServerProcess):
    """bench/bare_server.py on its own port: the baseline."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        super().__init__(name, env)
        self.argv = [sys.executable, str(ROOT / "bench" / "bare_server.py")]


def server_env(args: argparse.Namespace, db_url: str, prefix: str, workdir: Path) -> dict[str, str]:
    """`TRACKER_*` settings of the server under test."""
    env = {
        "TRACKER_DATABASE_URL": db_url,
        "TRACKER_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKER_HEARTBEAT_INTERVAL_S": str(args.heartbeat_interval),
        "TRACKER_REDIS_PREFIX": prefix,
        "TRACKER_MEDIA_DIR": str(workdir / "media"),
        "TRACKER_HOST": "127.0.0.1",
        # One simulated user per socket, but the closed loop sends faster than a person's.
        "TRACKER_SOCKET_EVENTS_PER_S": "1000",
        "TRACKER_USER_EVENTS_PER_S": "1000",
    }
    if args.redis_url:
        env["TRACKER_REDIS_URL"] = args.redis_url
    for setting in args.set:
        name, _, value = setting.partition("=")
        env[f"TRACKER_{name.upper()}"] = value
    return env


async def login_loop(url: str, window: Window, tally: Tally) -> None:
    """Log in again and again (Argon2 at production cost on the server) until the window ends."""
    body = {"username": "bench-00000", "password": PASSWORD}
    async with aiohttp.ClientSession(url) as http:
        while time.perf_counter() < window.end:
            started = time.perf_counter()
            async with http.post("/api/v1/auth/token", json=body) as reply:
                await reply.read()
            if reply.status == 200 and window.holds(started):
                tally.logins += 1
                tally.login_latencies_ms.append((time.perf_counter() - started) * 1000)


async def sample(pid: int, window: Window, out: Path) -> None:
    """`py-spy record` of process `pid` over the window, as collapsed stacks (bench/flame.py)."""
    await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
    spy = await asyncio.create_subprocess_exec(
        *(
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--rate",
            "200",
            "--format",
            "raw",
        ),
        *("--duration", str(max(1, round(window.end - window.start))), "--output", str(out)),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await spy.wait()


async def drive(
    args: argparse.Namespace,
    url: str,
    tokens: list[str],
    courseware_id: int,
    pid: int,
    profile: Path | None = None,
) -> tuple[Tally, dict[str, float], int]:
    """Connect, open and play every viewer; measure once all are open; tally, CPU, viewers."""
    tally, window = Tally(), Window()
    plan = Plan(args.period, args.closed_loop, args.ack_timeout, window, tally, courseware_id)
    playing = asyncio.create_task(run_all(url, tokens, plan, args.warmup, args.duration, args.ramp))
    started, reported = time.perf_counter(), time.perf_counter()
    while window.start == float("inf") and not playing.done():
        await asyncio.sleep(0.1)
        if time.perf_counter() - reported >= 10:
            reported = time.perf_counter()
            log(
                f"{reported - started:.0f} s: {tally.tried} of {len(tokens)} viewers in, "
                f"{tally.busy_opens} opens refused busy so far"
            )
    log(f"all viewers have tried to open; measuring from {args.warmup:g} s on")
    logins = [login_loop(url, window, tally) for _ in range(args.logins)]
    spy = [sample(pid, window, profile)] if profile else []
    cpu, *_ = await asyncio.gather(cpu_during(window.start, window.end, [pid]), *logins, *spy)
    viewers = await playing
    if not viewers:
        raise RuntimeError(f"no viewer could open: {dict(tally.errors)}")
    return tally, cpu, viewers


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(pct / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(
    args: argparse.Namespace, server: str, tally: Tally, cpu: dict[str, float], viewers: int
) -> dict[str, Any]:
    """The figures to report for one server."""
    latencies, span = sorted(tally.latencies_ms), args.duration
    acks = tally.acks_in_window
    return {
        "server": server,
        "database": "sqlite" if args.database_url is None else args.database_url.split(":", 1)[0],
        "redis": bool(args.redis_url),
        "loop": "closed" if args.closed_loop else "open",
        "viewers": viewers,
        "period_s": args.period,
        "offered_per_s": None if args.closed_loop else round(viewers / args.period, 1),
        "sent_per_s": round(tally.sent / span, 1),
        "acks_per_s": round(acks / span, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p90_ms": round(percentile(latencies, 90), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1] if latencies else 0.0, 1),
        # How late the client itself sent (a starved client's lateness is the player's silence).
        "send_lag_p99_ms": round(percentile(sorted(tally.send_lag_ms), 99), 1),
        "errors": dict(tally.errors),
        "lapses": tally.lapses,
        "busy_opens": tally.busy_opens,
        "stretched_acks": tally.stretched,
        "not_accepted": tally.not_accepted,
        # Each viewer plays all the time: at most 1 s of credit per viewer per second.
        "credited_per_viewer_s_per_s": round(tally.credited_s / span / viewers, 3),
        "logins_per_s": round(tally.logins / span, 1),
        "login_p99_ms": round(percentile(sorted(tally.login_latencies_ms), 99), 1),
        "server_cpu_ms_per_ack": round(cpu["server_cpu_pct"] / 100 * span * 1000 / acks, 3)
        if acks
        else None,
        **{k: round(v, 1) for k, v in cpu.items()},
    }


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the result."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure(args: argparse.Namespace, bare: bool, label: str = "") -> dict[str, Any]:
    """Start one server (tracker or bare) on fresh data, drive the viewers, stop it."""
    with (
        tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp,
        database_url(None if bare else args.database_url, Path(tmp)) as db_url,
        redis_prefix(None if bare else args.redis_url) as prefix,
        Processes() as processes,
    ):
        env = server_env(args, db_url, prefix, Path(tmp))
        server = BareServer("bare", env) if bare else ServerProcess("tracker", env)
        processes.all.append(server)
        server.start()
        server.wait_ready(READY_TIMEOUT_S)
        started = time.monotonic()
        if bare:
            courseware_id, tokens = 1, ["-"] * args.viewers
        else:
            courseware_id, tokens = provision(env, args.viewers, Path(tmp))
        took = time.monotonic() - started
        log(f"{server.name}: {len(tokens)} viewers provisioned in {took:.1f} s")
        assert server.process is not None
        profile = None if bare else args.profile
        tally, cpu, viewers = asyncio.run(
            drive(args, server.url, tokens, courseware_id, server.process.pid, profile)
        )
        return summarize(args, label or server.name, tally, cpu, viewers)


def render(results: list[dict[str, Any]], load: tuple[str, str]) -> str:
    """A table with one column per server, the ratio and the machine's load."""
    keys = [k for k in results[0] if k not in ("server",)]
    rows = [("", *(r["server"] for r in results))]
    rows += [(k, *(str(r[k]) for r in results)) for k in keys]
    width = max(len(r[0]) for r in rows)
    cols = [max(len(r[i]) for r in rows) for i in range(1, len(results) + 1)]
    lines = [
        "  ".join([r[0].ljust(width), *(c.rjust(w) for c, w in zip(r[1:], cols, strict=True))])
        for r in rows
    ]
    if len(results) == 2 and results[0]["server"] == "bare":
        lines.append(f"ratio tracker/bare acks/s: {ratio(results):.3f}")
    if len(results) == 2 and results[0]["server"] == "tracker":
        quiet, storm = results
        lines.append(f"ack p99 without / with logins: {quiet['p99_ms']} / {storm['p99_ms']} ms")
    lines.append(f"load average before / after: {load[0]} / {load[1]} ({CORES} cores)")
    return "\n".join(lines)


def ratio(results: list[dict[str, Any]]) -> float:
    """Acks/s of tracker divided by those of the bare server."""
    bare, tracker = results
    return tracker["acks_per_s"] / bare["acks_per_s"] if bare["acks_per_s"] else 0.0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    # Thousands of client sockets make a large heap: with the default thresholds the
    # collector's pauses would show up as the server's latency (as in wsgi.py).
    gc.set_threshold(100_000, 50, 100)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups on SIGTERM too
    before = load_average()
    try:
        results = [measure(args, bare=True)] if args.baseline else []
        results.append(measure(args, bare=False))
        if args.login_storm:
            storm = argparse.Namespace(**{**vars(args), "logins": args.login_storm})
            results.append(measure(storm, bare=False, label=f"+{args.login_storm} logins"))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted; servers stopped")
        return 130
    except (RuntimeError, OSError, AssertionError, aiohttp.ClientError) as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        return 1
    load = (before, load_average())
    if args.json:
        body: dict[str, Any] = {"results": results, "load_before": load[0], "load_after": load[1]}
        if len(results) == 2 and results[0]["server"] == "bare":
            body["ratio"] = round(ratio(results), 3)
        print(json.dumps(body, indent=2))
    else:
        print(render(results, load))
    return 0


if __name__ == "__main__":
    sys.exit(main())

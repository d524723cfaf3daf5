"""Heartbeat benchmark: N simulated viewers over real websockets against a real server process.

Starts `python wsgi.py` on a free loopback port with a fresh database, creates the users and
one courseware over the HTTP API, lets every viewer open the courseware and send heartbeats
on a fixed schedule (open loop, like the browser player), then prints heartbeats/s and ack
latency. Run `python bench/heartbeats.py --help`; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from pg_schema import private_schema

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "/player"
HOST = "127.0.0.1"
PASSWORD = "bench-password-0"
ADMIN = "bench-admin"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50, help="simulated viewers (default 50)")
    parser.add_argument("--duration", type=float, default=20, help="measured seconds (default 20)")
    parser.add_argument("--period", type=float, default=1, help="s between beats (default 1)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds (default 3)")
    parser.add_argument("--heartbeat-interval", type=float, default=5, help="server's (default 5)")
    parser.add_argument("--database-url", help="SQLAlchemy URL; default: fresh SQLite file")
    parser.add_argument("--redis-url", help="Redis URL; default: in-process live store")
    parser.add_argument("--ack-timeout", type=float, default=10, help="s to wait for one ack")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    args = parser.parse_args(argv)
    if args.viewers < 1 or args.duration <= 0 or args.period <= 0 or args.warmup < 0:
        parser.error("--viewers, --duration and --period must be positive, --warmup >= 0")
    if args.period >= args.heartbeat_interval:
        parser.error("--period must be shorter than --heartbeat-interval (sessions would lapse)")
    return args


# ---------------------------------------------------------------- database and redis


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


# ---------------------------------------------------------------- server process


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(args: argparse.Namespace, db_url: str, prefix: str, workdir: Path) -> dict[str, str]:
    """Environment of the server and of the flask CLI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_HOST=HOST,
        TRACKER_PORT=str(free_port()),
        TRACKER_DATABASE_URL=db_url,
        TRACKER_SECRET_KEY=secrets.token_urlsafe(32),
        TRACKER_HEARTBEAT_INTERVAL_S=str(args.heartbeat_interval),
        TRACKER_REDIS_PREFIX=prefix,
        TRACKER_MEDIA_DIR=str(workdir / "media"),
        PYTHONUNBUFFERED="1",
    )
    if args.redis_url:
        env["TRACKER_REDIS_URL"] = args.redis_url
    return env


@contextlib.contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python wsgi.py` as a subprocess, stopped on the way out whatever happened."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only the benchmark, which stops the server
        )
        try:
            yield process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process`, killing it if it does not exit within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> float:
    """Seconds until `GET /api/v1/openapi.json` answered 200; raise if it never does."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{base_url}/api/v1/openapi.json", timeout=2) as reply,
        ):
            if reply.status == 200:
                return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer within {timeout_s:.0f} s")


def create_admin(env: dict[str, str]) -> None:
    """Create the admin account with the flask CLI."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "create-user", ADMIN]
    command += ["--password", PASSWORD, "--role", "admin"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"create-user failed: {done.stderr.strip()[-2000:]}")


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of the server log."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------- setup over HTTP


async def post(
    http: aiohttp.ClientSession, path: str, body: dict[str, Any], token: str = ""
) -> Any:
    """POST JSON to the API and return the decoded reply; raise on any non-2xx status."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"/api/v1{path}", json=body, headers=headers) as reply:
        data = await reply.json(content_type=None)
        if reply.status >= 300:
            raise RuntimeError(f"POST {path} -> {reply.status}: {data}")
        return data


async def login(http: aiohttp.ClientSession, username: str) -> str:
    """A bearer token for `username`."""
    return (await post(http, "/auth/token", {"username": username, "password": PASSWORD}))["token"]


async def learner_token(
    http: aiohttp.ClientSession, admin: str, name: str, gate: asyncio.Semaphore
) -> str:
    """Create learner `name` as admin and log in as it."""
    async with gate:
        body = {"username": name, "password": PASSWORD, "role": "learner"}
        await post(http, "/users", body, admin)
        return await login(http, name)


async def provision(base_url: str, viewers: int) -> tuple[int, list[str]]:
    """Create one courseware and `viewers` learners; return its id and their tokens."""
    async with aiohttp.ClientSession(base_url) as http:
        admin = await login(http, ADMIN)
        body = {"title": "Benchmark video", "kind": "video", "hours_limit": 100}
        courseware_id = (await post(http, "/courseware", body, admin))["id"]
        gate = asyncio.Semaphore(4)  # passwords are hashed on the server: CPU-bound anyway
        names = [f"bench-{i:04d}" for i in range(viewers)]
        tokens = await asyncio.gather(*(learner_token(http, admin, n, gate) for n in names))
    return courseware_id, list(tokens)


# ---------------------------------------------------------------- measurement


@dataclass(frozen=True)
class Window:
    """The measured interval, in `time.perf_counter()` seconds."""

    start: float
    end: float

    def holds(self, t: float) -> bool:
        """Whether `t` falls inside the window."""
        return self.start <= t < self.end


@dataclass
class Tally:
    """What the viewers saw; beats count when sent inside the window, acks when received."""

    sent: int = 0
    acks_in_window: int = 0
    not_accepted: int = 0
    credited_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def ack(self, ack: Any, sent_at: float, acked_at: float, window: Window) -> None:
        """Record one heartbeat ack."""
        if window.holds(acked_at) and isinstance(ack, dict) and ack.get("ok"):
            self.acks_in_window += 1
        if not window.holds(sent_at):
            return
        self.latencies_ms.append((acked_at - sent_at) * 1000)
        if not isinstance(ack, dict) or not ack.get("ok"):
            error = ack.get("error") if isinstance(ack, dict) else None
            self.errors[str(error or "bad_ack")] += 1
            return
        self.statuses[str(ack.get("status"))] += 1
        self.not_accepted += not ack.get("accepted")
        self.credited_s += ack.get("delta_s") or 0.0


@dataclass(frozen=True)
class Plan:
    """When and how the viewers beat, and where they record what they saw."""

    period: float
    ack_timeout: float
    window: Window
    tally: Tally


@dataclass
class Viewer:
    """One connected player with an open session."""

    client: socketio.AsyncClient
    session_id: str


async def connect_viewer(url: str, token: str, courseware_id: int, timeout: float) -> Viewer:
    """Connect over the websocket transport and open the courseware."""
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(
            url,
            auth={"token": token},
            transports=["websocket"],
            namespaces=[NAMESPACE],
            wait_timeout=timeout,
        )
        ack = await client.call(
            "open", {"courseware_id": courseware_id}, namespace=NAMESPACE, timeout=timeout
        )
    except BaseException:
        await client.disconnect()
        raise
    if not ack.get("ok"):
        await client.disconnect()
        raise RuntimeError(f"open failed: {ack}")
    return Viewer(client, ack["session_id"])


async def connect_all(
    url: str, tokens: list[str], courseware_id: int, timeout: float, tally: Tally
) -> list[Viewer]:
    """Connect every viewer, 25 at a time; failures are counted, not fatal."""
    gate = asyncio.Semaphore(25)

    async def one(token: str) -> Viewer | None:
        async with gate:
            try:
                return await connect_viewer(url, token, courseware_id, timeout)
            except Exception as exc:
                tally.errors[f"connect:{type(exc).__name__}"] += 1
                return None

    viewers = await asyncio.gather(*(one(t) for t in tokens))
    return [v for v in viewers if v is not None]


async def send_beat(viewer: Viewer, seq: int, due: float, plan: Plan) -> None:
    """Emit one heartbeat and record how long its ack took."""
    payload = {
        "session_id": viewer.session_id,
        "seq": seq,
        "state": "playing",
        "visible": True,
        "position": seq * plan.period,  # media time advances with wall time: every beat earns
        "rate": 1,
    }
    sent_at = time.perf_counter()
    if plan.window.holds(sent_at):
        plan.tally.sent += 1
        plan.tally.send_lag_ms.append((sent_at - due) * 1000)
    try:
        ack = await viewer.client.call(
            "heartbeat", payload, namespace=NAMESPACE, timeout=plan.ack_timeout
        )
    except socketio.exceptions.TimeoutError:
        ack = {"ok": False, "error": "ack_timeout"}
    except socketio.exceptions.SocketIOError:
        ack = {"ok": False, "error": "disconnected"}
    plan.tally.ack(ack, sent_at, time.perf_counter(), plan.window)


async def beat_loop(viewer: Viewer, first: float, plan: Plan) -> None:
    """Send beats every period from `first` until the window ends, never waiting for acks."""
    pending: list[asyncio.Task[None]] = []
    seq = 0
    while (due := first + seq * plan.period) < plan.window.end:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        seq += 1
        pending.append(asyncio.create_task(send_beat(viewer, seq, due, plan)))
    await asyncio.gather(*pending)


SERVICES = {"postgres", "redis-server"}


def process_cpu_s(pid: int | str) -> float:
    """CPU seconds (user + system) that process `pid` has used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def services_cpu_s() -> dict[int, float]:
    """CPU seconds of every PostgreSQL and Redis process on the machine, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in SERVICES:
                    found[int(entry.name)] = process_cpu_s(entry.name)
    return found


def machine_busy_s() -> float:
    """CPU seconds all cores together spent busy (not idle, not waiting for I/O) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU counters at one instant."""

    server_s: float
    client_s: float
    services_s: dict[int, float]
    machine_s: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSnapshot:
        """Read the counters now."""
        server, client = process_cpu_s(server_pid), time.process_time()
        return cls(server, client, services_cpu_s(), machine_busy_s())


def cpu_use(before: CpuSnapshot, after: CpuSnapshot, span: float) -> dict[str, float]:
    """CPU use between two snapshots in % of one core; "other" is the rest of the machine."""
    services = sum(s - before.services_s.get(pid, 0.0) for pid, s in after.services_s.items())
    used = {
        "server_cpu_pct": after.server_s - before.server_s,
        "client_cpu_pct": after.client_s - before.client_s,
        "db_cpu_pct": services,
        "machine_cpu_pct": after.machine_s - before.machine_s,
    }
    used["other_cpu_pct"] = used["machine_cpu_pct"] - sum(
        used[k] for k in ("server_cpu_pct", "client_cpu_pct", "db_cpu_pct")
    )
    return {key: 100 * seconds / span for key, seconds in used.items()}


async def cpu_during(window: Window, server_pid: int) -> dict[str, float]:
    """CPU use over the measured window."""
    await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
    before = CpuSnapshot.take(server_pid)
    await asyncio.sleep(max(0.0, window.end - time.perf_counter()))
    return cpu_use(before, CpuSnapshot.take(server_pid), window.end - window.start)


async def drive(
    args: argparse.Namespace, url: str, tokens: list[str], courseware_id: int, server_pid: int
) -> tuple[Tally, dict[str, float], int]:
    """Connect the viewers, run the beats, disconnect; return the tally, CPU use, viewers."""
    tally = Tally()
    viewers = await connect_all(url, tokens, courseware_id, args.ack_timeout, tally)
    if not viewers:
        raise RuntimeError(f"no viewer could connect: {dict(tally.errors)}")
    log(f"{len(viewers)} viewers connected; warm-up {args.warmup:g} s, then {args.duration:g} s")
    t0 = time.perf_counter() + 0.2
    window = Window(t0 + args.warmup, t0 + args.warmup + args.duration)
    plan = Plan(args.period, args.ack_timeout, window, tally)
    # Each viewer starts at a random phase, so beats spread evenly over a period.
    loops = [beat_loop(v, t0 + random.uniform(0, args.period), plan) for v in viewers]
    try:
        cpu, *_ = await asyncio.gather(cpu_during(window, server_pid), *loops)
    finally:
        await asyncio.gather(*(v.client.disconnect() for v in viewers), return_exceptions=True)
    return tally, cpu, len(viewers)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(pct / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def cpu_per_beat_ms(cpu: dict[str, float], span: float, tally: Tally) -> float:
    """Server CPU per acked heartbeat; meaningful only while the server keeps up."""
    acks = tally.acks_in_window
    return cpu["server_cpu_pct"] / 100 * span * 1000 / acks if acks else 0.0


def summarize(
    args: argparse.Namespace, tally: Tally, cpu: dict[str, float], viewers: int
) -> dict[str, Any]:
    """The figures to report."""
    latencies = sorted(tally.latencies_ms)
    return {
        "database": "sqlite" if args.database_url is None else args.database_url.split(":", 1)[0],
        "redis": bool(args.redis_url),
        "viewers": viewers,
        "period_s": args.period,
        "duration_s": args.duration,
        "offered_per_s": round(viewers / args.period, 1),
        "sent_per_s": round(tally.sent / args.duration, 1),
        "heartbeats_per_s": round(tally.acks_in_window / args.duration, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1] if latencies else 0.0, 2),
        "send_lag_p99_ms": round(percentile(sorted(tally.send_lag_ms), 99), 2),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "not_accepted": tally.not_accepted,
        "credited_s_per_s": round(tally.credited_s / args.duration, 1),
        "server_cpu_ms_per_beat": round(cpu_per_beat_ms(cpu, args.duration, tally), 2),
        "statuses": dict(tally.statuses),
        **{k: round(v, 1) for k, v in cpu.items()},
    }


def render(result: dict[str, Any]) -> str:
    """A compact two-column table."""
    rows = [
        ("setup", f"{result['database']}, redis={'yes' if result['redis'] else 'no'}"),
        ("viewers / period", f"{result['viewers']} / {result['period_s']:g} s"),
        ("measured", f"{result['duration_s']:g} s"),
        ("offered beats/s", f"{result['offered_per_s']:.1f} (sent {result['sent_per_s']:.1f})"),
        ("heartbeats/s", f"{result['heartbeats_per_s']:.1f}"),
        ("ack p50 / p90", f"{result['p50_ms']:.1f} / {result['p90_ms']:.1f} ms"),
        ("ack p99 / max", f"{result['p99_ms']:.1f} / {result['max_ms']:.1f} ms"),
        ("errors", f"{result['errors']} {result['error_kinds'] or ''}".strip()),
        ("not accepted", str(result["not_accepted"])),
        ("credited s/s", f"{result['credited_s_per_s']:.1f}"),
        ("client send lag p99", f"{result['send_lag_p99_ms']:.1f} ms"),
        ("cpu server / client / pg+redis", cpu_line(result)),
        ("server cpu per heartbeat", f"{result['server_cpu_ms_per_beat']:.1f} ms"),
        ("cpu whole machine", f"{result['machine_cpu_pct']:.0f}% of {100 * CORES}%"),
        ("cpu of other processes", f"{result['other_cpu_pct']:.0f}%"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def cpu_line(result: dict[str, Any]) -> str:
    """Server, client and database CPU in % of one core."""
    parts = (result[f"{k}_cpu_pct"] for k in ("server", "client", "db"))
    return " / ".join(f"{p:.0f}%" for p in parts)


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the result."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set everything up, measure, tear everything down; return the figures."""
    with (
        tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp,
        database_url(args.database_url, Path(tmp)) as db_url,
        redis_prefix(args.redis_url) as prefix,
    ):
        env = server_env(args, db_url, prefix, Path(tmp))
        base_url = f"http://{HOST}:{env['TRACKER_PORT']}"
        log_path = Path(tmp) / "server.log"
        try:
            with running_server(env, log_path) as server:
                return measure(args, env, base_url, server)
        except Exception:
            if tail := log_tail(log_path):
                log(f"server log tail:\n{tail}")
            raise
        finally:
            if args.server_log and log_path.exists():
                shutil.copyfile(log_path, args.server_log)


def measure(
    args: argparse.Namespace, env: dict[str, str], base_url: str, server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """Provision users against the running server, then drive the viewers."""
    log(f"server pid {server.pid} on {base_url}; ready in {wait_ready(base_url, server):.1f} s")
    create_admin(env)
    started = time.monotonic()
    courseware_id, tokens = asyncio.run(provision(base_url, args.viewers))
    log(f"{len(tokens)} learners created and logged in in {time.monotonic() - started:.1f} s")
    tally, cpu, viewers = asyncio.run(drive(args, base_url, tokens, courseware_id, server.pid))
    return summarize(args, tally, cpu, viewers)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups on SIGTERM too
    try:
        result = run(args)
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C may surface as either
        log("interrupted; server stopped")
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError, aiohttp.ClientError) as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        return 1
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The deployment's processes on one machine: tracker servers, redis-server and nginx.

One harness for everything that starts them: `scripts/cluster` (a local set behind the
proxy), `bench/heartbeats.py` and the integration tests. Each process's output is kept,
labelled and echoed; every process is stopped and reaped when its `Processes` closes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import redis

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 40.0


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(extra: dict[str, str]) -> dict[str, str]:
    # Settings of the developer's shell must not leak into the processes under test.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class ManagedProcess:
    """A child process whose output is kept, labelled, and echoed into the test's output."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the process (again, after it stopped)."""
        assert not self.running, f"{self.name} is already running"
        self._reap()
        self._note(f"--- starting: {' '.join(self.argv)}")
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=child_env(self.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        self._pump = threading.Thread(
            target=self._copy, args=(self.process.stdout,), name=f"log-{self.name}", daemon=True
        )
        self._pump.start()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up anything."""
        if self.running:
            assert self.process is not None
            self._note("--- kill -9")
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if the process has not exited within `timeout`."""
        if self.running:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._note(f"--- did not exit {timeout} s after SIGTERM")
                self.process.kill()
        self._reap()

    def output(self) -> str:
        """Everything the process (and its earlier runs) printed."""
        with self._lock:
            return "\n".join(self._lines)

    def _reap(self) -> None:
        if self.process is not None:
            code = self.process.wait(timeout=30)
            if self._pump is not None:
                self._pump.join(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self._note(f"--- exited with {code}")
        self.process, self._pump = None, None

    def _note(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
        # Captured by pytest and shown when a test fails; on stderr: a script's stdout is its own.
        print(f"[{self.name}] {line}", file=sys.stderr, flush=True)

    def _copy(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self._note(raw.decode(errors="replace").rstrip("\n"))

    def fail(self, message: str) -> AssertionError:
        """An error carrying this process's output."""
        return AssertionError(f"{message}\n--- output of {self.name}:\n{self.output()}")


class ServerProcess(ManagedProcess):
    """`python wsgi.py` (gevent) on its own loopback port."""

    def __init__(self, name: str, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        argv = [sys.executable, "wsgi.py"]
        super().__init__(name, argv, {**env, "TRACKER_PORT": str(self.port)})

    @property
    def url(self) -> str:
        """The base URL of this server."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until the API answers (after migrating the schema), or fail with the log."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise self.fail(f"{self.name} exited before it was ready")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/openapi.json", timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise self.fail(f"{self.name} was not ready after {timeout} s")
            time.sleep(0.1)


class RedisProcess(ManagedProcess):
    """A private, non-persistent redis-server on its own loopback port."""

    def __init__(self, name: str, binary: str, port: int | None = None) -> None:
        self.port = port or free_port()
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no"]
        super().__init__(name, argv, {})

    @property
    def url(self) -> str:
        """The URL clients use to reach this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A client that gives up quickly (the caller closes it)."""
        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait until the server answers PING, or fail with its log."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise self.fail(f"{self.name} exited before it was ready")
            client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
            try:
                if client.ping():
                    return
            except redis.RedisError:
                pass
            finally:
                client.close()
            if time.monotonic() > deadline:
                raise self.fail(f"{self.name} was not ready after {timeout} s")
            time.sleep(0.05)


POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres() -> list[str]:
    # PostgreSQL refuses to run as root; setpriv execs (no parent left to swallow signals).
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


class PostgresProcess(ManagedProcess):
    """A private PostgreSQL cluster in a directory of its own, on its own loopback port.

    The cluster is made with `initdb` when the directory is empty; `stop` is a fast
    shutdown (clients are disconnected, everything committed is kept), `kill` a crash.
    """

    def __init__(self, name: str, datadir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.datadir = datadir
        argv = [*_as_postgres(), str(POSTGRES_BIN / "postgres"), "-D", str(datadir)]
        argv += ["-p", str(self.port), "-k", str(datadir), "-c", "listen_addresses=127.0.0.1"]
        # A throw-away cluster: nothing is synced to disk (a crash of the machine is not
        # what these tests are about; a crashed PostgreSQL still recovers every commit from
        # its WAL, which is written before a commit returns).
        argv += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        super().__init__(name, argv, {})

    def initdb(self) -> None:
        """Make the cluster's files (trust authentication on loopback, user postgres)."""
        self.datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
        argv = [*_as_postgres(), str(POSTGRES_BIN / "initdb"), "-D", str(self.datadir)]
        argv += ["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]
        done = subprocess.run(argv, cwd="/", capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise self.fail(f"initdb exited {done.returncode}: {done.stdout}{done.stderr}")

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown (SIGINT): sessions are ended, committed work is on disk."""
        if self.running:
            assert self.process is not None
            self._note("--- fast shutdown")
            self.process.send_signal(signal.SIGINT)
        super().stop(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the server accepts connections, or fail with its log."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise self.fail(f"{self.name} exited before it was ready")
            probe = subprocess.run(
                [str(POSTGRES_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise self.fail(f"{self.name} was not ready after {timeout} s")
            time.sleep(0.1)


class Processes:
    """Every child process of one test, stopped (and reaped) when the test ends."""

    def __init__(self) -> None:
        self.all: list[ManagedProcess] = []

    def server(self, name: str, env: dict[str, str], ready: bool = True) -> ServerProcess:
        """Start a tracker server and (unless `ready` is false) wait until it is ready."""
        server = ServerProcess(name, env)
        self.all.append(server)
        server.start()
        if ready:
            server.wait_ready()
        return server

    def nginx(
        self, name: str, server_ports: Sequence[int], workdir: Path, port: int | None = None
    ) -> NginxProcess:
        """Start nginx in front of `server_ports` and wait until it listens."""
        proxy = NginxProcess(name, server_ports, workdir, port)
        self.all.append(proxy)
        proxy.start()
        proxy.wait_ready()
        return proxy

    def redis(self, name: str, binary: str) -> RedisProcess:
        """Start a private redis-server and wait until it answers."""
        server = RedisProcess(name, binary)
        self.all.append(server)
        server.start()
        server.wait_ready()
        return server

    def postgres(self, name: str, datadir: Path) -> PostgresProcess:
        """Make a private PostgreSQL cluster in `datadir`, start it and wait until it answers."""
        server = PostgresProcess(name, datadir)
        self.all.append(server)
        server.initdb()
        server.start()
        server.wait_ready()
        return server

    def close(self) -> None:
        """Stop every process, newest first (all of them, even if one will not stop)."""
        errors = []
        for process in reversed(self.all):
            try:
                process.stop()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


NGINX = "/usr/sbin/nginx"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"


def render_nginx(listen_port: int, server_ports: Sequence[int], workdir: Path) -> Path:
    """`deploy/nginx.conf` for servers on this machine's loopback ports; the file written."""
    upstreams = "\n".join(f"        server 127.0.0.1:{port};" for port in server_ports)
    text = NGINX_TEMPLATE.read_text()
    for token, value in {
        "@UPSTREAMS@": upstreams.strip(),
        "@LISTEN@": f"127.0.0.1:{listen_port}",
        "@STATIC@": str(ROOT / "static"),
        "@RUN@": str(workdir),
    }.items():
        text = text.replace(token, value)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "nginx.conf"
    path.write_text(text)
    return path


class NginxProcess(ManagedProcess):
    """nginx in the foreground, proxying HTTP and websockets to tracker servers."""

    def __init__(
        self, name: str, server_ports: Sequence[int], workdir: Path, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        conf = render_nginx(self.port, server_ports, workdir)
        super().__init__(name, [NGINX, "-p", str(workdir), "-c", str(conf)], {})

    @property
    def url(self) -> str:
        """The base URL clients use: the proxy."""
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> list[str]:
        """The lines nginx logged so far (each names the upstream that served it)."""
        path = self.workdir / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait until the proxy accepts connections, or fail with its log."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise self.fail(f"{self.name} exited before it was ready")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise self.fail(f"{self.name} was not ready after {timeout} s")
            time.sleep(0.05)

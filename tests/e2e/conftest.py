"""End-to-end fixtures: a real server (`python wsgi.py`), headless Chromium, a cuttable network."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.screenshots import sign_in

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("TRACKER_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium phones home, and on a closed network its connections get refused.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INTERVAL_S = 1  # TRACKER_HEARTBEAT_INTERVAL_S of the server under test
IDLE_MINUTES = 0.1  # TRACKER_IDLE_MINUTES: documents ask "still studying?" after 6 s
PASSWORD = "e2e password 1"
DEMO_PASSWORD = "demo12345"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Fail under CI (the browser tests must run there), skip elsewhere."""
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    """Start from an empty artifacts folder (once: not in each parallel worker)."""
    if not hasattr(config, "workerinput"):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """The app under test and its admin's API."""

    url: str
    database: Path
    media: Path
    token: str = ""

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the JSON API as the demo admin."""
        request = urllib.request.Request(
            f"{self.url}/api/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def api_as(
        self, username: str, method: str, path: str, body: Any = None, password: str = ""
    ) -> Any:
        """Call the JSON API as another user (a demo user unless `password` is given)."""
        login = urllib.request.Request(
            f"{self.url}/api/v1/auth/token",
            data=json.dumps({"username": username, "password": password or DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as response:
            token = json.loads(response.read())["token"]
        return Server(self.url, self.database, self.media, token).api(method, path, body)


def _make_slides(path: Path, pages: int = 3) -> None:
    """A small landscape PDF whose pages show a coloured band and a title."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 "]
    objects[2] += "/BaseFont /Helvetica >>"
    kids = []
    for number in range(1, pages + 1):
        content = (
            f"0.04 0.39 0.81 rg 0 495 842 100 re f 1 1 1 rg "
            f"BT /F1 40 Tf 60 530 Td (E2E slide {number} of {pages}) Tj ET"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents {len(objects)} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {pages} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    path.write_bytes(bytes(out))


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    pytest.fail(f"the server was not ready after 60 s:\n{log.read_text()}")


@contextlib.contextmanager
def serve(home: Path, history: bool = False) -> Iterator[Server]:
    """`python wsgi.py` on a free port with a SQLite database in `home` and the demo data
    (with `history`, also the demo's year of sessions, trainings and claims)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        PYTHONUNBUFFERED="1",
        TRACKER_DATABASE_URL=f"sqlite:///{home / 'tracker.db'}",
        TRACKER_SECRET_KEY="e2e-secret",
        TRACKER_MEDIA_DIR=str(home / "media"),
        TRACKER_HEARTBEAT_INTERVAL_S=str(INTERVAL_S),
        TRACKER_IDLE_MINUTES=str(IDLE_MINUTES),
        TRACKER_HOST="127.0.0.1",
        TRACKER_PORT=str(port),
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"]
        + ([] if history else ["--no-history"]),
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    _make_slides(home / "media" / "e2e-slides.pdf")
    log = home / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url, log)
        app = Server(url, home / "tracker.db", home / "media")
        request = urllib.request.Request(
            f"{url}/api/v1/auth/token",
            data=json.dumps({"username": "admin", "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            app.token = json.loads(response.read())["token"]
        yield app
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server most browser tests share."""
    with serve(tmp_path_factory.mktemp("server")) as app:
        yield app


@pytest.fixture(scope="session")
def history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the demo's year of history (sessions, trainings, claims in every state)."""
    with serve(tmp_path_factory.mktemp("history"), history=True) as app:
        yield app


_numbers = itertools.count(1)


@pytest.fixture
def learner(server: Server) -> str:
    """A fresh learner, so that no test sees another's sessions or totals."""
    username = f"e2e-{os.getpid()}-{next(_numbers)}"
    server.api("POST", "/users", {"username": username, "password": PASSWORD, "role": "learner"})
    return username


@pytest.fixture
def courseware(server: Server) -> Callable[..., int]:
    """Create a published courseware item; returns its id."""

    def create(kind: str = "video", hours: float = 0.05, title: str = "") -> int:
        source = "/media/demo-video.webm" if kind == "video" else "/media/e2e-slides.pdf"
        body = {
            "title": title or f"E2E {kind} {next(_numbers)}",
            "kind": kind,
            "hours_limit": hours,
            "source_url": source,
        }
        return server.api("POST", "/courseware", body)["id"]

    return create


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from the distribution (Playwright drives it; no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: run scripts/setup")
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing: run scripts/setup-browser")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Pages report each refusal by their Content-Security-Policy to the console (as Chromium does
# too); the test fails if any page, frame or worker was refused anything.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Browser contexts (one per "device"), closed after the test; none may see a CSP
    violation."""
    contexts: list[Any] = []
    violations: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            violations.append(message.text)

    def make(viewport: dict[str, int] | None = None, phone: bool = False) -> Any:
        context = browser.new_context(
            viewport=viewport or (PHONE if phone else LAPTOP),
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
        )
        context.set_default_timeout(15_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", on_console)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert violations == []


@pytest.fixture
def log_in(server: Server, learner: str) -> Callable[..., None]:
    """Log a browser context in as the test's learner, in the given language."""

    def enter(context: Any, language: str = "en") -> None:
        sign_in(context, server.url, learner, PASSWORD)
        page = context.new_page()
        page.goto(f"{server.url}/lang/{language}")
        page.close()

    return enter


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Save a screenshot under test-artifacts/e2e/, named after the test and the step."""
    test = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")

    def take(page: Any, step: str) -> Path:
        path = ARTIFACTS / f"{test}--{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


class FlakyNetwork:
    """A TCP relay between the browser and the server whose link the test can cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)  # so that the accepting thread notices close()
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.closed = False
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones, like a pulled cable."""
        self.up = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        """Let connections through again."""
        self.up = True

    def close(self) -> None:
        """Stop relaying and release every socket."""
        self.closed = True
        self.cut()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=self._pipe, args=(source, sink), daemon=True)
                self.threads.append(thread)
                thread.start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self.lock:
                for sock in (source, sink):
                    if sock in self.sockets:
                        self.sockets.discard(sock)
                        sock.close()


@pytest.fixture
def flaky_network(server: Server) -> Iterator[FlakyNetwork]:
    """A relay to the server (browse http://127.0.0.1:<port>) that the test can cut."""
    relay = FlakyNetwork(int(server.url.rsplit(":", 1)[1]))
    yield relay
    relay.close()

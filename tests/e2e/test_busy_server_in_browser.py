"""The player under a busy server: a refused open waits as long as it is told, then opens.

Whether a process is busy depends on its load (`LoadGauge`, unit-tested on a fake clock),
which a browser test cannot dial in; so the test puts a relay on the page's WebSocket
(Playwright's `route_web_socket`) that answers the first opens as a busy server does — they
never reach the server, as a refused open never touches the ledger — and passes the rest
through to the real server.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from player_page import expect, play, status, wait_credited

pytestmark = pytest.mark.e2e

Server = Any  # the fixtures' types live in conftest.py
EVENT = re.compile(r"^42/player,(\d+)(\[.*\])$", re.S)  # an event that wants an ack
BUSY = "The server is busy; the courseware will open in a moment."


class BusyRelay:
    """Relays the player's socket to the server, refusing its first opens as a busy server."""

    def __init__(self, refuse_opens: int) -> None:
        self.refuse_opens = refuse_opens
        self.opens: list[float] = []  # when the page sent each open
        self.lock = threading.Lock()

    def route(self, ws: Any) -> None:
        """Playwright's WebSocket route handler."""
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            found = EVENT.match(message) if isinstance(message, str) else None
            if found:
                event = json.loads(found[2])[0]
                with self.lock:
                    if event == "open":
                        self.opens.append(time.monotonic())
                        if len(self.opens) <= self.refuse_opens:
                            ack = {"ok": False, "error": "server_busy", "message": BUSY}
                            ack["retry_after_s"] = 1
                            ws.send(f"43/player,{found[1]}{json.dumps([ack])}")
                            return
            server.send(message)

        ws.on_message(from_page)
        server.on_message(ws.send)


def test_new_opens_wait_for_the_server_and_retry_when_it_says(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, shot: Any
) -> None:
    context = new_context()
    log_in(context)
    relay = BusyRelay(refuse_opens=2)
    page = context.new_page()
    page.route_web_socket(re.compile(r"/socket\.io/"), relay.route)
    page.goto(f"{server.url}/play/{courseware()}")
    expect(page.locator("#notice-text")).to_have_text(BUSY)
    status(page, "connecting")
    shot(page, "deferred")

    # The third open goes through: the item opens and records.
    expect(page.locator("#item-cap")).not_to_have_text("–", timeout=15_000)
    play(page)
    wait_credited(page, 2)
    expect(page.locator("#notice")).to_be_hidden()
    assert len(relay.opens) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(relay.opens)]
    assert min(gaps) >= 0.9  # each retry waited as long as it was told (1 s), never hammered

"""The courseware player in headless Chromium against a real server (1-second heartbeats)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from player_page import credited, expect, frozen, open_player, pause, play, status, wait_credited

pytestmark = pytest.mark.e2e

Server = FlakyNetwork = Any  # the fixtures' types live in conftest.py
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
DEMO_PASSWORD = "demo12345"  # the demo admin's (conftest.py seeds the demo)

# Headless Chromium keeps every tab "visible", so a hidden tab is what the browser would
# report on a tab switch: document.visibilityState/hidden change and `visibilitychange` fires.
SET_HIDDEN = """(hidden) => {
  const state = hidden ? "hidden" : "visible";
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_video_credit_grows_while_playing_and_stops_on_pause(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, shot: Any
) -> None:
    context = new_context()
    log_in(context)
    page = open_player(server, context, courseware("video"))
    status(page, "not_recording")
    expect(page.locator("#why")).to_have_text("Press play to start recording.")
    expect(page.locator("#item-cap")).to_have_text("3:00")
    started = time.monotonic()
    play(page)
    expect(page.locator("#state-text")).to_have_text("Recording")
    wait_credited(page, 3)
    shot(page, "playing")
    pause(page)
    expect(page.locator("#state-text")).to_have_text("Paused — not recording")
    expect(page.locator("#why")).to_have_text("The video is paused.")
    stopped = frozen(page)
    assert 3 <= stopped <= time.monotonic() - started
    shot(page, "paused")


def test_hidden_tab_stops_recording(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, shot: Any
) -> None:
    context = new_context()
    log_in(context)
    page = open_player(server, context, courseware("video"))
    play(page)
    wait_credited(page, 2)
    page.evaluate(SET_HIDDEN, True)
    status(page, "not_recording")
    expect(page.locator("#why")).to_have_text("This tab is in the background.")
    assert page.evaluate("document.getElementById('media').paused")  # nothing counts while away
    hidden_at = frozen(page)
    shot(page, "hidden")
    page.evaluate(SET_HIDDEN, False)
    expect(page.locator("#why")).to_have_text("The video is paused.")
    play(page)
    wait_credited(page, hidden_at + 2)


def test_window_blur_stops_recording(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any
) -> None:
    context = new_context()
    log_in(context)
    page = open_player(server, context, courseware("video"))
    play(page)
    page.evaluate("window.dispatchEvent(new FocusEvent('blur'))")
    status(page, "not_recording")
    expect(page.locator("#why")).to_contain_text("This window is not active")
    assert not page.evaluate("document.getElementById('media').paused")  # it keeps playing
    page.evaluate("window.dispatchEvent(new FocusEvent('focus'))")
    status(page, "recording")


def test_second_courseware_supersedes_the_first_until_resumed_here(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, shot: Any
) -> None:
    context = new_context()
    log_in(context)
    first = open_player(server, context, courseware("video"))
    play(first)
    wait_credited(first, 2)
    second = open_player(server, context, courseware("document"))
    status(second, "recording")

    status(first, "superseded")
    expect(first.locator("#notice-text")).to_have_text(
        "Another courseware was opened elsewhere; this page stopped recording."
    )
    expect(first.locator("#resume")).to_be_visible()
    assert first.evaluate("document.getElementById('media').paused")
    stopped = frozen(first)
    shot(first, "superseded")

    first.click("#resume")
    status(first, "recording")
    expect(first.locator("#notice")).to_be_hidden()
    wait_credited(first, stopped + 2)
    status(second, "superseded")
    expect(second.locator("#resume")).to_be_visible()
    shot(second, "superseded-in-turn")


def test_item_cap_is_reached(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, shot: Any
) -> None:
    context = new_context()
    log_in(context)
    page = open_player(server, context, courseware("video", hours=0.001))  # 3.6 s
    expect(page.locator("#item-cap")).to_have_text("0:03")
    play(page)
    status(page, "item_cap_reached")
    expect(page.locator("#state-text")).to_have_text("This item's limit is reached — not recording")
    expect(page.locator("#why")).to_have_text("You have earned all the hours this item offers.")
    expect(page.locator("#item-bar")).to_have_attribute("style", "width: 100%;")
    assert page.get_attribute("#item-credited", "data-seconds") == "3.6"
    shot(page, "cap-reached")


def test_document_pages_and_idle_question(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, shot: Any
) -> None:
    context = new_context()
    log_in(context)
    page = open_player(server, context, courseware("document"))
    status(page, "recording")
    expect(page.locator("#doc-pages")).to_have_text("3")
    assert has_ink(page)  # PDF.js drew the page
    page.click("#doc-next")
    expect(page.locator("#doc-page")).to_have_value("2")
    expect(page.locator("#doc-prev")).to_be_enabled()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#doc-page")).to_have_value("3")
    expect(page.locator("#doc-next")).to_be_disabled()
    wait_credited(page, 2)

    # No interaction for IDLE_MINUTES (6 s): the page asks and stops recording.
    dialog = page.locator("#idle-dialog")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog).to_contain_text("Are you still studying?")
    status(page, "idle")
    page.mouse.move(10, 10)  # moving about does not answer the question
    idle_at = frozen(page)
    expect(dialog).to_be_visible()
    shot(page, "idle")
    page.click("#idle-continue")
    expect(dialog).to_be_hidden()
    status(page, "recording")
    wait_credited(page, idle_at + 2)


def test_reconnects_after_a_network_drop_without_double_counting(
    server: Server,
    new_context: Callable[..., Any],
    log_in: Any,
    learner: str,
    courseware: Any,
    flaky_network: FlakyNetwork,
    shot: Any,
) -> None:
    context = new_context()
    log_in(context)
    item = courseware("video")
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{flaky_network.port}/play/{item}")
    play(page)
    wait_credited(page, 2)

    flaky_network.cut()
    status(page, "offline")
    expect(page.locator("#state-text")).to_have_text("Connection lost — reconnecting")
    expect(page.locator("#why")).to_have_text("Time is not recorded while the connection is down.")
    shot(page, "offline")
    before = credited(page)  # no acks arrive any more
    time.sleep(3)  # more than two heartbeats: the session lapses on the server
    assert credited(page) == before
    flaky_network.restore()
    restored_at = time.monotonic()

    status(page, "recording")
    wait_credited(page, before + 3)
    after = credited(page)
    # Only time after the reconnection counts, plus the beat that was in flight at the cut
    # (at most one 1-second interval) and the display's rounding down to whole seconds.
    assert after - before <= time.monotonic() - restored_at + 2
    assert end_reasons(server, learner) in ([None], ["expired", None])
    page.reload()
    expect(page.locator("#item-cap")).not_to_have_text("–")
    assert credited(page) >= after


def test_closing_the_tab_closes_the_session(
    server: Server, new_context: Callable[..., Any], log_in: Any, learner: str, courseware: Any
) -> None:
    context = new_context()
    log_in(context)
    page = open_player(server, context, courseware("video"))
    play(page)
    wait_credited(page, 1)
    page.close()
    deadline = time.monotonic() + 5
    reasons: list[str | None] = []
    while time.monotonic() < deadline and reasons != ["closed"]:
        time.sleep(0.2)
        reasons = end_reasons(server, learner)
    assert reasons == ["closed"]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_layout_in_both_languages_on_laptop_and_phone(
    server: Server,
    new_context: Callable[..., Any],
    log_in: Any,
    courseware: Any,
    shot: Any,
    language: str,
    screen: str,
) -> None:
    phone = screen == "phone"
    context = new_context(PHONE if phone else LAPTOP, phone=phone)
    log_in(context, language)
    video = open_player(server, context, courseware("video", title="科研诚信与学术规范"))
    expect(video.locator("html")).to_have_attribute(
        "lang", "zh-CN" if language == "zh_CN" else "en"
    )
    status(video, "not_recording")
    fits_the_screen(video, "#media")
    shot(video, "video")
    video.close()
    document = open_player(server, context, courseware("document", title="继续教育学时登记办法"))
    status(document, "recording")
    assert has_ink(document)
    fits_the_screen(document, "#doc-canvas")
    document.mouse.move(5, 5)
    shot(document, "document")


def fits_the_screen(page: Any, media: str) -> None:
    """Nothing scrolls sideways; the media and the standing are fully on screen, side by side
    on a laptop and stacked on a phone."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator(media).bounding_box()
    panel = page.locator(".panel").bounding_box()
    for part in (box, panel):
        assert part["x"] >= 0
        assert part["x"] + part["width"] <= width
    if width >= 1000:
        assert panel["x"] >= box["x"] + box["width"]  # beside
        assert box["y"] + box["height"] <= page.viewport_size["height"]
    else:
        assert panel["y"] >= box["y"] + box["height"]  # below


def has_ink(page: Any) -> bool:
    """Whether the document canvas shows something other than white paper."""
    page.wait_for_function("document.getElementById('doc-loading').hidden")
    return page.evaluate(
        """() => {
          const canvas = document.getElementById("doc-canvas");
          const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          for (let i = 0; i < data.length; i += 4) if (data[i] < 200) return true;
          return false;
        }"""
    )


def session_values(server: Server, username: str, column: str) -> list[Any]:
    """One column of the learner's viewing sessions, oldest first, from the server's database."""
    with closing(sqlite3.connect(f"file:{server.database}?mode=ro", uri=True)) as db:
        rows = db.execute(
            f"select s.{column} from watch_sessions s join users u on u.id = s.user_id "
            "where u.username = ? order by s.opened_at",
            (username,),
        ).fetchall()
    return [row[0] for row in rows]


def end_reasons(server: Server, username: str) -> list[str | None]:
    """How the learner's viewing sessions ended."""
    return session_values(server, username, "end_reason")


def test_the_player_sends_one_device_id_per_browser(
    server: Server, new_context: Callable[..., Any], log_in: Any, courseware: Any, learner: str
) -> None:
    """A random id kept in the browser's storage: the same across tabs, another elsewhere."""
    item = courseware("video")
    first = new_context()
    log_in(first)
    open_player(server, first, item)
    open_player(server, first, item)
    other = new_context()
    log_in(other)
    open_player(server, other, item)
    ids = session_values(server, learner, "device_id")
    assert len(ids) == 3
    assert ids[0] == ids[1]
    assert ids[2] != ids[0]
    assert all(i is not None and len(i) == 32 for i in ids)


PAGES = [
    "/",
    "/archive",
    "/archive/print",
    "/trainings",
    "/learning/external",
    "/learning/review",
    "/exams",
    "/certificates",
    "/admin",
    "/admin/users",
    "/admin/units",
    "/admin/courseware",
    "/admin/reports",
    "/admin/audit",
]


def test_every_page_works_under_the_content_security_policy(
    server: Server, new_context: Callable[..., Any]
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")  # an admin's home is the console
    for path in PAGES:
        response = page.goto(f"{server.url}{path}")
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    # The scripts that were inline before run from their files.
    page.goto(f"{server.url}/learning/external")
    page.fill("#record-form input[name=hours_h]", "2")
    page.fill("#record-form input[name=end_date]", "2026-03-02")
    page.dispatch_event("#record-form input[name=end_date]", "change")
    page.wait_for_selector("#preview p.notice")
    page.goto(f"{server.url}/archive/print")
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.click("button[data-print]")
    assert page.get_attribute("body", "data-printed") == "yes"

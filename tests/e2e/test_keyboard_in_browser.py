"""Without a mouse, in headless Chromium: the player (play, pause, resume after a supersede),
the claim form and the review queue (approve, reject) work with Tab, Enter and Space alone,
and every control reached shows where the focus is."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from player_page import expect, open_player, status

from tracker.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

Server = Any  # the fixture's type lives in conftest.py
PASSWORD = "e2e password 1"  # the `learner` fixture's
CLAIM = {"kind": "self_study", "start_date": "2026-02-05", "end_date": "2026-02-05", "hours": 3}
TABS = 250  # more than any page has stops before the control a test looks for

# Is the focused element marked visibly: an outline or a ring (Plyr draws some as a shadow)?
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outlined || style.boxShadow !== "none";
}"""


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the focus is on `selector`; it must show that it has the focus."""
    for _ in range(TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"{selector} shows no focus"
            return
    pytest.fail(f"Tab never reached {selector}")


def type_into(page: Any, selector: str, text: str) -> None:
    """Tab to a field and type into it."""
    tab_to(page, selector)
    page.keyboard.type(text)


def sign_in(server: Server, context: Any, username: str, password: str) -> Any:
    """The login form by keyboard; returns the page, signed in and in English."""
    page = context.new_page()
    page.goto(f"{server.url}/lang/en")
    page.goto(f"{server.url}/login")
    type_into(page, "input[name=username]", username)
    type_into(page, "input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_the_player_works_from_the_keyboard(
    server: Server, new_context: Callable[..., Any], learner: str, courseware: Any
) -> None:
    context = new_context()
    page = sign_in(server, context, learner, PASSWORD)
    item = courseware("video")
    page.goto(f"{server.url}/play/{item}")
    expect(page.locator("#item-cap")).not_to_have_text("–")
    tab_to(page, ".plyr__control--overlaid")
    page.keyboard.press("Space")
    status(page, "recording")
    tab_to(page, ".plyr__controls [data-plyr=play]")
    page.keyboard.press("Space")
    status(page, "not_recording")
    page.keyboard.press("Enter")
    status(page, "recording")
    # The same item opened in another window stops this one, until it is resumed here.
    other = open_player(server, context, item)
    status(page, "superseded")
    page.bring_to_front()
    tab_to(page, "#resume")
    page.keyboard.press("Enter")
    status(page, "recording")
    status(other, "superseded")


def test_a_claim_is_filed_from_the_keyboard(
    server: Server, new_context: Callable[..., Any], learner: str
) -> None:
    page = sign_in(server, new_context(), learner, PASSWORD)
    page.goto(f"{server.url}/learning/external")
    title = f"Keyboard course {os.getpid()}"
    type_into(page, "#record-form input[name=title]", title)
    type_into(page, "#record-form input[name=hours_h]", "2")
    tab_to(page, "#record-form button[value=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_be_visible()
    claims = [r for r in server.api("GET", "/records") if r["title"] == title]
    assert [(c["status"], c["hours"]) for c in claims] == [("pending", 2)]


def test_the_review_queue_works_from_the_keyboard(
    server: Server, new_context: Callable[..., Any]
) -> None:
    tag = os.getpid()
    first, second = (
        server.api_as("zhang", "POST", "/records", {**CLAIM, "title": f"{name} {tag}"})["id"]
        for name in ("Approve me", "Reject me")
    )
    page = sign_in(server, new_context(), "admin", DEMO_PASSWORD)
    page.goto(f"{server.url}/learning/review")
    tab_to(page, f"#record-{first} button[value=approve]")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert server.api("GET", f"/records/{first}")["status"] == "approved"
    type_into(page, f"#record-{second} textarea[name=note]", "No certificate attached.")
    tab_to(page, f"#record-{second} button[value=reject]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rejected = server.api("GET", f"/records/{second}")
    assert (rejected["status"], rejected["note"]) == ("rejected", "No certificate attached.")

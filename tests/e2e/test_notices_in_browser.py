"""The bell and the notices page in headless Chromium: the unread count, mark one and all read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

Server = Any  # the fixture's type lives in conftest.py


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def confirm_twice(server: Server, username: str) -> None:
    """The admin confirms the learner's attendance of a training, then corrects the absence."""
    training = server.api(
        "POST",
        "/trainings",
        {
            "title": f"E2E training for {username}",
            "category": "Lecture series",
            "organizer": "E2E",
            "location": "Room 1",
            "start_date": "2026-03-09",
            "end_date": "2026-03-10",
            "days": 2,
        },
    )
    learner_id = server.api("GET", f"/users?q={username}")["items"][0]["id"]
    for absent in (0.0, 0.5):
        body = {"user_id": learner_id, "absent_fraction": absent, "assessment": "passed"}
        server.api("POST", f"/trainings/{training['id']}/attendance", body)


def test_the_bell_counts_unread_notices_and_the_page_marks_them_read(
    server: Server, learner: str, new_context: Callable[..., Any], log_in: Any, shot: Any
) -> None:
    confirm_twice(server, learner)
    context = new_context()
    log_in(context)
    page = context.new_page()
    page.goto(f"{server.url}/")
    expect(page.locator("header .bell .badge")).to_have_text("2")
    page.click("header .bell")
    page.wait_for_url(f"{server.url}/notices")
    notices = page.locator("li.notice")
    expect(notices).to_have_count(2)
    expect(notices.first).to_contain_text("Attendance confirmed")
    expect(notices.first).to_contain_text("was confirmed, but earns no hours")
    expect(page.locator("li.notice.unread")).to_have_count(2)
    shot(page, "two-unread")
    notices.first.locator("button", has_text="Mark read").click()
    expect(page.locator("header .bell .badge")).to_have_text("1")
    expect(page.locator("li.notice.unread")).to_have_count(1)
    page.click("text=Mark all read")
    expect(page.locator("header .bell .badge")).to_have_count(0)
    expect(page.locator("li.notice.unread")).to_have_count(0)
    page.goto(f"{server.url}/lang/zh_CN")
    page.goto(f"{server.url}/notices")
    expect(page.locator("li.notice").first).to_contain_text("已确认")  # follows the language
    shot(page, "all-read-zh")


def test_the_bell_fits_a_phone(
    server: Server, learner: str, new_context: Callable[..., Any], log_in: Any, shot: Any
) -> None:
    confirm_twice(server, learner)
    context = new_context(phone=True)
    log_in(context)
    page = context.new_page()
    page.goto(f"{server.url}/notices")
    bell = page.locator("header .bell")
    expect(bell).to_be_visible()
    box = bell.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    shot(page, "phone")

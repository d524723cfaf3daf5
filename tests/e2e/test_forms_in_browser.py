"""A refused form in headless Chromium: each message stands right beside its field, every
problem at once, what was typed still there; on a laptop and a phone, in Chinese and English."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from deploy.screenshots import sign_in

pytestmark = pytest.mark.e2e

Server = Any  # the fixture's type lives in conftest.py
PASSWORD = "e2e password 1"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
MESSAGES = {
    "zh": {"title": "此项为必填项", "hours": "分钟请填 0 到 59", "source": "上传文件"},
    "en": {"title": "This field is required.", "hours": "minutes from 0 to 59", "source": "Upload"},
}


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def beside(page: Any, field: str, last: str | None = None) -> None:
    """The field is marked invalid and its message sits right under (or next to) it, or to
    the `last` input of its group."""
    control = page.locator(f"#{field}")
    message = page.locator(f"#{field}-error")
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_attribute("aria-describedby", f"{field}-error")
    expect(message).to_be_visible()
    box, near = page.locator(f"#{last or field}").bounding_box(), message.bounding_box()
    assert 0 <= near["y"] - (box["y"] + box["height"]) < 40 or abs(near["y"] - box["y"]) < 40, (
        field,
        box,
        near,
    )


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_refused_courseware_form_shows_each_problem_beside_its_field(
    server: Server,
    new_context: Callable[..., Any],
    shot: Callable[[Any, str], Any],
    language: str,
    size: dict[str, int],
) -> None:
    admin = f"forms-{os.getpid()}-{language}-{size['width']}"
    server.api("POST", "/users", {"username": admin, "password": PASSWORD, "role": "admin"})
    context = new_context(viewport=size, phone=size is PHONE)
    sign_in(context, server.url, admin, PASSWORD)
    page = context.new_page()
    page.goto(f"{server.url}/lang/{'zh_CN' if language == 'zh' else 'en'}")

    page.goto(f"{server.url}/admin/courseware")
    page.fill("#f-description", "Typed before the mistake")
    page.fill("#f-hours_limit", "1")
    page.fill("#f-hours_limit-min", "75")
    page.select_option("#f-kind", "document")
    page.locator("form[enctype] button[type=submit]").click()

    summary = page.locator(".problems[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(3)  # every problem at once
    problems = {"f-title": "title", "f-hours_limit": "hours", "f-source_url": "source"}
    for field, key in problems.items():
        beside(page, field, last=f"{field}-min" if field == "f-hours_limit" else None)
        expect(page.locator(f"#{field}-error")).to_contain_text(MESSAGES[language][key])
    expect(page.locator("#f-description")).to_have_value("Typed before the mistake")
    expect(page.locator("#f-hours_limit")).to_have_value("1")
    expect(page.locator("#f-hours_limit-min")).to_have_value("75")
    expect(page.locator("#f-kind")).to_have_value("document")
    # The summary's links lead to the fields.
    summary.locator("a").first.click()
    expect(page.locator("#f-title")).to_be_in_viewport()
    shot(page, f"{language}-{size['width']}")

"""A unit admin's pages in headless Chromium: the users list, the review queue and the unit
report show its own people and nobody from another unit."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

Server = Any  # the fixture's type lives in conftest.py
PASSWORD = "e2e password 1"
CLAIM = {
    "kind": "external_training",
    "start_date": "2026-02-05",
    "end_date": "2026-02-07",
    "hours": 6,
}


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_a_unit_admin_sees_only_its_people(
    server: Server, new_context: Callable[..., Any], shot: Callable[[Any, str], Any]
) -> None:
    tag = f"{os.getpid()}"
    north = server.api("POST", "/units", {"name": f"North {tag}"})["id"]
    server.api("POST", "/units", {"name": f"North lab {tag}", "parent_id": north})
    server.api("POST", "/units", {"name": f"South {tag}"})
    people = {
        f"boss-{tag}": ("admin", f"North {tag}"),
        f"nora-{tag}": ("learner", f"North lab {tag}"),
        f"sam-{tag}": ("learner", f"South {tag}"),
    }
    for username, (role, unit) in people.items():
        body = {"username": username, "password": PASSWORD, "role": role, "unit": unit}
        server.api("POST", "/users", body)
    for name in ("nora", "sam"):
        claim = {**CLAIM, "title": f"{name.title()}'s course {tag}"}
        server.api_as(f"{name}-{tag}", "POST", "/records", claim, password=PASSWORD)

    context = new_context()
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", f"boss-{tag}")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")  # an admin's home is the console
    page.goto(f"{server.url}/lang/en")

    page.goto(f"{server.url}/admin/users")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.list")).to_contain_text(f"nora-{tag}")
    expect(page.locator("table.list")).not_to_contain_text(f"sam-{tag}")
    expect(page.locator("select[name=unit_id]").first).not_to_contain_text(f"South {tag}")
    expect(page.get_by_role("link", name="Courseware", exact=True)).to_have_count(1)  # the header's
    shot(page, "users")

    page.goto(f"{server.url}/learning/review")
    expect(page.locator("main")).to_contain_text(f"Nora's course {tag}")
    expect(page.locator("main")).not_to_contain_text(f"Sam's course {tag}")
    shot(page, "review")

    page.goto(f"{server.url}/admin/reports")
    page.select_option("select[name=unit_id]", label=f"North {tag}")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text(f"nora-{tag}")
    expect(page.locator("main")).not_to_contain_text(f"sam-{tag}")
    shot(page, "report")

    page.goto(f"{server.url}/admin/courseware")
    expect(page.locator("main")).to_contain_text("Only the organisation's administrators")

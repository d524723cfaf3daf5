"""A learner's corrections in headless Chromium against a real server: a rejected claim is
edited and resubmitted beside the reviewer's note, a pending one is withdrawn."""

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


def file_claim(page: Any, server: Server, title: str, hours: str) -> None:
    """File an external training through the form."""
    page.goto(f"{server.url}/learning/external?kind=external_training")
    page.fill("input[name=title]", title)
    page.fill("input[name=start_date]", "2026-02-05")
    page.fill("input[name=end_date]", "2026-02-07")
    page.fill("input[name=hours_h]", hours)
    page.click("button[value=submit]")
    expect(page.locator("p.flash.ok")).to_contain_text(title)


def row(page: Any, title: str) -> Any:
    return page.locator("tr[id^=record-]", has_text=title)


def test_learner_resubmits_a_rejected_claim_and_withdraws_a_pending_one(
    server: Server,
    learner: str,
    new_context: Callable[..., Any],
    log_in: Callable[..., None],
    shot: Callable[[Any, str], Any],
) -> None:
    context = new_context()
    log_in(context)
    page = context.new_page()
    file_claim(page, server, f"{learner} conference", "12")
    file_claim(page, server, f"{learner} workshop", "6")

    queue = server.api("GET", "/records?status=pending")
    ids = {r["title"]: r["id"] for r in queue if r["username"] == learner}
    server.api(
        "POST",
        f"/records/{ids[f'{learner} conference']}/review",
        {"decision": "reject", "note": "Attach the certificate of attendance"},
    )

    page.goto(f"{server.url}/learning/external")
    rejected = row(page, f"{learner} conference")
    expect(rejected).to_have_attribute("data-status", "rejected")
    expect(rejected.locator("td.note")).to_have_text("Attach the certificate of attendance")
    shot(page, "rejected")

    rejected.get_by_role("link", name="Edit and resubmit").click()
    expect(page.locator("[data-review-note]")).to_contain_text("Attach the certificate")
    page.fill("input[name=hours_h]", "30")  # more than 3 days × 8 h: refused, nothing changes
    page.click("button[value=submit]")
    expect(page.locator(".problems")).to_contain_text("at most 24 hours")
    page.fill("input[name=hours_h]", "10")
    page.fill("input[name=days]", "1.5")
    page.click("button[value=submit]")
    expect(page.locator("p.flash.ok")).to_contain_text("resubmitted")
    resubmitted = row(page, f"{learner} conference")
    expect(resubmitted).to_have_attribute("data-status", "pending")
    expect(resubmitted).to_contain_text("10 h")

    pending = row(page, f"{learner} workshop")
    pending.get_by_role("button", name="Withdraw").click()
    expect(page.locator("p.flash.ok")).to_contain_text("withdrawn")
    withdrawn = row(page, f"{learner} workshop")
    expect(withdrawn).to_have_attribute("data-status", "withdrawn")
    expect(withdrawn.get_by_role("button", name="Withdraw")).to_have_count(0)
    shot(page, "corrected")

    records = {r["id"]: r for r in server.api("GET", "/records")}
    conference = records[ids[f"{learner} conference"]]
    assert (conference["status"], conference["hours"], conference["days"]) == ("pending", 10, 1.5)
    assert records[ids[f"{learner} workshop"]]["status"] == "withdrawn"

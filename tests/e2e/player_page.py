"""The player page as the browser tests drive it: its state, its meters, its buttons."""

from __future__ import annotations

import time
from typing import Any

Server = Any  # the fixture's type lives in conftest.py


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def credited(page: Any) -> int:
    """Whole seconds the server has credited on this item, as its last ack told the page."""
    return int(float(page.get_attribute("#item-credited", "data-seconds") or 0))


def shown_ms(page: Any) -> int:
    """What the page's item meter shows (run on locally between acks), in milliseconds."""
    return int(page.get_attribute("#item-credited", "data-shown-ms") or 0)


def wait_credited(page: Any, at_least: int) -> None:
    """Wait until the server has credited at least `at_least` seconds on this item."""
    page.wait_for_function(
        """(n) => Number(document.getElementById("item-credited").dataset.seconds) >= n""",
        arg=at_least,
    )


def frozen(page: Any, for_s: float = 2.0) -> int:
    """Credit stays put: read it once a beat that was in flight had time to land, wait two
    more heartbeats, and check it did not move; returns it."""
    time.sleep(0.5)
    before = credited(page)
    time.sleep(for_s)
    assert credited(page) == before
    return before


def status(page: Any, value: str) -> None:
    """Wait until the recording state is `value`."""
    expect(page.locator("#state")).to_have_attribute("data-status", value)


def play(page: Any) -> None:
    """Press the big play button, as a viewer would."""
    page.click(".plyr__control--overlaid")
    status(page, "recording")


def pause(page: Any) -> None:
    """Show the controls and press pause."""
    page.hover(".plyr")
    page.click(".plyr__controls [data-plyr=play]")
    status(page, "not_recording")


def open_player(server: Server, context: Any, courseware_id: int) -> Any:
    """Open the player page of an item and wait until its session is open."""
    page = context.new_page()
    page.goto(f"{server.url}/play/{courseware_id}")
    expect(page.locator("#item-cap")).not_to_have_text("–")
    return page

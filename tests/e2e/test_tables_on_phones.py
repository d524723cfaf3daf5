"""Every table of every role's pages on a 390×844 phone: each cell shown and inside the screen,
no page wider than the screen; the review queue's approve and reject look different."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, Server, serve

pytestmark = pytest.mark.e2e

BOSS = "unit-boss"  # an admin of one branch of the demo's units
# Each cell with something in it: shown, not squeezed to nothing, inside the screen.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const cells = [...document.querySelectorAll("table.list td")].filter(
    (td) => td.textContent.trim() || td.querySelector("a, button, input, select"));
  const outside = cells.filter((td) => {
    const box = td.getBoundingClientRect();
    return getComputedStyle(td).display === "none" || box.width < 40
      || box.left < 0 || box.right > width + 0.5;
  }).map((td) => td.textContent.trim().slice(0, 40));
  const unlabelled = cells.filter((td) => td.cellIndex > 0 && !td.hasAttribute("data-label")
    && td.closest("table").tHead && td.closest("table").tHead.rows[0].cells[td.cellIndex]
    && td.closest("table").tHead.rows[0].cells[td.cellIndex].textContent.trim());
  return {width, page: document.documentElement.scrollWidth, cells: cells.length,
          tables: document.querySelectorAll("table.list tbody tr").length,
          outside, unlabelled: unlabelled.length};
}"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    """A server with the demo's year of history, a unit admin and an exam (its id)."""
    with serve(tmp_path_factory.mktemp("tables"), history=True) as app:
        unit = "兰州分院"
        body = {"username": BOSS, "password": DEMO_PASSWORD, "role": "admin", "unit": unit}
        app.api("POST", "/users", body)
        exam = {"title": "科研诚信测验", "pass_mark": 60, "max_attempts": 3, "subject": "public"}
        yield app, app.api("POST", "/exams", exam | {"hours": 1})["id"]


def pages_of(server: Server, exam: int) -> dict[str, list[str]]:
    """Each role's pages that hold a table."""
    unit = next(u["id"] for u in server.api("GET", "/units") if u["name"] == "兰州分院")
    training = server.api("GET", "/trainings")[0]["id"]
    learner = ["/", "/archive", "/trainings", "/learning/external", "/exams", "/certificates"]
    report = f"/admin/reports?unit_id={unit}&year=2026"
    admin = [
        "/admin",
        "/admin/users",
        "/admin/units",
        "/admin/courseware",
        report,
        "/admin/audit",
        "/admin/exams",
        f"/admin/exams/{exam}",
        "/admin/certificates",
        "/admin/evaluations",
        f"/trainings/{training}/attendance",
        "/learning/review",
        "/learning/review?status=approved",
        "/learning/flags",
    ]
    boss = ["/admin/users", "/admin/units", report, "/admin/audit", "/learning/review"]
    return {"zhang": learner, "li": learner, "admin": admin + learner, BOSS: boss}


def enter(context: Any, url: str, username: str, language: str) -> Any:
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{url}/lang/{language}")
    return page


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_table_fits_a_phone(
    rich: tuple[Server, int], new_context: Callable[..., Any], language: str
) -> None:
    server, exam = rich
    rows = 0
    for username, paths in pages_of(server, exam).items():
        page = enter(new_context(phone=True), server.url, username, language)
        for path in paths:
            response = page.goto(f"{server.url}{path}")
            assert response.status == 200, path
            seen = page.evaluate(MEASURE)
            where = f"{username} {path}"
            assert seen["page"] <= seen["width"] == PHONE["width"], where
            assert seen["outside"] == [], where
            assert seen["unlabelled"] == 0, where
            rows += seen["tables"]
    assert rows > 100  # the demo's history fills the tables


def test_approve_and_reject_differ_and_the_outcome_shows(
    rich: tuple[Server, int], new_context: Callable[..., Any]
) -> None:
    server, _exam = rich
    page = enter(new_context(phone=True), server.url, "admin", "en")
    page.goto(f"{server.url}/learning/review")
    card = page.locator("section.card", has=page.locator("button[value=reject]")).first
    approve, reject = card.locator("button[value=approve]"), card.locator("button[value=reject]")
    look = "(b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
    assert approve.evaluate(look) != reject.evaluate(look)
    title = card.locator("h2").inner_text()
    card.locator("textarea[name=note]").fill("Attach the certificate, please.")
    reject.click()
    page.wait_for_load_state("load")
    flash = page.locator(".flash").first
    assert flash.is_visible()
    box = flash.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    page.goto(f"{server.url}/learning/review?status=rejected")
    rejected = page.locator("section.card", has_text=title.split(" ")[0]).first
    assert "Attach the certificate, please." in rejected.inner_text()

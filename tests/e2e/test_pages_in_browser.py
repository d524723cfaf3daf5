"""Every page in headless Chromium after a year of demo history, for every kind of user and in
both languages, the main ones at a phone's size too: no serious or critical axe-core
violations, no console errors or failed requests, a title that names the page, the page's
language and the favicon."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from player_page import expect

from deploy.screenshots import sign_in
from tracker.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

Server = Any  # the fixture's type lives in conftest.py
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PRODUCT = {"zh": "继续教育学时记录", "en": "Learning-time tracker"}
UNIT_ADMIN = "boss"
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
QUESTIONS = [
    {
        "kind": "single",
        "text": "How many hours a year must an employee study?",
        "choices": [{"text": "100", "correct": True}, {"text": "12"}],
    },
    {"kind": "true_false", "text": "Half a day of training is 4 hours.", "answer": True},
]

# (who, path, status): every page a person can reach, with ids from the scenario filled in.
PAGES = [
    (None, "/login", 200),
    (None, "/verify", 200),
    (None, "/no-such-page", 404),
    ("zhang", "/", 200),
    ("zhang", "/play/{video}", 200),
    ("zhang", "/play/{document}", 200),
    ("zhang", "/archive", 200),
    ("zhang", "/archive/print", 200),
    ("zhang", "/trainings", 200),
    ("zhang", "/trainings/{training}", 200),
    ("zhang", "/learning/external", 200),
    ("zhang", "/learning/records/{pending}/edit", 200),
    ("zhang", "/learning/my-flags", 200),
    ("zhang", "/notices", 200),
    ("zhang", "/settings", 200),
    ("zhang", "/exams", 200),
    ("zhang", "/exams/{exam}", 200),
    ("zhang", "/attempts/{attempt}", 200),
    ("zhang", "/certificates", 200),
    ("zhang", "/courseware/{video}/evaluate", 200),
    ("zhang", "/trainings/{training}/evaluate", 200),
    ("zhang", "/admin", 403),
    ("li", "/", 200),
    ("li", "/archive", 200),
    ("admin", "/admin", 200),
    ("admin", "/admin/users", 200),
    ("admin", "/admin/users/{zhang}", 200),
    ("admin", "/admin/units", 200),
    ("admin", "/admin/courseware", 200),
    ("admin", "/admin/courseware/{video}", 200),
    ("admin", "/admin/reports", 200),
    ("admin", "/admin/reports?unit_id={branch}", 200),
    ("admin", "/admin/audit", 200),
    ("admin", "/admin/exams", 200),
    ("admin", "/admin/exams/{exam}", 200),
    ("admin", "/admin/certificates", 200),
    ("admin", "/admin/evaluations", 200),
    ("admin", "/learning/review", 200),
    ("admin", "/learning/flags", 200),
    ("admin", "/trainings/new", 200),
    ("admin", "/trainings/{training}/edit", 200),
    ("admin", "/trainings/{training}/attendance", 200),
    (UNIT_ADMIN, "/admin", 200),
    (UNIT_ADMIN, "/admin/users", 200),
    (UNIT_ADMIN, "/admin/reports", 200),
    (UNIT_ADMIN, "/learning/review", 200),
]


# The pages a phone user meets most, checked at the phone's size too.
ON_PHONES = {
    "/login",
    "/",
    "/play/{document}",
    "/archive",
    "/trainings",
    "/learning/external",
    "/learning/review",
    "/admin",
    "/admin/reports?unit_id={branch}",
}
VISITS = [(*page, "laptop") for page in PAGES] + [
    (who, path, status, "phone")
    for who, path, status in PAGES
    if path in ON_PHONES and who in (None, "zhang", "admin")
]


def scenario(server: Server) -> dict[str, int]:
    """Add to the demo's year what it lacks (a unit admin, an exam taken) and collect ids."""
    server.api(
        "POST",
        "/users",
        {"username": UNIT_ADMIN, "password": DEMO_PASSWORD, "role": "admin", "unit": "兰州分院"},
    )
    body = {"title": "继续教育政策测验", "subject": "public", "time_limit_minutes": 30}
    exam = server.api("POST", "/exams", body)
    for question in QUESTIONS:
        server.api("POST", f"/exams/{exam['id']}/questions", question)
    server.api("PATCH", f"/exams/{exam['id']}", {"published": True})
    attempt = server.api_as("zhang", "POST", f"/exams/{exam['id']}/attempts", {})
    server.api_as("zhang", "POST", f"/attempts/{attempt['id']}/submit", {})
    courseware = {c["kind"]: c["id"] for c in server.api("GET", "/courseware")}
    records = server.api("GET", "/records")
    units = server.api("GET", "/units")
    users = server.api("GET", "/users?q=zhang")["items"]
    return {
        "video": courseware["video"],
        "document": courseware["document"],
        "training": server.api("GET", "/trainings")[0]["id"],
        "pending": next(
            r["id"] for r in records if r["status"] == "pending" and r["title"].startswith("数据")
        ),
        "exam": exam["id"],
        "attempt": attempt["id"],
        "zhang": next(u["id"] for u in users if u["username"] == "zhang"),
        "branch": next(u["id"] for u in units if u["name"] == "兰州分院"),
    }


@pytest.fixture(scope="module")
def rich(history_server: Server) -> tuple[Server, dict[str, int]]:
    """The server with the demo's year of history and the scenario's additions."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup")
    return history_server, scenario(history_server)


@pytest.fixture(scope="module")
def signed_in(rich: Any, browser: Any) -> Iterator[Any]:
    """A browser context per (user, language, size), signed in once and reused."""
    server, _ids = rich
    contexts: dict[tuple[str | None, str, str], Any] = {}

    def get(username: str | None, language: str, size: str) -> Any:
        key = (username, language, size)
        if key not in contexts:
            context = browser.new_context(
                viewport=SIZES[size],
                locale="zh-CN" if language == "zh" else "en-US",
                is_mobile=size == "phone",
                has_touch=size == "phone",
            )
            context.set_default_timeout(15_000)
            if username:
                sign_in(context, server.url, username)
            contexts[key] = context
        return contexts[key]

    yield get
    for context in contexts.values():
        context.close()


def axe_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))"
    )
    problems = []
    for violation in json.loads(result):
        if violation["impact"] in ("serious", "critical"):
            for node in violation["nodes"]:
                summary = node.get("failureSummary", "").replace("\n", " ")
                problems.append(f"{violation['id']}: {node['target']} {summary}")
    return problems


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("who", "path", "status", "size"), VISITS)
def test_every_page_is_accessible_and_clean(
    rich: Any, signed_in: Any, who: str | None, path: str, status: int, size: str, language: str
) -> None:
    server, ids = rich
    url = f"{server.url}{path.format(**ids)}"
    page = signed_in(who, language, size).new_page()
    console: list[str] = []
    failed: list[str] = []

    def on_console(message: Any) -> None:
        # Chromium logs an error page's own status; the test checks that status itself.
        if message.type == "error" and message.location.get("url") != url:
            console.append(message.text)

    def on_failure(request: Any) -> None:
        # A video element stops fetching once it has what it needs: not a failure.
        if not (request.resource_type == "media" and request.failure == "net::ERR_ABORTED"):
            failed.append(f"{request.url} {request.failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.append(str(error)))
    page.on("requestfailed", on_failure)
    page.on("response", lambda r: r.status < 400 or r.url == url or failed.append(r.url))
    response = page.goto(url)
    if path.startswith("/play/"):
        # The player keeps its socket busy; it is ready once its session is open.
        expect(page.locator("#item-cap")).not_to_have_text("–")
    else:
        page.wait_for_load_state("networkidle")
    favicon = page.evaluate("document.querySelector('link[rel=icon]')?.getAttribute('href')")
    title = page.title()
    seen = {
        "status": response.status,
        "lang": page.get_attribute("html", "lang"),
        "titled": bool(re.fullmatch(rf".+ · {re.escape(PRODUCT[language])}", title)),
        "favicon": bool(favicon) and page.request.get(f"{server.url}{favicon}").ok,
        "axe": axe_problems(page),
        "console": console,
        "failed": failed,
    }
    page.close()
    assert seen == {
        "status": status,
        "lang": "zh-CN" if language == "zh" else "en",
        "titled": True,
        "favicon": True,
        "axe": [],
        "console": [],
        "failed": [],
    }, title

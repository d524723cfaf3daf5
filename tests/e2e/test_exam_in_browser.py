"""Taking an exam in headless Chromium against a real server: a reload mid-attempt keeps the
paper, the answers and the server's clock; when the time runs out the page hands in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

Server = Any  # the fixture's type lives in conftest.py

QUESTIONS = [
    {
        "kind": "single",
        "text": "How many hours a year must an employee study?",
        "choices": [{"text": "100", "correct": True}, {"text": "12"}, {"text": "1"}],
    },
    {
        "kind": "multiple",
        "text": "Which count toward the target?",
        "choices": [
            {"text": "Online courseware", "correct": True},
            {"text": "Offline training", "correct": True},
            {"text": "Lunch breaks"},
        ],
    },
    {"kind": "true_false", "text": "Half a day of training is 4 hours.", "answer": True},
]
RIGHT = {
    q["text"]: [c["text"] for c in q.get("choices", []) if c.get("correct")] for q in QUESTIONS
}
RIGHT[QUESTIONS[2]["text"]] = ["True"]


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def make_exam(server: Server, minutes: float) -> int:
    """A published stand-alone exam with the three questions above."""
    exam = server.api(
        "POST",
        "/exams",
        {"title": f"E2E exam {minutes}", "subject": "public", "time_limit_minutes": minutes},
    )
    for question in QUESTIONS:
        server.api("POST", f"/exams/{exam['id']}/questions", question)
    server.api("PATCH", f"/exams/{exam['id']}", {"published": True})
    return exam["id"]


def answer(page: Any, text: str) -> None:
    """Choose the right answers of the question whose text is `text`, and wait for the save."""
    question = page.locator("fieldset.question", has_text=text)
    for choice in RIGHT[text]:
        question.locator(
            "label.choice", has_text=re.compile(f"^\\s*{re.escape(choice)}\\s*$")
        ).click()
        expect(page.locator("#save-state")).to_have_text("Answers saved")


def seconds_left(page: Any) -> int:
    """The countdown, as it reads: "0 h 01 min 05 s"."""
    hours, minutes, seconds = re.fullmatch(
        r"(\d+) h (\d\d) min (\d\d) s", " ".join(page.inner_text("#timer").split())
    ).groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds)


def begin(server: Server, context: Any, exam_id: int) -> Any:
    page = context.new_page()
    page.goto(f"{server.url}/exams/{exam_id}")
    page.click("#start-exam")
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return page


def test_a_reload_mid_attempt_keeps_paper_answers_and_clock(
    server: Server, new_context: Callable[..., Any], log_in: Any, shot: Any
) -> None:
    exam_id = make_exam(server, minutes=5)
    context = new_context()
    log_in(context)
    page = begin(server, context, exam_id)
    order = page.locator("fieldset.question legend").all_inner_texts()
    assert len(order) == 3
    assert 295 <= seconds_left(page) <= 300
    answer(page, QUESTIONS[1]["text"])
    shot(page, "answering")
    page.wait_for_timeout(1200)
    page.reload()
    assert page.locator("fieldset.question legend").all_inner_texts() == order
    chosen = page.locator("fieldset.question", has_text=QUESTIONS[1]["text"]).locator(
        "input:checked"
    )
    expect(chosen).to_have_count(2)
    assert seconds_left(page) <= 299  # the server's clock kept running
    answer(page, QUESTIONS[0]["text"])
    answer(page, QUESTIONS[2]["text"])
    page.click("#hand-in")
    expect(page.locator("#score")).to_have_text("100 %")
    expect(page.locator("#verdict")).to_contain_text("Passed")
    expect(page.locator("a", has_text="Download the certificate (PDF)")).to_be_visible()
    shot(page, "passed")
    page.goto(f"{server.url}/exams/{exam_id}")
    expect(page.locator("#start-exam")).to_have_count(0)  # passed: no more attempts


def test_when_the_time_runs_out_the_page_hands_in_the_saved_answers(
    server: Server, new_context: Callable[..., Any], log_in: Any, shot: Any
) -> None:
    exam_id = make_exam(server, minutes=0.1)  # 6 seconds
    context = new_context(phone=True)
    log_in(context)
    page = begin(server, context, exam_id)
    answer(page, QUESTIONS[0]["text"])
    expect(page.locator("#score")).to_be_visible(timeout=15_000)
    expect(page.locator("body")).to_contain_text("handed in when the time ran out")
    expect(page.locator("#verdict")).to_contain_text("Not passed")
    expect(page.locator("#verdict")).to_contain_text("1 of 3 points")
    shot(page, "time-up")
    # The result shows the mistakes only after the last attempt: this exam allows three.
    expect(page.locator("ol.review")).to_have_count(0)

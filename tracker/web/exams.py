"""Exam pages for learners: the list, one exam, taking an attempt, its result."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from tracker.auth import current_principal
from tracker.errors import TrackerError, fail
from tracker.services.exams import attempts, authoring
from tracker.web import bp

MAX_FORM_ANSWERS = 2000  # fields of one answer form: questions × choices, well above the bank


@bp.get("/exams")
@login_required
def exams_page() -> Any:
    return render_template("exams/list.html", exams=attempts.my_exams(current_principal().id))


@bp.get("/exams/<int:exam_id>")
@login_required
def exam_page(exam_id: int) -> Any:
    mine = attempts.my_exam(current_principal().id, exam_id)
    return render_template("exams/exam.html", mine=mine)


@bp.post("/exams/<int:exam_id>/start")
@login_required
def exam_start(exam_id: int) -> Any:
    try:
        view, _new = attempts.start_attempt(current_principal().id, exam_id)
    except TrackerError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(url_for("web.exam_page", exam_id=exam_id))
    return redirect(url_for("web.attempt_page", attempt_id=view.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int) -> Any:
    view = attempts.get_attempt(current_principal().id, attempt_id)
    template = "exams/attempt.html" if view.status == "open" else "exams/result.html"
    return render_template(template, attempt=view)


def form_answers(form: MultiDict[str, str]) -> dict[int, list[int]]:
    """`q<question id>` fields holding choice ids, as answers; `bad_payload` if malformed."""
    if len(form) > MAX_FORM_ANSWERS:
        fail("bad_payload")
    answers: dict[int, list[int]] = {}
    for name in form:
        if not name.startswith("q"):
            continue
        try:
            question = int(name[1:])
            chosen = [int(value) for value in form.getlist(name)]
        except ValueError:
            fail("bad_payload")
        answers[question] = chosen
    return answers


@bp.post("/attempts/<int:attempt_id>")
@login_required
def attempt_submit(attempt_id: int) -> Any:
    """Hand in from the page (its script also saves each answer as it is given)."""
    answers = form_answers(request.form)
    try:
        attempts.submit_attempt(current_principal().id, attempt_id, answers)
    except TrackerError as error:
        if error.status == 404 or error.code == "answer_refused":
            raise
        flash(str(error.message), "error")  # time up, or handed in already in another tab
    return redirect(url_for("web.attempt_page", attempt_id=attempt_id))


@bp.app_template_global("exam_for_item")
def exam_for_item(courseware_id: int) -> Any:
    """The published exam of a courseware item, for the player page's link."""
    exam = authoring.exam_for_item(courseware_id)
    return exam if exam is not None and exam.published else None

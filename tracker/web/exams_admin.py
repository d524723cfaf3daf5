"""Exam pages for admins: the list, one exam's settings, question bank, import and results."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from tracker.api.schemas_exams import ExamCreate, ExamPatch, QuestionIn
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.security import large_body
from tracker.services import courseware as catalogue
from tracker.services.exams import authoring, results
from tracker.services.exams.authoring import QuestionDraft
from tracker.services.exams.sheet import LETTERS, SHEETS, read_sheet
from tracker.services.uploads import read_upload
from tracker.web import bp
from tracker.web.access import organisation_page
from tracker.web.forms import Problems, error_problems, join_hours, validated

_INTS = ("pass_mark", "max_attempts", "question_count", "courseware_id", "points")
_FLOATS = ("time_limit_minutes", "hours")
TEMPLATE_CSV = (
    "题型,题目,选项A,选项B,选项C,选项D,答案,分值\r\n"
    "单选,每年继续教育学时目标是多少？,100 学时,50 学时,10 学时,,A,1\r\n"
    '多选,哪些学习计入学时？,在线学习,脱产培训,午休,,"A,B",2\r\n'
    "判断,一天培训按 8 学时计。,,,,,对,1\r\n"
)


def _number(name: str, text: str) -> Any:
    try:
        return int(text) if name in _INTS else float(text)
    except ValueError:
        return text  # validation says "enter a number"


def _settings(sent: MultiDict[str, str]) -> dict[str, Any]:
    """The settings form's strings as the API models expect them (blanks: not given)."""
    form = join_hours(sent)
    values: dict[str, Any] = {}
    for name in ("title", "description", "subject", *_INTS, *_FLOATS):
        text = form.get(name, "").strip()
        if text:
            values[name] = _number(name, text) if name in _INTS + _FLOATS else text
    values.pop("points", None)
    for name in ("requires_completion", "published"):
        values[name] = name in form
    return values


@bp.get("/admin/exams")
@organisation_page
def admin_exams(problems: Problems | None = None, status: int = 200) -> Any:
    return render_template(
        "exams/admin_list.html",
        exams=authoring.all_exams(current_principal()),
        items=catalogue.list_courseware(current_principal().id, include_unpublished=True),
        problems=problems or Problems(),
    ), status


@bp.post("/admin/exams")
@organisation_page
def admin_exam_create() -> Any:
    values = _settings(request.form)
    values["published"] = False
    body, problems = validated(ExamCreate, values)
    if problems:
        return admin_exams(problems, 400)
    try:
        exam = authoring.create_exam(current_principal().id, body.model_dump())
    except TrackerError as error:
        return admin_exams(error_problems(error), error.status)
    flash(_("The exam was created. Add its questions, then publish it."), "ok")
    return redirect(url_for("web.admin_exam", exam_id=exam.id))


@bp.get("/admin/exams/<int:exam_id>")
@organisation_page
def admin_exam(exam_id: int, problems: Problems | None = None, status: int = 200) -> Any:
    return render_template(
        "exams/admin_exam.html",
        exam=authoring.get_exam(exam_id, admin=True),
        questions=authoring.question_bank(current_principal(), exam_id),
        attempts=results.exam_attempts(current_principal(), exam_id, limit=200),
        letters=LETTERS,
        problems=problems or Problems(),
    ), status


@bp.post("/admin/exams/<int:exam_id>")
@organisation_page
def admin_exam_save(exam_id: int) -> Any:
    values = _settings(request.form)
    values.pop("courseware_id", None)
    for name in ("time_limit_minutes", "question_count", "hours"):
        values.setdefault(name, None)  # a blank field clears it
    if "subject" not in values and authoring.get_exam(exam_id, True).courseware_id:
        values["subject"] = None
    body, problems = validated(ExamPatch, values, "settings")
    if problems:
        return admin_exam(exam_id, problems, 400)
    try:
        authoring.update_exam(current_principal().id, exam_id, body.model_dump(exclude_unset=True))
    except TrackerError as error:
        if error.status == 404:
            raise
        return admin_exam(exam_id, error_problems(error, "settings"), error.status)
    flash(_("Saved."), "ok")
    return redirect(url_for("web.admin_exam", exam_id=exam_id))


def _question(form: MultiDict[str, str]) -> dict[str, Any]:
    kind = form.get("kind", "")
    body: dict[str, Any] = {"kind": kind, "text": form.get("text", "").strip()}
    points = form.get("points", "").strip()
    if points:
        body["points"] = _number("points", points)
    if kind == "true_false":
        body["answer"] = form.get("answer") == "true"
        return body
    correct = set(form.getlist("correct"))
    body["choices"] = [
        {"text": text.strip(), "correct": letter in correct}
        for letter in LETTERS
        if (text := form.get(f"choice_{letter}", "")).strip()
    ]
    return body


@bp.post("/admin/exams/<int:exam_id>/questions")
@organisation_page
def admin_question_add(exam_id: int) -> Any:
    body, problems = validated(QuestionIn, _question(request.form), "question")
    if problems:
        return admin_exam(exam_id, problems, 400)
    try:
        draft = QuestionDraft.of(body.model_dump())
        authoring.add_questions(current_principal().id, exam_id, [draft])
    except TrackerError as error:
        if error.status == 404:
            raise
        return admin_exam(exam_id, error_problems(error, "question"), error.status)
    flash(_("The question was added."), "ok")
    return redirect(url_for("web.admin_exam", exam_id=exam_id) + "#questions")


@bp.post("/admin/exams/<int:exam_id>/questions/<int:question_id>/delete")
@organisation_page
def admin_question_delete(exam_id: int, question_id: int) -> Any:
    try:
        authoring.delete_question(current_principal().id, exam_id, question_id)
    except TrackerError as error:
        if error.status == 404:
            raise
        return admin_exam(exam_id, error_problems(error, "questions"), error.status)
    flash(_("The question was removed."), "ok")
    return redirect(url_for("web.admin_exam", exam_id=exam_id) + "#questions")


@bp.post("/admin/exams/<int:exam_id>/import")
@organisation_page
@large_body("UPLOAD_MAX_BYTES")
def admin_question_import(exam_id: int) -> Any:
    authoring.get_exam(exam_id, True)
    try:
        upload = read_upload(request.files.get("file"), SHEETS)
        drafts = read_sheet(upload.data)
        added = authoring.add_questions(
            current_principal().id, exam_id, drafts, replace="replace" in request.form
        )
    except TrackerError as error:
        return admin_exam(exam_id, error_problems(error, "import"), error.status)
    flash(_("%(n)d questions imported.", n=len(added)), "ok")
    return redirect(url_for("web.admin_exam", exam_id=exam_id) + "#questions")


@bp.get("/admin/exams/questions.csv")
@organisation_page
def admin_question_template() -> Any:
    return Response(
        "\ufeff" + TEMPLATE_CSV,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=questions.csv"},
    )

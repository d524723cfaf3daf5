"""Exams: admins set them up and fill their question bank; learners take attempts."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas_exams import (
    AnswersIn,
    AttemptOut,
    AttemptRows,
    ExamCreate,
    ExamList,
    ExamOut,
    ExamPatch,
    ImportOut,
    ImportQuery,
    MyExamList,
    MyExamOut,
    QuestionIn,
    QuestionList,
    QuestionOut,
    SubmitIn,
)
from tracker.api.spec import FileField, endpoint
from tracker.auth import current_principal
from tracker.services.exams import attempts, authoring, results
from tracker.services.exams.authoring import QuestionDraft
from tracker.services.exams.sheet import MAX_SHEET_BYTES, SHEETS, read_sheet
from tracker.services.uploads import Upload


@bp.get("/exams")
@endpoint(
    "Published exams, with the caller's attempts, best result and certificate", response=MyExamList
)
def list_my_exams() -> list[dict[str, Any]]:
    return [mine.public() for mine in attempts.my_exams(current_principal().id)]


@bp.get("/exams/all")
@endpoint(
    "Every exam with its settings (admins)",
    response=ExamList,
    roles=("admin",),
    errors=("organisation_only",),
)
def list_all_exams() -> list[dict[str, Any]]:
    return [exam.public(admin=True) for exam in authoring.all_exams(current_principal())]


@bp.post("/exams")
@endpoint(
    "Create an exam on a courseware item, or stand-alone for a subject (unpublished at first)",
    body=ExamCreate,
    response=ExamOut,
    status=201,
    roles=("admin",),
    errors=("organisation_only", "courseware_not_found", "exam_exists", "exam_not_ready"),
)
def create_exam(body: ExamCreate) -> dict[str, Any]:
    return authoring.create_exam(current_principal().id, body.model_dump()).public(admin=True)


@bp.get("/exams/<int:exam_id>")
@endpoint(
    "One published exam with the caller's standing", response=MyExamOut, errors=("exam_not_found",)
)
def get_my_exam(exam_id: int) -> dict[str, Any]:
    return attempts.my_exam(current_principal().id, exam_id).public()


@bp.patch("/exams/<int:exam_id>")
@endpoint(
    "Change an exam's settings (for attempts started afterwards); publish it",
    body=ExamPatch,
    response=ExamOut,
    roles=("admin",),
    errors=("organisation_only", "exam_not_found", "exam_not_ready"),
)
def patch_exam(exam_id: int, body: ExamPatch) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return authoring.update_exam(current_principal().id, exam_id, fields).public(admin=True)


@bp.get("/exams/<int:exam_id>/questions")
@endpoint(
    "An exam's question bank with the key (admins)",
    response=QuestionList,
    roles=("admin",),
    errors=("organisation_only", "exam_not_found"),
)
def list_questions(exam_id: int) -> list[dict[str, Any]]:
    return [q.public() for q in authoring.question_bank(current_principal(), exam_id)]


@bp.post("/exams/<int:exam_id>/questions")
@endpoint(
    "Add a question (not once people have taken the exam)",
    body=QuestionIn,
    response=QuestionOut,
    status=201,
    roles=("admin",),
    errors=("organisation_only", "exam_not_found", "exam_locked", "exam_too_long"),
)
def add_question(exam_id: int, body: QuestionIn) -> dict[str, Any]:
    draft = QuestionDraft.of(body.model_dump())
    (question_id,) = authoring.add_questions(current_principal().id, exam_id, [draft])
    return next(q.public() for q in authoring.questions(exam_id) if q.id == question_id)


@bp.put("/exams/<int:exam_id>/questions/<int:question_id>")
@endpoint(
    "Rewrite a question (not once people have taken the exam)",
    body=QuestionIn,
    response=QuestionOut,
    roles=("admin",),
    errors=("organisation_only", "exam_not_found", "question_not_found", "exam_locked"),
)
def put_question(exam_id: int, question_id: int, body: QuestionIn) -> dict[str, Any]:
    draft = QuestionDraft.of(body.model_dump())
    return authoring.replace_question(current_principal().id, exam_id, question_id, draft).public()


@bp.delete("/exams/<int:exam_id>/questions/<int:question_id>")
@endpoint(
    "Remove a question (not once people have taken the exam)",
    status=204,
    roles=("admin",),
    errors=(
        "organisation_only",
        "exam_not_found",
        "question_not_found",
        "exam_locked",
        "exam_not_ready",
    ),
)
def delete_question(exam_id: int, question_id: int) -> str:
    authoring.delete_question(current_principal().id, exam_id, question_id)
    return ""


@bp.post("/exams/<int:exam_id>/questions/import")
@endpoint(
    f"Import questions from a CSV or XLSX sheet (multipart field `file`, at most "
    f"{MAX_SHEET_BYTES // 1024} KiB): every row or none; `replace=true` empties the bank first",
    query=ImportQuery,
    response=ImportOut,
    roles=("admin",),
    errors=("organisation_only", "exam_not_found", "exam_locked", "exam_too_long", "bad_sheet"),
    upload=FileField("file", SHEETS),
)
def import_questions(exam_id: int, query: ImportQuery, upload: Upload) -> dict[str, Any]:
    authoring.load_exam(exam_id)
    drafts = read_sheet(upload.data)
    added = authoring.add_questions(current_principal().id, exam_id, drafts, query.replace)
    return {"imported": len(added), "bank_size": authoring.get_exam(exam_id, True).bank_size}


@bp.get("/exams/<int:exam_id>/attempts")
@endpoint(
    "Everyone's attempts at an exam, newest first (admins)",
    response=AttemptRows,
    roles=("admin",),
    errors=("exam_not_found",),
)
def exam_attempts(exam_id: int) -> list[dict[str, Any]]:
    return [row.public() for row in results.exam_attempts(current_principal(), exam_id)]


@bp.post("/exams/<int:exam_id>/attempts")
@endpoint(
    "Start an attempt (or resume the open one): shuffled questions without the key, and the "
    "server's deadline",
    response=AttemptOut,
    errors=("exam_not_found", "exam_passed", "no_attempts_left", "item_not_completed"),
)
def start_attempt(exam_id: int) -> dict[str, Any]:
    view, _new = attempts.start_attempt(current_principal().id, exam_id)
    return view.public()


@bp.get("/attempts/<int:attempt_id>")
@endpoint(
    "One of the caller's attempts: the paper and saved answers, or the result",
    response=AttemptOut,
    errors=("attempt_not_found",),
)
def get_attempt(attempt_id: int) -> dict[str, Any]:
    return attempts.get_attempt(current_principal().id, attempt_id).public()


@bp.put("/attempts/<int:attempt_id>/answers")
@endpoint(
    "Save answers of an open attempt before its deadline (per question; [] clears one)",
    body=AnswersIn,
    response=AttemptOut,
    errors=("attempt_not_found", "attempt_closed", "attempt_expired", "answer_refused"),
)
def save_answers(attempt_id: int, body: AnswersIn) -> dict[str, Any]:
    return attempts.save_answers(current_principal().id, attempt_id, body.answers).public()


@bp.post("/attempts/<int:attempt_id>/submit")
@endpoint(
    "Hand in an attempt by its deadline; it is scored at once (a pass issues the certificate)",
    body=SubmitIn,
    response=AttemptOut,
    errors=("attempt_not_found", "attempt_closed", "attempt_expired", "answer_refused"),
)
def submit_attempt(attempt_id: int, body: SubmitIn) -> dict[str, Any]:
    return attempts.submit_attempt(current_principal().id, attempt_id, body.answers).public()

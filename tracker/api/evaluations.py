"""Evaluations: rate what you took; everyone sees averages; admins read comments and export."""

from __future__ import annotations

from typing import Any

from flask import Response

from tracker.api import bp
from tracker.api.schemas_assessment import (
    EvaluationIn,
    EvaluationOut,
    EvaluationPage,
    EvaluationQuery,
    ExportQuery,
    RatingOut,
)
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.exports.evaluations import EXPORTS
from tracker.services import evaluations

MAX_EXPORT = 100_000


def _rating(target: str, target_id: int) -> dict[str, Any]:
    evaluations.target_title(target, target_id)
    user_id = current_principal().id
    summary = evaluations.ratings(target, [target_id]).get(target_id)
    own = evaluations.mine(user_id, target, target_id)
    return {
        "target": target,
        "target_id": target_id,
        "average": summary.average if summary else None,
        "count": summary.count if summary else 0,
        "mine": own.public() if own else None,
        "can_evaluate": evaluations.may_evaluate(user_id, target, target_id),
    }


@bp.get("/courseware/<int:courseware_id>/evaluation")
@endpoint(
    "An item's average rating, and the caller's own evaluation",
    response=RatingOut,
    errors=("courseware_not_found",),
)
def courseware_rating(courseware_id: int) -> dict[str, Any]:
    return _rating("courseware", courseware_id)


@bp.put("/courseware/<int:courseware_id>/evaluation")
@endpoint(
    "Rate an item (1–5) and comment, once its hours are credited; again to change it",
    body=EvaluationIn,
    response=EvaluationOut,
    errors=("courseware_not_found", "not_taken"),
)
def evaluate_courseware(courseware_id: int, body: EvaluationIn) -> dict[str, Any]:
    return evaluations.evaluate(
        current_principal().id, "courseware", courseware_id, body.rating, body.comment
    ).public()


@bp.get("/trainings/<int:training_id>/evaluation")
@endpoint(
    "A training's average rating, and the caller's own evaluation",
    response=RatingOut,
    errors=("training_not_found",),
)
def training_rating(training_id: int) -> dict[str, Any]:
    return _rating("training", training_id)


@bp.put("/trainings/<int:training_id>/evaluation")
@endpoint(
    "Rate a training (1–5) and comment, once attendance is confirmed; again to change it",
    body=EvaluationIn,
    response=EvaluationOut,
    errors=("training_not_found", "not_taken"),
)
def evaluate_training(training_id: int, body: EvaluationIn) -> dict[str, Any]:
    return evaluations.evaluate(
        current_principal().id, "training", training_id, body.rating, body.comment
    ).public()


@bp.get("/evaluations")
@endpoint(
    "Evaluations with comments and who wrote them, newest first (admins)",
    query=EvaluationQuery,
    response=EvaluationPage,
    roles=("admin",),
)
def list_evaluations(query: EvaluationQuery) -> dict[str, Any]:
    rows, total = evaluations.list_evaluations(
        current_principal(), query.target, query.target_id, query.limit, query.offset
    )
    return {"items": [row.public() for row in rows], "total": total}


@bp.get("/evaluations/export")
@endpoint(
    "Evaluations as a CSV or XLSX file (admins)",
    query=ExportQuery,
    roles=("admin",),
)
def export_evaluations(query: ExportQuery) -> Response:
    rows, _total = evaluations.list_evaluations(
        current_principal(), query.target, query.target_id, MAX_EXPORT
    )
    render, mimetype = EXPORTS[query.format]
    return Response(
        render(rows),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="evaluations.{query.format}"'},
    )

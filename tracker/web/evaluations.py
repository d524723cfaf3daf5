"""Evaluation pages: rate an item or a training one took; admins read and export them all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker.api.fields import PAGE_ARG, id_arg
from tracker.auth import current_principal
from tracker.errors import fail
from tracker.exports.evaluations import EXPORTS
from tracker.services import evaluations
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import EvaluationForm, Problems, validated

PAGE_SIZE = 100
MAX_EXPORT = 100_000
_BACK = {"courseware": "web.play", "training": "web.training_page"}


def _back(target: str, target_id: int) -> str:
    key = "courseware_id" if target == "courseware" else "training_id"
    return url_for(_BACK[target], **{key: target_id})


def _page(target: str, target_id: int, problems: Problems | None = None, status: int = 200) -> Any:
    title = evaluations.target_title(target, target_id)
    user_id = current_principal().id
    return render_template(
        "exams/evaluate.html",
        target=target,
        target_id=target_id,
        title=title,
        back=_back(target, target_id),
        rating=evaluations.ratings(target, [target_id]).get(target_id),
        mine=evaluations.mine(user_id, target, target_id),
        allowed=evaluations.may_evaluate(user_id, target, target_id),
        problems=problems or Problems(),
    ), status


def _save(target: str, target_id: int) -> Any:
    form, problems = validated(EvaluationForm, request.form.to_dict())
    if form is None:
        if problems.of("rating"):  # one sentence for a missing or odd rating
            problems.fields["rating"] = [_("Choose a rating from 1 to 5 stars.")]
        return _page(target, target_id, problems, 400)
    evaluations.evaluate(current_principal().id, target, target_id, form.rating, form.comment)
    flash(_("Thank you: your evaluation was saved."), "ok")
    return redirect(_back(target, target_id))


@bp.get("/courseware/<int:courseware_id>/evaluate")
@login_required
def evaluate_courseware(courseware_id: int) -> Any:
    return _page("courseware", courseware_id)


@bp.post("/courseware/<int:courseware_id>/evaluate")
@login_required
def evaluate_courseware_save(courseware_id: int) -> Any:
    return _save("courseware", courseware_id)


@bp.get("/trainings/<int:training_id>/evaluate")
@login_required
def evaluate_training(training_id: int) -> Any:
    return _page("training", training_id)


@bp.post("/trainings/<int:training_id>/evaluate")
@login_required
def evaluate_training_save(training_id: int) -> Any:
    return _save("training", training_id)


def _filters() -> tuple[str | None, int | None]:
    target = request.args.get("target")
    target = target if target in evaluations.TARGETS else None
    target_id = request.args.get("target_id", type=id_arg)
    return target, target_id if target else None


@bp.get("/admin/evaluations")
@admin_page
def admin_evaluations() -> Any:
    target, target_id = _filters()
    page = request.args.get("page", 1, type=PAGE_ARG)
    rows, total = evaluations.list_evaluations(
        current_principal(), target, target_id, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    return render_template(
        "exams/admin_evaluations.html",
        rows=rows,
        total=total,
        target=target,
        target_id=target_id,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


@bp.get("/admin/evaluations/export.<fmt>")
@admin_page
def admin_evaluations_export(fmt: str) -> Any:
    if fmt not in EXPORTS:
        fail("not_found")
    target, target_id = _filters()
    rows, _total = evaluations.list_evaluations(current_principal(), target, target_id, MAX_EXPORT)
    render, mimetype = EXPORTS[fmt]
    return Response(
        render(rows),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="evaluations.{fmt}"'},
    )


@bp.app_template_global("ratings")
def ratings(target: str, ids: Iterable[int]) -> dict[int, evaluations.Rating]:
    """Average ratings of the listed items or trainings, for the catalogue and training list."""
    return evaluations.ratings(target, list(ids))

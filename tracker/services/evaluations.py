"""Evaluations of courseware and trainings: one per person and thing taken, editable; averages
for the catalogue and the training list; every comment for admins."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from tracker.auth import Principal
from tracker.clock import now
from tracker.errors import fail
from tracker.extensions import db
from tracker.ids import is_id
from tracker.models import Courseware, Evaluation, Training, User
from tracker.services import transaction
from tracker.services.completion import attended_trainings, completed_courseware
from tracker.services.scope import admin_scope

TARGETS = ("courseware", "training")


def _column(target: str) -> Any:
    return Evaluation.courseware_id if target == "courseware" else Evaluation.training_id


@dataclass(frozen=True)
class EvaluationView:
    """One person's evaluation of one thing."""

    id: int
    target: str
    target_id: int
    rating: int
    comment: str
    created_at: datetime
    updated_at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "target_id": self.target_id,
            "rating": self.rating,
            "comment": self.comment,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class EvaluationRow:
    """An evaluation with who wrote it and about what (admins)."""

    evaluation: EvaluationView
    user_id: int
    username: str
    display_name: str
    target_title: str

    def public(self) -> dict[str, Any]:
        return {
            **self.evaluation.public(),
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "target_title": self.target_title,
        }


@dataclass(frozen=True)
class Rating:
    """The average rating of one thing and how many gave one."""

    average: float | None
    count: int


def _view(e: Evaluation) -> EvaluationView:
    target = "courseware" if e.courseware_id is not None else "training"
    target_id = e.courseware_id if e.courseware_id is not None else e.training_id
    return EvaluationView(
        e.id, target, target_id or 0, e.rating, e.comment, e.created_at, e.updated_at
    )


def target_title(target: str, target_id: int) -> str:
    """The title of the item or training; its not-found error if there is none."""
    model = Courseware if target == "courseware" else Training
    found = db.session.get(model, target_id) if is_id(target_id) else None
    if found is None or (target == "courseware" and not found.published):
        fail("courseware_not_found" if target == "courseware" else "training_not_found")
    return found.title


def may_evaluate(user_id: int, target: str, target_id: int) -> bool:
    """Whether the user took it: the item's hours fully credited, or attendance confirmed."""
    taken = completed_courseware if target == "courseware" else attended_trainings
    return target_id in taken(user_id, [target_id])


def mine(user_id: int, target: str, target_id: int) -> EvaluationView | None:
    """The user's own evaluation, if they gave one."""
    found = db.session.scalar(
        select(Evaluation).where(Evaluation.user_id == user_id, _column(target) == target_id)
    )
    return _view(found) if found else None


def evaluate(
    user_id: int, target: str, target_id: int, rating: int, comment: str
) -> EvaluationView:
    """Give or change one's evaluation of something one took."""
    with transaction():
        target_title(target, target_id)
        if not may_evaluate(user_id, target, target_id):
            fail("not_taken")
        found = db.session.scalar(
            select(Evaluation)
            .where(Evaluation.user_id == user_id, _column(target) == target_id)
            .with_for_update()
        )
        at = now()
        if found is None:
            found = Evaluation(user_id=user_id, created_at=at, **{f"{target}_id": target_id})
            db.session.add(found)
        found.rating, found.comment, found.updated_at = rating, comment, at
        db.session.flush()
        return _view(found)


def ratings(
    target: str, target_ids: Collection[int], raters: ColumnElement[bool] | None = None
) -> dict[int, Rating]:
    """Average and count per item or training (those without evaluations are left out);
    `raters`: only the evaluations of the users it selects (a unit report's members)."""
    if not target_ids:
        return {}
    column = _column(target)
    query = select(column, func.avg(Evaluation.rating), func.count()).where(
        column.in_(list(target_ids))
    )
    if raters is not None:
        query = query.join(User, User.id == Evaluation.user_id).where(raters)
    rows = db.session.execute(query.group_by(column))
    return {target_id: Rating(round(float(avg), 2), n) for target_id, avg, n in rows}


def _filter(target: str | None, target_id: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if target is not None:
        where.append(_column(target).is_not(None))
        if target_id is not None:
            where.append(_column(target) == target_id)
    return where


def list_evaluations(
    principal: Principal,
    target: str | None = None,
    target_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[EvaluationRow], int]:
    """Evaluations by the people `principal` administers, with their comments, newest first,
    and how many match."""
    where = [*_filter(target, target_id), admin_scope(principal).of_people(Evaluation.user_id)]
    total = db.session.scalar(select(func.count()).select_from(Evaluation).where(*where)) or 0
    rows = db.session.execute(
        select(Evaluation, User.username, User.display_name, Courseware.title, Training.title)
        .join(User, User.id == Evaluation.user_id)
        .outerjoin(Courseware, Courseware.id == Evaluation.courseware_id)
        .outerjoin(Training, Training.id == Evaluation.training_id)
        .where(*where)
        .order_by(Evaluation.updated_at.desc(), Evaluation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        EvaluationRow(_view(e), e.user_id, username, name, item_title or training_title or "")
        for e, username, name, item_title, training_title in rows
    ], total

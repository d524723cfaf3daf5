"""Training projects as a caller sees them: listing with filters, one training, categories."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, extract, func, or_, select

from tracker import clock
from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Training, TrainingMaterial, TrainingParticipant, User
from tracker.services.rules import no_credit_reason, rule_sets
from tracker.services.scope import admin_scope

PARTICIPANT_CATEGORIES = ("management", "support", "staff", "research", "external")
FILING_MATERIALS = ("notice", "schedule", "sign_in")
MONEY = ("budget", "actual_spend")


@dataclass(frozen=True)
class FilingView:
    """Whether a training's materials were filed in time."""

    due: date | None
    filed_at: datetime | None
    missing: tuple[str, ...]
    overdue: bool

    @property
    def filed(self) -> bool:
        """Whether every required document is in."""
        return self.filed_at is not None


@dataclass(frozen=True)
class TrainingView:
    """A training as shown to one caller (with their own enrolment)."""

    id: int
    title: str
    category: str
    type: str
    organizer: str
    location: str
    start_date: date
    end_date: date
    days: float
    hours_ms: int
    rule_set: str
    subject: str | None
    enrolment_open: bool
    enrolled: int
    capacity: int | None
    form: dict[str, Any]  # the filing form's other fields; budget and spend None if hidden
    filing: FilingView | None  # None: hidden from the caller
    my_status: str | None = None
    my_credited_ms: int | None = None
    unit_id: int | None = None  # the unit that filed it; None: organisation-wide
    my_void_reason: str = ""  # why a confirmation of the caller's was voided
    my_no_credit_reason: str = ""  # why a confirmed attendance of the caller's earns nothing

    @property
    def status(self) -> str:
        """open, full (capacity reached) or closed (enrolment closed by an admin)."""
        if not self.enrolment_open:
            return "closed"
        if self.capacity is not None and self.enrolled >= self.capacity:
            return "full"
        return "open"


_FORM_FIELDS = ["audience", "purpose", "content", "department", "contact", "email", "phone"]


def _filing(training: Training, kinds: set[str]) -> FilingView:
    rules = rule_sets().get(training.rule_set_id)
    deadline = rules.filing_deadline_days if rules else None
    due = training.end_date + timedelta(days=deadline) if deadline is not None else None
    missing = tuple(kind for kind in FILING_MATERIALS if kind not in kinds)
    overdue = due is not None and training.filed_at is None and clock.today() > due
    return FilingView(due, training.filed_at, missing, overdue)


def _form(training: Training) -> dict[str, Any]:
    counts = {c: getattr(training, f"participants_{c}") for c in PARTICIPANT_CATEGORIES}
    return {
        **{name: getattr(training, name) for name in _FORM_FIELDS},
        **{name: _float(getattr(training, name)) for name in MONEY},
        "participants": counts if any(v is not None for v in counts.values()) else None,
    }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def view_of(
    training: Training,
    enrolled: int,
    kinds: set[str],
    mine: TrainingParticipant | None = None,
) -> TrainingView:
    """The view of `training` with its enrolment count, filed material kinds and `mine`."""
    return TrainingView(
        id=training.id,
        title=training.title,
        category=training.category,
        type=training.training_type,
        organizer=training.organizer,
        location=training.location,
        start_date=training.start_date,
        end_date=training.end_date,
        days=float(training.days),
        hours_ms=training.hours_ms,
        rule_set=training.rule_set_id,
        subject=training.subject,
        enrolment_open=training.enrolment_open,
        enrolled=enrolled,
        capacity=training.capacity,
        form=_form(training),
        filing=_filing(training, kinds),
        my_status=mine.status if mine else None,
        my_credited_ms=mine.credited_ms if mine and mine.status == "confirmed" else None,
        unit_id=training.unit_id,
        my_void_reason=mine.void_reason if mine and mine.status == "voided" else "",
        my_no_credit_reason=_no_credit(mine),
    )


def _no_credit(mine: TrainingParticipant | None) -> str:
    if mine is None or mine.status != "confirmed" or mine.credited_ms:
        return ""
    user = db.session.get(User, mine.user_id)
    return no_credit_reason(user, mine.absent_fraction, mine.assessment) if user else ""


def _views(trainings: list[Training], user_id: int) -> list[TrainingView]:
    ids = [t.id for t in trainings]
    if not ids:
        return []
    counts = dict(
        db.session.execute(
            select(TrainingParticipant.training_id, func.count())
            .where(TrainingParticipant.training_id.in_(ids))
            .group_by(TrainingParticipant.training_id)
        ).all()
    )
    mine = {
        p.training_id: p
        for p in db.session.scalars(
            select(TrainingParticipant).where(
                TrainingParticipant.training_id.in_(ids), TrainingParticipant.user_id == user_id
            )
        )
    }
    kinds: dict[int, set[str]] = {}
    for training_id, kind in db.session.execute(
        select(TrainingMaterial.training_id, TrainingMaterial.kind).where(
            TrainingMaterial.training_id.in_(ids)
        )
    ):
        kinds.setdefault(training_id, set()).add(kind)
    return [
        view_of(t, counts.get(t.id, 0), kinds.get(t.id, set()), mine.get(t.id)) for t in trainings
    ]


def _filtered(query: Select[Any], filters: dict[str, Any], unit_id: int | None) -> Select[Any]:
    if filters.get("category"):
        query = query.where(Training.category == filters["category"])
    if filters.get("type"):
        query = query.where(Training.training_type == filters["type"])
    if filters.get("year"):
        year = filters["year"]
        query = query.where(
            extract("year", Training.start_date) <= year,
            extract("year", Training.end_date) >= year,
        )
    if filters.get("q"):
        query = query.where(Training.title.contains(filters["q"], autoescape=True))
    own = Training.unit_id.is_(None) if unit_id is None else Training.unit_id == unit_id
    if filters.get("source") == "own":
        query = query.where(own)
    elif filters.get("source") == "other":
        query = query.where(~own if unit_id is None else or_(~own, Training.unit_id.is_(None)))
    return query


def list_trainings(principal: Principal, filters: dict[str, Any]) -> list[TrainingView]:
    """Trainings matching the filters (category, source, type, year, open, overdue, text)."""
    unit_id = db.session.scalar(select(User.unit_id).where(User.id == principal.id))
    query = _filtered(select(Training), filters, unit_id)
    if principal.role == "admin":  # a unit admin: its units' trainings and organisation-wide
        query = query.where(or_(Training.unit_id.is_(None), holds(principal, Training.unit_id)))
    trainings = list(db.session.scalars(query.order_by(Training.start_date.desc(), Training.id)))
    views = _views(trainings, principal.id)
    if filters.get("open") is not None:
        views = [v for v in views if (v.status == "open") == filters["open"]]
    if filters.get("overdue") is not None:
        views = [v for v in views if v.filing and v.filing.overdue == filters["overdue"]]
    return [shown_to(principal, view) for view in views]


def get_training(principal: Principal, training_id: int) -> TrainingView:
    """One training with the caller's enrolment; `training_not_found` if missing (or, for a
    unit admin, filed by a unit outside its own)."""
    training = load_training(training_id)
    if principal.role == "admin" and training.unit_id is not None:
        training = held_training(principal, training_id)
    return shown_to(principal, _views([training], principal.id)[0])


def training_to_edit(principal: Principal, training_id: int) -> TrainingView:
    """A training `principal` holds, for its filing form; `training_not_found` otherwise."""
    held_training(principal, training_id)
    return get_training(principal, training_id)


def shown_to(principal: Principal, view: TrainingView) -> TrainingView:
    """The training as `principal` may see it: budget, spend and filing are for the admins
    who hold it (its unit's and the organisation's)."""
    if admin_scope(principal).covers_unit(view.unit_id):
        return view
    return replace(view, form={**view.form, **dict.fromkeys(MONEY)}, filing=None)


def categories() -> list[str]:
    """The categories in use, for the list filter."""
    return list(
        db.session.scalars(select(Training.category).distinct().order_by(Training.category))
    )


def load_training(training_id: int, lock: bool = False) -> Training:
    """The training, locked for the transaction if asked; `training_not_found` if missing."""
    query = select(Training).where(Training.id == training_id)
    training = db.session.scalar(query.with_for_update() if lock else query)
    if training is None:
        fail("training_not_found")
    return training


def holds(principal: Principal, unit_id: ColumnElement[int | None]) -> ColumnElement[bool]:
    """A WHERE clause keeping the trainings `principal` holds (files, edits, documents): those
    of its units; the organisation's admins hold every one."""
    return admin_scope(principal).units(unit_id)


def held_training(principal: Principal, training_id: int, lock: bool = False) -> Training:
    """A training `principal` holds (filed by one of its units, or any for the organisation);
    `training_not_found` otherwise."""
    training = load_training(training_id, lock=lock)
    if not admin_scope(principal).covers_unit(training.unit_id):
        fail("training_not_found")
    return training


def attended_training(principal: Principal, training_id: int, lock: bool = False) -> Training:
    """A training whose attendance `principal` keeps for its own people: one it holds, or an
    organisation-wide one; `training_not_found` otherwise."""
    training = load_training(training_id, lock=lock)
    if training.unit_id is not None:
        return held_training(principal, training_id, lock)
    return training

"""Filing training projects: creating and changing them (new days re-credit attendees)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracker import clock
from tracker.auth import Principal
from tracker.core.rules import RuleSet, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Training, TrainingParticipant, User
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.rules import rule_set_for, rule_sets
from tracker.services.trainings.attendance import credit_ms
from tracker.services.trainings.listing import (
    MONEY,
    PARTICIPANT_CATEGORIES,
    TrainingView,
    get_training,
    held_training,
    view_of,
)


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    columns = {k: v for k, v in fields.items() if k not in ("participants", "type")}
    if "type" in fields:
        columns["training_type"] = fields["type"]
    if "participants" in fields:
        counts = fields["participants"] or {}
        for category in PARTICIPANT_CATEGORIES:
            columns[f"participants_{category}"] = counts.get(category)
    for name in (*MONEY, "days"):
        if columns.get(name) is not None:
            columns[name] = Decimal(str(columns[name]))
    return columns


def _hours_ms(rules: RuleSet, days: Decimal | float) -> int:
    return hours_to_ms(rules.training_hours(float(days)))


def create_training(principal: Principal, fields: dict[str, Any]) -> TrainingView:
    """File a training; its hours are its days under the creating admin's rule set."""
    with transaction():
        admin = db.session.get(User, principal.id)
        rules = rule_set_for(admin)
        columns = _columns(fields)
        training = Training(
            **columns,
            hours_ms=_hours_ms(rules, columns["days"]),
            rule_set_id=rules.id,
            unit_id=admin.unit_id,
            created_by=admin.id,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        db.session.add(training)
        db.session.flush()
        log_action(principal.id, "training.create", "training", training.id, new=_snapshot(fields))
        return view_of(training, 0, set())


def update_training(principal: Principal, training_id: int, fields: dict[str, Any]) -> TrainingView:
    """Change a training its unit (or the organisation) holds; new days re-credit everyone
    already confirmed."""
    with transaction():
        training = held_training(principal, training_id, lock=True)
        columns = _columns(fields)
        old = {k: _plain(getattr(training, k)) for k in columns}
        for name, value in columns.items():
            setattr(training, name, value)
        if training.end_date < training.start_date:
            fail("bad_payload", _("The end date must not be before the start date."))
        if "days" in columns and old["days"] != float(columns["days"]):
            rules = rule_sets()[training.rule_set_id]
            training.hours_ms = _hours_ms(rules, training.days)
            _recredit(training)
        training.updated_at = clock.now()
        new = {k: _plain(getattr(training, k)) for k in columns}
        changed = [k for k in columns if old[k] != new[k]]
        if changed:
            old, new = {k: old[k] for k in changed}, {k: new[k] for k in changed}
            log_action(principal.id, "training.update", "training", training.id, old=old, new=new)
        db.session.flush()
    return get_training(principal, training_id)


def _recredit(training: Training) -> None:
    for participant in db.session.scalars(
        select(TrainingParticipant).where(
            TrainingParticipant.training_id == training.id,
            TrainingParticipant.status == "confirmed",
        )
    ):
        user = db.session.get(User, participant.user_id)
        participant.credited_ms = credit_ms(
            training, user, participant.absent_fraction or 0.0, participant.assessment
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _snapshot(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in fields.items()}

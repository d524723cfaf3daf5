"""Filing training projects: creating and changing them (new days re-credit attendees)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, or_, select

from tracker import clock
from tracker.auth import Principal
from tracker.core.calendar import days_fit
from tracker.core.rules import RuleSet, hours_to_ms
from tracker.extensions import db
from tracker.models import Notice, Training, TrainingMaterial, TrainingParticipant, User
from tracker.services import flags, transaction
from tracker.services.audit import log_action
from tracker.services.notices import notify
from tracker.services.rules import rule_set_for, rule_sets
from tracker.services.trainings.attendance import credit_ms
from tracker.services.trainings.listing import (
    MONEY,
    PARTICIPANT_CATEGORIES,
    FilingView,
    TrainingView,
    get_training,
    held_training,
    view_of,
)
from tracker.validation import refusal

# What a training's attendees are credited and on which days: a change re-scans them.
SCHEDULE = {"start_date", "end_date", "days", "subject"}


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
        years = flags.years_of(training.start_date, training.end_date)
        for name, value in columns.items():
            setattr(training, name, value)
        if training.end_date < training.start_date:
            raise refusal("end_before_start")
        period = {"start_date", "end_date", "days"} & columns.keys()
        # Only a change of them: a training filed before the rule can still be renamed.
        if period and not days_fit(float(training.days), training.start_date, training.end_date):
            raise refusal("days_beyond_period")
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
        if SCHEDULE.intersection(changed):
            years = range(
                min(years.start, training.start_date.year),
                max(years.stop, training.end_date.year + 1),
            )
            flags.refresh(_confirmed(training), years)
        db.session.flush()
    return get_training(principal, training_id)


def _confirmed(training: Training) -> list[int]:
    """Who has a confirmed attendance of `training`."""
    return list(
        db.session.scalars(
            select(TrainingParticipant.user_id).where(
                TrainingParticipant.training_id == training.id,
                TrainingParticipant.status == "confirmed",
            )
        )
    )


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


def remind_overdue_filings(batch: int) -> int:
    """Tell the filing admin of each overdue training, once per training; how many were told.

    At most `batch` trainings in one transaction, until none is left to tell.
    """
    told = 0
    while True:
        with transaction():
            due = _overdue_candidates(batch)
            for training, filing in due:
                notify(
                    training.created_by,
                    "filing_overdue",
                    once=f"filing_overdue:{training.id}",
                    training_id=training.id,
                    title=training.title,
                    end=training.end_date,
                    due=filing.due,
                )
        told += len(due)
        if len(due) < batch:
            return told


def _overdue_candidates(batch: int) -> list[tuple[Training, FilingView]]:
    today = clock.today()
    # In SQL only a pre-selection (unfiled, past some rule set's deadline, its admin not told
    # yet); whether a training is overdue is decided by its filing view, as the pages show it.
    past_deadline = [
        and_(
            Training.rule_set_id == rules.id,
            Training.end_date < today - timedelta(days=rules.filing_deadline_days),
        )
        for rules in rule_sets().values()
        if rules.filing_deadline_days is not None
    ]
    if not past_deadline:
        return []
    told = select(Notice.id).where(
        Notice.user_id == Training.created_by,
        Notice.once_key == literal("filing_overdue:") + cast(Training.id, String),
    )
    trainings = list(
        db.session.scalars(
            select(Training)
            .where(
                Training.filed_at.is_(None),
                Training.created_by.is_not(None),
                or_(*past_deadline),
                ~exists(told),
            )
            .order_by(Training.id)
            .limit(batch)
        )
    )
    kinds: dict[int, set[str]] = {}
    for training_id, kind in db.session.execute(
        select(TrainingMaterial.training_id, TrainingMaterial.kind).where(
            TrainingMaterial.training_id.in_([t.id for t in trainings])
        )
    ):
        kinds.setdefault(training_id, set()).add(kind)
    views = [(t, view_of(t, 0, kinds.get(t.id, set())).filing) for t in trainings]
    return [(t, filing) for t, filing in views if filing is not None and filing.overdue]

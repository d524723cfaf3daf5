"""Enrolment and attendance: one person at a time, or a whole CSV file at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker import clock
from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Training, TrainingParticipant, User
from tracker.services import flags, transaction
from tracker.services.audit import log_action
from tracker.services.csvfile import problem
from tracker.services.notices import notify
from tracker.services.rules import no_credit_reason, rule_set_for
from tracker.services.scope import AdminScope, admin_scope
from tracker.services.trainings.attendance_csv import AttendanceLine, parse_attendance
from tracker.services.trainings.listing import attended_training, load_training


@dataclass(frozen=True)
class AttendanceView:
    """One person on a training."""

    training_id: int
    user_id: int
    username: str
    display_name: str
    status: str
    absent_fraction: float | None
    assessment: str | None
    credited_ms: int
    confirmed_at: datetime | None
    voided_at: datetime | None = None
    void_reason: str = ""
    no_credit_reason: str = ""  # why a confirmed attendance earns nothing


def enrol(principal: Principal, training_id: int) -> str:
    """Enrol the caller; idempotent. Enrolment is approved at once (docs/learning.md)."""
    with transaction():
        training = load_training(training_id, lock=True)
        mine = db.session.get(TrainingParticipant, (training_id, principal.id))
        if mine is not None:
            return mine.status
        if not training.enrolment_open:
            fail("training_closed")
        taken = db.session.scalar(
            select(func.count()).where(TrainingParticipant.training_id == training_id)
        )
        if training.capacity is not None and taken >= training.capacity:
            fail("training_full")
        db.session.add(
            TrainingParticipant(
                training_id=training_id,
                user_id=principal.id,
                status="approved",
                enrolled_at=clock.now(),
                credited_ms=0,
            )
        )
        return "approved"


def credit_ms(
    training: Training, user: User, absent_fraction: float, assessment: str | None
) -> int:
    """What `user` is credited for `training` under their own rule set."""
    rules = rule_set_for(user)
    hours = rules.training_hours(float(training.days))
    return rules.offline_credit_ms(hours, absent_fraction, assessment != "failed")


def _confirm(
    principal: Principal, training: Training, user: User, absent_fraction: float, assessment: str
) -> TrainingParticipant:
    participant = db.session.get(TrainingParticipant, (training.id, user.id))
    if participant is None:
        participant = TrainingParticipant(training_id=training.id, user_id=user.id, credited_ms=0)
        db.session.add(participant)
    old = _attendance_state(participant)
    participant.status = "confirmed"
    participant.absent_fraction = absent_fraction
    participant.assessment = assessment
    participant.credited_ms = credit_ms(training, user, absent_fraction, assessment)
    new = _attendance_state(participant)
    if old != new:
        participant.confirmed_by = principal.id
        participant.confirmed_at = clock.now()
        participant.voided_by, participant.voided_at, participant.void_reason = None, None, ""
        log_action(
            principal.id,
            "attendance.confirm",
            "training",
            training.id,
            user_id=user.id,
            old=old,
            new=new,
        )
        notify(
            user.id,
            "attendance_confirmed",
            training_id=training.id,
            title=training.title,
            credited_ms=participant.credited_ms,
            **_why_nothing(user, absent_fraction, assessment),
        )
    return participant


def _why_nothing(user: User, absent_fraction: float, assessment: str) -> dict[str, Any]:
    """The notice's reason for crediting nothing, kept as the rule set's code and limit."""
    rules = rule_set_for(user)
    why = rules.offline_void(absent_fraction, assessment != "failed")
    return {"why": why, "absence_voids_at": rules.absence_voids_at} if why else {}


def _attendance_state(participant: TrainingParticipant) -> dict[str, Any] | None:
    if participant.status != "confirmed":
        return None
    return {
        "absent_fraction": participant.absent_fraction,
        "assessment": participant.assessment,
        "credited_ms": participant.credited_ms,
    }


def confirm_attendance(
    principal: Principal, training_id: int, user_id: int, absent_fraction: float, assessment: str
) -> AttendanceView:
    """Confirm the attendance of someone `principal` administers; their own rule set decides
    the credit."""
    with transaction():
        training = attended_training(principal, training_id, lock=True)
        user = db.session.get(User, user_id)
        if user is None or not admin_scope(principal).covers_unit(user.unit_id):
            fail("user_not_found")
        participant = _confirm(principal, training, user, absent_fraction, assessment)
        flags.refresh([user.id], flags.years_of(training.start_date, training.end_date))
        return _attendance_view(participant, user)


def void_attendance(
    principal: Principal, training_id: int, user_id: int, reason: str
) -> AttendanceView:
    """An admin over the person voids their confirmed attendance: its hours leave the archive."""
    with transaction():
        training = load_training(training_id, lock=True)
        if not admin_scope(principal).covers(user_id):
            fail("attendance_not_found")  # people outside the scope are not revealed to exist
        participant = db.session.get(TrainingParticipant, (training_id, user_id))
        if participant is None or participant.status != "confirmed":
            fail("attendance_not_found")
        old = _attendance_state(participant)
        participant.status = "voided"
        participant.credited_ms = 0
        participant.voided_by = principal.id
        participant.voided_at = clock.now()
        participant.void_reason = reason
        log_action(
            principal.id,
            "attendance.void",
            "training",
            training_id,
            user_id=user_id,
            old=old,
            new={"status": "voided"},
            reason=reason,
        )
        notify(
            user_id,
            "attendance_voided",
            training_id=training.id,
            title=training.title,
            reason=reason,
        )
        flags.refresh([user_id], flags.years_of(training.start_date, training.end_date))
        return _attendance_view(participant, db.session.get(User, user_id))


def _attendance_view(participant: TrainingParticipant, user: User) -> AttendanceView:
    return AttendanceView(
        training_id=participant.training_id,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        status=participant.status,
        absent_fraction=participant.absent_fraction,
        assessment=participant.assessment,
        credited_ms=participant.credited_ms,
        confirmed_at=participant.confirmed_at,
        voided_at=participant.voided_at,
        void_reason=participant.void_reason or "",
        no_credit_reason=(
            no_credit_reason(user, participant.absent_fraction, participant.assessment)
            if participant.status == "confirmed" and not participant.credited_ms
            else ""
        ),
    )


def attendance(principal: Principal, training_id: int) -> list[AttendanceView]:
    """Everyone `principal` administers enrolled on or confirmed for a training, by username."""
    attended_training(principal, training_id)
    rows = db.session.execute(
        select(TrainingParticipant, User)
        .join(User, User.id == TrainingParticipant.user_id)
        .where(TrainingParticipant.training_id == training_id, admin_scope(principal).members())
        .order_by(User.username)
    )
    return [_attendance_view(participant, user) for participant, user in rows]


def _users_by_name(scope: AdminScope, lines: list[AttendanceLine]) -> dict[str, User]:
    names = [line.username for line in lines]
    found = select(User).where(User.username.in_(names), scope.members())
    users = {u.username: u for u in db.session.scalars(found)}
    unknown = [
        problem(line.line, _("There is no user %(username)s.", username=line.username))
        for line in lines
        if line.username not in users
    ]
    if unknown:
        fail("bad_csv", details=unknown)
    return users


def import_attendance(principal: Principal, training_id: int, data: bytes) -> list[AttendanceView]:
    """Confirm every line of an attendance file, or none of them."""
    with transaction():
        training = attended_training(principal, training_id, lock=True)
        lines = parse_attendance(data)
        users = _users_by_name(admin_scope(principal), lines)  # outsiders: "no user"
        confirmed = []
        for line in lines:
            user = users[line.username]
            participant = _confirm(principal, training, user, line.absent_fraction, line.assessment)
            confirmed.append((participant, user))
        years = flags.years_of(training.start_date, training.end_date)
        flags.refresh([user.id for _, user in confirmed], years)
        return [_attendance_view(participant, user) for participant, user in confirmed]

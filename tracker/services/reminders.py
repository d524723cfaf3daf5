"""The scheduled reminders (`flask --app wsgi notices send-reminders`): people behind their
yearly target late in the year, and trainings whose filing is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import exists, select

from tracker import clock
from tracker.extensions import db
from tracker.models import Notice, User
from tracker.services import transaction
from tracker.services.notices import notify
from tracker.services.reports import members_year
from tracker.services.trainings.filing import remind_overdue_filings


def reminders_from(text: object, year: int) -> date:
    """The day of `year` from which people behind their target are reminded ("MM-DD")."""
    try:
        month, day = (int(part) for part in str(text).split("-"))
        return date(year, month, day)
    except ValueError:
        raise ValueError(
            f"TRACKER_REMINDERS_FROM must be a day of the year as MM-DD, not {text!r}"
        ) from None


@dataclass(frozen=True)
class ReminderRun:
    """What one run did."""

    checked: int  # people whose year was looked at
    behind: int  # of them, reminded now that they are behind their target
    overdue_filings: int  # filing admins told of an overdue training


def send_reminders() -> ReminderRun:
    """Remind whoever is behind this year's target (from REMINDERS_FROM on, once a month each)
    and tell filing admins of overdue trainings (once per training); a rerun adds nothing."""
    batch = int(current_app.config["REMINDER_BATCH"])
    today = clock.today()
    checked = behind = 0
    if today >= reminders_from(current_app.config["REMINDERS_FROM"], today.year):
        checked, behind = _remind_behind(today, batch)
    return ReminderRun(checked, behind, remind_overdue_filings(batch))


def _remind_behind(today: date, batch: int) -> tuple[int, int]:
    once = f"target_at_risk:{today:%Y-%m}"
    reminded = select(Notice.id).where(Notice.user_id == User.id, Notice.once_key == once)
    checked = behind = 0
    after = 0
    while True:
        with transaction():
            ids = list(
                db.session.scalars(
                    select(User.id)
                    .where(
                        User.id > after,
                        User.active.is_(True),
                        User.role.in_(("learner", "leader")),
                        ~exists(reminded),
                    )
                    .order_by(User.id)
                    .limit(batch)
                )
            )
            if not ids:
                return checked, behind
            for row in members_year(User.id.in_(ids), today.year):
                if row.compliance.compliant:
                    continue
                notify(
                    row.user_id,
                    "target_at_risk",
                    once=once,
                    year=today.year,
                    target_ms=row.compliance.target_ms,
                    effective_ms=row.compliance.effective_ms,
                    remaining_ms=row.compliance.remaining_ms,
                    shortfalls=dict(row.compliance.shortfalls),
                )
                behind += 1
        checked += len(ids)
        after = ids[-1]

"""The year's certificates: issued by an admin to everyone in a unit whose year met the target.

Apart from `services.certificates` because it reads the unit report, which counts exams, whose
passes issue certificates through that module.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.clock import now, this_year
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Certificate
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.certificates import CertificateView, certificate_view, issue_certificate
from tracker.services.reports import unit_report
from tracker.services.rules import rule_sets
from tracker.services.scope import actor_scope


def issue_yearly(actor_id: int, unit_id: int, year: int) -> tuple[list[CertificateView], int, int]:
    """The year's certificate for everyone in the unit (and below) who met the target:
    (those issued now, how many held one already, how many did not meet the target)."""
    if year > this_year():
        message = _("The year has not begun yet.")
        fail("bad_payload", details=[{"field": "year", "problem": message}])
    report = unit_report(actor_scope(actor_id), unit_id, year)  # unit_not_found if not theirs
    met = {row.user_id: row for row in report.rows if row.compliance.compliant}
    try:
        issued, held = _issue_year(actor_id, unit_id, year, met)
    except IntegrityError:
        # Another admin issued some of them at this very moment: theirs stand, add the rest.
        issued, held = _issue_year(actor_id, unit_id, year, met)
    return issued, held, len(report.rows) - len(met)


def _issue_year(
    actor_id: int, unit_id: int, year: int, met: dict[int, Any]
) -> tuple[list[CertificateView], int]:
    keys = {f"year:{year}:{user_id}": user_id for user_id in met}
    with transaction():
        held = set(
            db.session.scalars(select(Certificate.valid_key).where(Certificate.valid_key.in_(keys)))
        )
        at = now()
        titles = rule_sets()
        issued = [
            issue_certificate(
                "year",
                user_id,
                key,
                at,
                year=year,
                title=titles[met[user_id].rule_set].title[:200],
                hours_ms=met[user_id].compliance.effective_ms,
                issued_by=actor_id,
            )
            for key, user_id in keys.items()
            if key not in held
        ]
        db.session.flush()
        log_action(
            actor_id,
            "certificate.issue_yearly",
            "unit",
            unit_id,
            year=year,
            numbers=[c.number for c in issued],
        )
        return [certificate_view(c) for c in issued], len(held)

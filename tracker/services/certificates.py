"""Certificates: issued on passing an exam or, by an admin, for a year's met target; verified
by number without logging in; revoked with an audit entry."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from tracker import wire
from tracker.auth import Principal
from tracker.clock import local_day, now
from tracker.errors import fail
from tracker.extensions import db
from tracker.ids import is_id
from tracker.models import Certificate, ExamAttempt, User
from tracker.services import transaction
from tracker.services.access import may_see
from tracker.services.audit import log_action
from tracker.services.scope import actor_scope, admin_scope

if TYPE_CHECKING:
    from tracker.services.exams.views import ExamView

# Crockford's base 32: no I, L, O or U, so a number read aloud or retyped survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = {"exam": "EX", "year": "CE"}
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NUMBER = re.compile(r"^(EX|CE)\d{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def new_number(kind: str, year: int) -> str:
    """A fresh certificate number: its kind, the year, and 80 random bits (e.g.
    EX2026-7KQ4-M2ZD-X9PA-3RTB); unguessable, so a list of them cannot be walked."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(4))
    return f"{PREFIX[kind]}{year}-" + "-".join(groups)


def normalize_number(text: str) -> str | None:
    """A number as typed (spaces, lower case, O for 0) in its printed form, if it is one."""
    cleaned = re.sub(r"\s+", "", text).upper()
    number = cleaned[:2] + cleaned[2:].translate(_CONFUSABLE)
    return number if _NUMBER.match(number) else None


@dataclass(frozen=True)
class CertificateView:
    """A certificate as issued, and whether it was revoked."""

    id: int
    number: str
    kind: str
    user_id: int
    holder: str
    title: str
    subject: str | None
    hours_ms: int
    score: float | None
    year: int | None
    exam_id: int | None
    issued_on: date
    revoked_at: datetime | None
    revoke_reason: str

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def _certified(self) -> dict[str, Any]:
        """What the certificate says."""
        return {
            "number": self.number,
            "kind": self.kind,
            "holder": self.holder,
            "title": self.title,
            "subject": self.subject,
            "hours": wire.hours(self.hours_ms),
            "score": self.score,
            "year": self.year,
            "issued_on": self.issued_on,
        }

    def public(self, admin: bool = False) -> dict[str, Any]:
        """As the API shows it; the reason for a revocation is for admins."""
        return {
            **self._certified(),
            "id": self.id,
            "user_id": self.user_id,
            "exam_id": self.exam_id,
            "revoked": self.revoked,
            "revoked_at": self.revoked_at,
            "revoke_reason": self.revoke_reason if admin else None,
        }

    def verification(self) -> dict[str, Any]:
        """What the public verification page may say: what is printed on it, and its state."""
        return {
            **self._certified(),
            "genuine": True,
            "valid": not self.revoked,
            "revoked_on": local_day(self.revoked_at) if self.revoked_at else None,
        }


def certificate_view(c: Certificate) -> CertificateView:
    return CertificateView(
        id=c.id,
        number=c.number,
        kind=c.kind,
        user_id=c.user_id,
        holder=c.holder,
        title=c.title,
        subject=c.subject,
        hours_ms=c.hours_ms,
        score=None if c.score_pct is None else float(c.score_pct),
        year=c.year,
        exam_id=c.exam_id,
        issued_on=c.issued_on,
        revoked_at=c.revoked_at,
        revoke_reason=c.revoke_reason or "",
    )


def _holder(user_id: int) -> str:
    user = db.session.get(User, user_id)
    return (user.display_name or user.username)[:120]


def issue_certificate(
    kind: str, user_id: int, valid_key: str, at: datetime, **fields: Any
) -> Certificate:
    """Add a certificate inside the caller's transaction."""
    certificate = Certificate(
        number=new_number(kind, local_day(at).year),
        kind=kind,
        user_id=user_id,
        holder=_holder(user_id),
        issued_on=local_day(at),
        issued_at=at,
        valid_key=valid_key,
        revoke_reason="",
        **fields,
    )
    db.session.add(certificate)
    return certificate


def issue_for_exam(exam: ExamView, attempt: ExamAttempt, percent: float, at: datetime) -> None:
    """The certificate of a passed exam, inside the attempt's own transaction."""
    key = f"exam:{exam.id}:{attempt.user_id}"
    if db.session.scalar(select(Certificate.id).where(Certificate.valid_key == key)):
        return
    certificate = issue_certificate(
        "exam",
        attempt.user_id,
        key,
        at,
        exam_id=exam.id,
        attempt_id=attempt.id,
        title=(exam.courseware_title or exam.title)[:200],
        subject=exam.subject,
        hours_ms=exam.hours_ms,
        score_pct=Decimal(str(percent)),
    )
    db.session.flush()
    log_action(None, "certificate.issue", "certificate", certificate.id, number=certificate.number)


def revoke(actor_id: int, certificate_id: int, reason: str) -> CertificateView:
    """Revoke a certificate (e.g. a falsified claim); verification shows it from now on."""
    with transaction():
        certificate = _load(certificate_id, lock=True)
        if not actor_scope(actor_id).covers(certificate.user_id):
            fail("certificate_not_found")
        if certificate.revoked_at is not None:
            fail("certificate_revoked")
        certificate.revoked_at = now()
        certificate.revoked_by = actor_id
        certificate.revoke_reason = reason
        certificate.valid_key = None
        log_action(
            actor_id,
            "certificate.revoke",
            "certificate",
            certificate.id,
            number=certificate.number,
            user_id=certificate.user_id,
            reason=reason,
        )
        db.session.flush()
        return certificate_view(certificate)


def _load(certificate_id: int, lock: bool = False) -> Certificate:
    certificate = (
        db.session.get(Certificate, certificate_id, with_for_update=lock)
        if is_id(certificate_id)
        else None
    )
    if certificate is None:
        fail("certificate_not_found")
    return certificate


def get_certificate(certificate_id: int) -> CertificateView:
    """One certificate by id."""
    return certificate_view(_load(certificate_id))


def verify(number: str) -> CertificateView | None:
    """The certificate with this number, if there is one."""
    printed = normalize_number(number[:64])
    if printed is None:
        return None
    found = db.session.scalar(select(Certificate).where(Certificate.number == printed))
    return certificate_view(found) if found else None


def shown_to(principal: Principal, certificate: CertificateView | None) -> CertificateView:
    """The certificate if `principal` may see it (their own, or of someone they administer);
    `certificate_not_found` otherwise."""
    if certificate is None or not may_see(principal, certificate.user_id):
        fail("certificate_not_found")
    return certificate


def list_certificates(
    principal: Principal,
    user_id: int | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[CertificateView], int]:
    """Certificates (of one user, of one kind), newest first, and how many match: a learner's
    own; an admin's people's (`forbidden` for a `user_id` outside them)."""
    if principal.role != "admin":
        user_id = principal.id
    elif user_id is not None and not may_see(principal, user_id):
        fail("forbidden")
    query = select(Certificate)
    if user_id is None:
        query = query.where(admin_scope(principal).of_people(Certificate.user_id))
    else:
        query = query.where(Certificate.user_id == user_id)
    if kind is not None:
        query = query.where(Certificate.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [certificate_view(c) for c in rows], total

"""Self-reported learning: filing, evidence, the review queue, and what a claim would count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import extract, func, select, true

from tracker import clock
from tracker.auth import Principal
from tracker.core.archive import ClaimPreview, YearTotals, preview_claim, total_year
from tracker.core.rules import RECORD_KIND, RuleSet, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import LearningRecord, RecordEvidence, User
from tracker.services import transaction
from tracker.services.access import may_see
from tracker.services.audit import log_action
from tracker.services.entries import year_entries
from tracker.services.rules import rule_set_for
from tracker.services.scope import admin_scope
from tracker.services.uploads import Upload, stored

DECIDED = {"approve": "approved", "reject": "rejected"}


@dataclass(frozen=True)
class EvidenceView:
    """A supporting document of a record."""

    id: int
    record_id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    stored_name: str = ""


@dataclass(frozen=True)
class RecordView:
    """A record as its owner and the admins see it."""

    id: int
    user_id: int
    username: str
    display_name: str
    kind: str
    title: str
    organizer: str
    location: str
    content: str
    subject: str | None
    start_date: date
    end_date: date
    claimed_ms: int
    status: str
    approved_ms: int | None
    note: str
    reviewer_id: int | None
    reviewed_at: datetime | None
    created_at: datetime
    evidence: tuple[EvidenceView, ...] = ()


def _evidence_view(item: RecordEvidence) -> EvidenceView:
    return EvidenceView(
        id=item.id,
        record_id=item.record_id,
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        uploaded_at=item.uploaded_at,
        stored_name=item.stored_name,
    )


def _view(record: LearningRecord, owner: User, evidence: Iterable[RecordEvidence]) -> RecordView:
    return RecordView(
        id=record.id,
        user_id=owner.id,
        username=owner.username,
        display_name=owner.display_name,
        kind=record.kind,
        title=record.title,
        organizer=record.organizer,
        location=record.location,
        content=record.content,
        subject=record.subject,
        start_date=record.start_date,
        end_date=record.end_date,
        claimed_ms=record.claimed_ms,
        status=record.status,
        approved_ms=record.approved_ms,
        note=record.review_note,
        reviewer_id=record.reviewer_id,
        reviewed_at=record.reviewed_at,
        created_at=record.created_at,
        evidence=tuple(_evidence_view(e) for e in evidence),
    )


def _evidence_of(record_ids: list[int]) -> dict[int, list[RecordEvidence]]:
    found: dict[int, list[RecordEvidence]] = {}
    if record_ids:
        for item in db.session.scalars(
            select(RecordEvidence)
            .where(RecordEvidence.record_id.in_(record_ids))
            .order_by(RecordEvidence.id)
        ):
            found.setdefault(item.record_id, []).append(item)
    return found


def _one_view(record: LearningRecord) -> RecordView:
    owner = db.session.get(User, record.user_id)
    return _view(record, owner, _evidence_of([record.id]).get(record.id, []))


# --- filing ---------------------------------------------------------------------------------


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    columns = {k: v for k, v in fields.items() if k != "hours"}
    columns["claimed_ms"] = hours_to_ms(fields["hours"])
    return columns


def create_record(
    principal: Principal, fields: dict[str, Any], upload: Upload | None = None
) -> RecordView:
    """File a claim (pending review), with its evidence if given."""
    if upload is None:
        with transaction():
            return _insert(principal, fields, None)
    with stored(upload, f"records/{principal.id}") as relative, transaction():
        return _insert(principal, fields, (upload, relative))


def _insert(
    principal: Principal, fields: dict[str, Any], file: tuple[Upload, str] | None
) -> RecordView:
    record = LearningRecord(
        **_columns(fields), user_id=principal.id, status="pending", created_at=clock.now()
    )
    db.session.add(record)
    db.session.flush()
    if file is not None:
        _attach(record, *file)
    return _one_view(record)


def _attach(record: LearningRecord, upload: Upload, relative: str) -> RecordEvidence:
    item = RecordEvidence(
        record_id=record.id,
        filename=upload.filename,
        stored_name=relative,
        content_type=upload.content_type,
        size=upload.size,
        uploaded_at=clock.now(),
    )
    db.session.add(item)
    db.session.flush()
    return item


def add_evidence(principal: Principal, record_id: int, upload: Upload) -> EvidenceView:
    """Add a document to the caller's own pending record."""
    with stored(upload, f"records/{principal.id}") as relative, transaction():
        record = _record(record_id, lock=True)
        if record.user_id != principal.id:
            fail("record_not_found")
        if record.status != "pending":
            fail("record_not_pending")
        return _evidence_view(_attach(record, upload, relative))


# --- reading --------------------------------------------------------------------------------


def _record(record_id: int, lock: bool = False) -> LearningRecord:
    query = select(LearningRecord).where(LearningRecord.id == record_id)
    record = db.session.scalar(query.with_for_update() if lock else query)
    if record is None:
        fail("record_not_found")
    return record


def _visible(principal: Principal, record_id: int) -> LearningRecord:
    record = _record(record_id)
    if not may_see(principal, record.user_id):
        fail("record_not_found")  # others' records are not revealed to exist
    return record


def get_record(principal: Principal, record_id: int) -> RecordView:
    """A record of the caller's, or anyone's for admins."""
    return _one_view(_visible(principal, record_id))


def get_evidence(principal: Principal, record_id: int, evidence_id: int) -> EvidenceView:
    """A document of a record the caller may see."""
    _visible(principal, record_id)
    item = db.session.get(RecordEvidence, evidence_id)
    if item is None or item.record_id != record_id:
        fail("evidence_not_found")
    return _evidence_view(item)


def list_records(principal: Principal, filters: dict[str, Any]) -> list[RecordView]:
    """Admins see the records of the people they administer (the review queue with
    status=pending); others their own."""
    user_id = filters.get("user_id")
    if user_id is not None and not may_see(principal, user_id):
        fail("forbidden")
    if principal.role != "admin":
        user_id = principal.id
    query = (
        select(LearningRecord, User)
        .join(User, User.id == LearningRecord.user_id)
        .where(admin_scope(principal).members() if user_id is None else true())
    )
    if user_id is not None:
        query = query.where(LearningRecord.user_id == user_id)
    for name in ("status", "kind"):
        if filters.get(name):
            query = query.where(getattr(LearningRecord, name) == filters[name])
    if filters.get("year"):
        query = query.where(extract("year", LearningRecord.end_date) == filters["year"])
    pending_first = filters.get("status") == "pending"
    order = LearningRecord.created_at if pending_first else LearningRecord.created_at.desc()
    rows = db.session.execute(query.order_by(order, LearningRecord.id)).all()
    evidence = _evidence_of([record.id for record, _owner in rows])
    return [_view(record, owner, evidence.get(record.id, [])) for record, owner in rows]


def pending_count(principal: Principal) -> int:
    """How many records of the people `principal` administers wait for review."""
    scope = admin_scope(principal)
    return (
        db.session.scalar(
            select(func.count()).where(
                LearningRecord.status == "pending", scope.of_people(LearningRecord.user_id)
            )
        )
        or 0
    )


# --- review ---------------------------------------------------------------------------------


def review_record(
    principal: Principal, record_id: int, decision: str, hours: float | None, note: str
) -> RecordView:
    """Approve (at most the claimed hours) or reject; repeating a decision changes nothing."""
    target = DECIDED[decision]
    with transaction():
        record = _record(record_id, lock=True)
        if not admin_scope(principal).covers(record.user_id):
            fail("record_not_found")  # outside the reviewer's units: not revealed to exist
        if record.user_id == principal.id:
            fail("own_record")
        if record.status == target:
            return _one_view(record)
        if record.status != "pending":
            fail("record_already_reviewed")
        approved_ms = _approved_ms(record, hours) if target == "approved" else None
        old = _review_state(record)
        record.status = target
        record.approved_ms = approved_ms
        record.review_note = note
        record.reviewer_id = principal.id
        record.reviewed_at = clock.now()
        log_action(
            principal.id,
            f"record.{decision}",
            "record",
            record.id,
            old=old,
            new=_review_state(record),
        )
        db.session.flush()
        return _one_view(record)


def _approved_ms(record: LearningRecord, hours: float | None) -> int:
    if hours is None:
        return record.claimed_ms
    approved = hours_to_ms(hours)
    if approved > record.claimed_ms:
        fail("bad_payload", _("Approved hours cannot exceed the hours claimed."))
    return approved


def _review_state(record: LearningRecord) -> dict[str, Any]:
    return {"status": record.status, "approved_ms": record.approved_ms, "note": record.review_note}


# --- what counts ----------------------------------------------------------------------------


def _user_rules(principal: Principal) -> RuleSet:
    return rule_set_for(db.session.get(User, principal.id))


def year_so_far(principal: Principal, year: int | None = None) -> YearTotals:
    """The caller's year so far, counting pending claims as if approved."""
    year = year or clock.this_year()
    entries = year_entries(principal.id, year, pending=True)
    return total_year(entries, year, _user_rules(principal))


@dataclass(frozen=True)
class Preview:
    """What a claim of `record_kind` would count."""

    record_kind: str
    claim: ClaimPreview


def preview(principal: Principal, kind: str, hours: float, on: date | None) -> Preview:
    """Of `hours` of `kind` completed on `on` (default today), what would still count."""
    on = on or clock.today()
    entries = year_entries(principal.id, on.year, pending=True)
    rules = _user_rules(principal)
    return Preview(kind, preview_claim(entries, rules, RECORD_KIND[kind], hours_to_ms(hours), on))

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
from tracker.core.calendar import calendar_days, days_fit
from tracker.core.rules import RECORD_KIND, RuleSet, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import LearningRecord, RecordEvidence, User
from tracker.services import flags, transaction
from tracker.services.access import may_see
from tracker.services.audit import log_action
from tracker.services.entries import year_entries
from tracker.services.notices import notify
from tracker.services.rules import rule_set_for
from tracker.services.scope import admin_scope
from tracker.services.uploads import Upload, stored
from tracker.validation import refusal

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
    note: str  # the last decision's reason: a rejection's or a revocation's
    reviewer_id: int | None
    reviewed_at: datetime | None
    created_at: datetime
    evidence: tuple[EvidenceView, ...] = ()
    days: float | None = None
    absent_fraction: float | None = None
    assessment: str | None = None


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
        days=float(record.days) if record.days is not None else None,
        absent_fraction=record.absent_fraction,
        assessment=record.assessment,
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
    if "hours" in fields:
        columns["claimed_ms"] = hours_to_ms(fields["hours"])
    return columns


def _check_claim(record: LearningRecord) -> None:
    """What a claim's period can hold under its owner's rule set, or `bad_payload`.

    An external training follows the day rule of filed trainings: at most its days (the
    period's calendar days unless given, half days allowed) × the rule set's hours per day,
    and absence or a failed assessment may void it as they void attendance. Other kinds hold
    at most 24 hours a day of their period.
    """
    if record.end_date < record.start_date:
        raise refusal("end_before_start")
    period_days = calendar_days(record.start_date, record.end_date)
    if record.kind != "external_training":
        if (record.days, record.absent_fraction, record.assessment) != (None, None, None):
            fail("bad_payload", _("Days, absence and assessment belong to external trainings."))
        if record.claimed_ms > hours_to_ms(24 * period_days):
            fail("bad_payload", _("The hours cannot exceed 24 per day of the period."))
        return
    days = float(record.days) if record.days is not None else float(period_days)
    if not days_fit(days, record.start_date, record.end_date):
        raise refusal("days_beyond_period")
    rules = rule_set_for(db.session.get(User, record.user_id))
    most = rules.training_hours(days)
    if record.claimed_ms > hours_to_ms(most):
        fail(
            "bad_payload",
            _(
                "A training of %(days)g days is worth at most %(hours)g hours under your rule "
                "set (%(per_day)g hours a day).",
                days=days,
                hours=most,
                per_day=rules.hours_per_day,
            ),
        )
    passed = record.assessment != "failed"
    if rules.offline_credit_ms(1.0, record.absent_fraction or 0.0, passed) == 0:
        fail(
            "bad_payload",
            _("Under your rule set this absence or failed assessment earns no hours."),
        )


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
    _check_claim(record)
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
        if record.status == "withdrawn":
            fail("record_withdrawn")
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
        outcome = {"approved_ms": approved_ms} if target == "approved" else {"note": note}
        notify(
            record.user_id, f"record_{target}", record_id=record.id, title=record.title, **outcome
        )
        db.session.flush()
        flags.refresh([record.user_id], flags.years_of(record.start_date, record.end_date))
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


# --- corrections ----------------------------------------------------------------------------

EDITABLE = ("pending", "rejected")
_CLAIM_FIELDS = (
    "kind",
    "title",
    "organizer",
    "location",
    "content",
    "subject",
    "start_date",
    "end_date",
    "claimed_ms",
    "days",
    "absent_fraction",
    "assessment",
)


def _own(principal: Principal, record_id: int) -> LearningRecord:
    record = _record(record_id, lock=True)
    if record.user_id != principal.id:
        fail("record_not_found")  # others' records are not revealed to exist
    return record


def _claim_state(record: LearningRecord) -> dict[str, Any]:
    state = {name: getattr(record, name) for name in _CLAIM_FIELDS}
    state["start_date"] = record.start_date.isoformat()
    state["end_date"] = record.end_date.isoformat()
    state["days"] = float(record.days) if record.days is not None else None
    return state | _review_state(record)


def get_own_record(principal: Principal, record_id: int) -> RecordView:
    """One of the caller's own records (an admin's scope does not reach into another's)."""
    record = _record(record_id)
    if record.user_id != principal.id:
        fail("record_not_found")
    return _one_view(record)


def withdraw_record(principal: Principal, record_id: int) -> RecordView:
    """The owner withdraws a pending claim; withdrawing again changes nothing."""
    with transaction():
        record = _own(principal, record_id)
        if record.status == "withdrawn":
            return _one_view(record)
        if record.status != "pending":
            fail("record_decided")
        old = _review_state(record)
        record.status = "withdrawn"
        log_action(
            principal.id, "record.withdraw", "record", record.id, old=old, new=_review_state(record)
        )
        db.session.flush()
        flags.refresh([record.user_id], flags.years_of(record.start_date, record.end_date))
        return _one_view(record)


def update_record(
    principal: Principal, record_id: int, fields: dict[str, Any], upload: Upload | None = None
) -> RecordView:
    """The owner changes a pending or rejected claim; it is pending review again."""
    if upload is None:
        with transaction():
            return _update(principal, record_id, fields, None)
    with stored(upload, f"records/{principal.id}") as relative, transaction():
        return _update(principal, record_id, fields, (upload, relative))


def _update(
    principal: Principal,
    record_id: int,
    fields: dict[str, Any],
    file: tuple[Upload, str] | None,
) -> RecordView:
    record = _own(principal, record_id)
    if record.status not in EDITABLE:
        fail("record_not_editable")
    old = _claim_state(record)
    with db.session.no_autoflush:  # checked before the database sees the change
        for name, value in _columns(fields).items():
            setattr(record, name, value)
        _check_claim(record)
    record.status = "pending"
    record.approved_ms = None
    record.review_note = ""
    record.reviewer_id = None
    record.reviewed_at = None
    new = _claim_state(record)
    changed = sorted(k for k in new if old[k] != new[k])
    action = "record.resubmit" if old["status"] == "rejected" else "record.update"
    if changed or file is not None:
        log_action(
            principal.id,
            action,
            "record",
            record.id,
            old={k: old[k] for k in changed},
            new={k: new[k] for k in changed},
        )
    db.session.flush()
    if file is not None:
        _attach(record, *file)
    return _one_view(record)


def revoke_record(principal: Principal, record_id: int, reason: str) -> RecordView:
    """An admin over the owner revokes an approved claim: its hours leave the archive."""
    with transaction():
        record = _record(record_id, lock=True)
        if not admin_scope(principal).covers(record.user_id):
            fail("record_not_found")
        if record.status != "approved":
            fail("record_not_approved")
        old = _review_state(record)
        record.status = "revoked"
        record.review_note = reason
        record.reviewer_id = principal.id
        record.reviewed_at = clock.now()
        log_action(
            principal.id,
            "record.revoke",
            "record",
            record.id,
            old=old,
            new=_review_state(record),
            reason=reason,
        )
        notify(
            record.user_id, "record_revoked", record_id=record.id, title=record.title, reason=reason
        )
        db.session.flush()
        flags.refresh([record.user_id], flags.years_of(record.start_date, record.end_date))
        return _one_view(record)


# --- what counts ----------------------------------------------------------------------------


def _user_rules(principal: Principal) -> RuleSet:
    return rule_set_for(db.session.get(User, principal.id))


@dataclass(frozen=True)
class YearSoFar:
    """The caller's year as it counts now, and what its pending claims would add."""

    counted: YearTotals  # approved claims only
    if_approved: YearTotals  # pending claims counted as if approved

    @property
    def pending_ms(self) -> int:
        """The recorded time of the year's claims still awaiting review."""
        return self.if_approved.raw_ms - self.counted.raw_ms

    @property
    def pending_effective_ms(self) -> int:
        """How much more would count if every pending claim were approved as filed."""
        return self.if_approved.effective_ms - self.counted.effective_ms


def year_so_far(principal: Principal, year: int | None = None) -> YearSoFar:
    """The caller's year so far: what counts, and what pending claims would add."""
    year = year or clock.this_year()
    rules = _user_rules(principal)
    return YearSoFar(
        counted=total_year(year_entries(principal.id, year), year, rules),
        if_approved=total_year(year_entries(principal.id, year, pending=True), year, rules),
    )


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

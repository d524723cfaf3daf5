"""Self-reported learning: employees file records; admins review them."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas_records import (
    EvidenceOut,
    PreviewOut,
    PreviewQuery,
    RecordCreate,
    RecordList,
    RecordOut,
    RecordPatch,
    RecordQuery,
    ReviewIn,
    ReviewOut,
    RevokeIn,
    StatusOut,
)
from tracker.api.spec import FileField, endpoint
from tracker.auth import current_principal
from tracker.services import records
from tracker.services.records import EvidenceView, Preview, RecordView
from tracker.services.uploads import DOCUMENTS, Upload, send_stored


@bp.get("/records")
@endpoint(
    "Self-reported records: the caller's own, or everyone's for admins (status=pending: queue)",
    query=RecordQuery,
    response=RecordList,
    errors=("forbidden",),
)
def list_records(query: RecordQuery) -> list[RecordView]:
    return records.list_records(current_principal(), query.model_dump())


@bp.post("/records")
@endpoint(
    "File a self-reported record (pending review)",
    body=RecordCreate,
    response=RecordOut,
    status=201,
)
def create_record(body: RecordCreate) -> RecordView:
    return records.create_record(current_principal(), body.model_dump())


@bp.get("/records/preview")
@endpoint(
    "How many hours of a claim would still count in its year under the caller's rule set",
    query=PreviewQuery,
    response=PreviewOut,
)
def preview(query: PreviewQuery) -> Preview:
    return records.preview(current_principal(), query.kind, query.hours, query.on)


@bp.get("/records/<int:record_id>")
@endpoint(
    "One record (the caller's own, or any for admins)",
    response=RecordOut,
    errors=("record_not_found",),
)
def get_record(record_id: int) -> RecordView:
    return records.get_record(current_principal(), record_id)


@bp.post("/records/<int:record_id>/review")
@endpoint(
    "Approve (hours ≤ claimed) or reject a record; repeating a decision changes nothing",
    body=ReviewIn,
    response=ReviewOut,
    roles=("admin",),
    errors=("record_not_found", "own_record", "record_already_reviewed", "record_withdrawn"),
)
def review(record_id: int, body: ReviewIn) -> RecordView:
    return records.review_record(
        current_principal(), record_id, body.decision, body.hours, body.note
    )


@bp.patch("/records/<int:record_id>")
@endpoint(
    "Change one's own pending or rejected record; it is pending review again (resubmitted)",
    body=RecordPatch,
    response=RecordOut,
    errors=("record_not_found", "record_not_editable"),
)
def patch_record(record_id: int, body: RecordPatch) -> RecordView:
    fields = body.model_dump(exclude_unset=True)
    return records.update_record(current_principal(), record_id, fields)


@bp.post("/records/<int:record_id>/withdraw")
@endpoint(
    "Withdraw one's own pending record (again: no change)",
    response=StatusOut,
    errors=("record_not_found", "record_decided"),
)
def withdraw_record(record_id: int) -> RecordView:
    return records.withdraw_record(current_principal(), record_id)


@bp.post("/records/<int:record_id>/revoke")
@endpoint(
    "Revoke an approved record with a reason: its hours leave the archive",
    body=RevokeIn,
    response=StatusOut,
    roles=("admin",),
    errors=("record_not_found", "record_not_approved"),
)
def revoke_record(record_id: int, body: RevokeIn) -> RecordView:
    return records.revoke_record(current_principal(), record_id, body.reason)


@bp.post("/records/<int:record_id>/evidence")
@endpoint(
    "Add evidence to one's own pending record",
    upload=FileField("file", DOCUMENTS),
    response=EvidenceOut,
    status=201,
    errors=("record_not_found", "record_not_pending"),
)
def add_evidence(record_id: int, upload: Upload) -> EvidenceView:
    return records.add_evidence(current_principal(), record_id, upload)


@bp.get("/records/<int:record_id>/evidence/<int:evidence_id>")
@endpoint("Download a record's evidence", errors=("record_not_found", "evidence_not_found"))
def download_evidence(record_id: int, evidence_id: int) -> Any:
    item = records.get_evidence(current_principal(), record_id, evidence_id)
    return send_stored(item.stored_name, item.filename, item.content_type)

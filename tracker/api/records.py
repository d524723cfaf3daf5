"""Self-reported learning: employees file records; admins review them."""

from __future__ import annotations

from typing import Any

from flask import request

from tracker.api import bp
from tracker.api.schemas_learning import (
    EvidenceOut,
    PreviewOut,
    PreviewQuery,
    RecordCreate,
    RecordList,
    RecordOut,
    RecordQuery,
    ReviewIn,
    ReviewOut,
)
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.core.archive import ClaimPreview
from tracker.core.rules import MS_PER_HOUR
from tracker.services import records
from tracker.services.uploads import DOCUMENTS, read_upload, send_stored


def _h(ms: int) -> float:
    return round(ms / MS_PER_HOUR, 4)


@bp.get("/records")
@endpoint(
    "Self-reported records: the caller's own, or everyone's for admins (status=pending: queue)",
    query=RecordQuery,
    response=RecordList,
)
def list_records(query: RecordQuery) -> list[dict[str, Any]]:
    views = records.list_records(current_principal(), query.model_dump())
    return [view.public() for view in views]


@bp.post("/records")
@endpoint(
    "File a self-reported record (pending review)",
    body=RecordCreate,
    response=RecordOut,
    status=201,
)
def create_record(body: RecordCreate) -> dict[str, Any]:
    return records.create_record(current_principal(), body.model_dump()).public()


@bp.get("/records/preview")
@endpoint(
    "How many hours of a claim would still count in its year under the caller's rule set",
    query=PreviewQuery,
    response=PreviewOut,
)
def preview(query: PreviewQuery) -> dict[str, Any]:
    result = records.preview(current_principal(), query.kind, query.hours, query.on)
    return _preview_body(query.kind, result)


def _preview_body(kind: str, result: ClaimPreview) -> dict[str, Any]:
    cap = result.cap
    return {
        "kind": kind,
        "archive_kind": result.kind,
        "hours": _h(result.raw_ms),
        "date": result.day,
        "year": result.day.year,
        "rule_set": result.rule_set_id,
        "counted_hours": _h(result.counted_ms),
        "not_counted_hours": _h(result.not_counted_ms),
        "counted_s": result.counted_ms / 1000,
        "cap": None
        if cap is None
        else {
            "name": cap.name,
            "kinds": sorted(cap.kinds),
            "hours": _h(cap.cap_ms),
            "used_hours": _h(cap.raw_ms),
            "remaining_hours": _h(cap.room_ms),
        },
    }


@bp.get("/records/<int:record_id>")
@endpoint(
    "One record (the caller's own, or any for admins)",
    response=RecordOut,
    errors=("record_not_found",),
)
def get_record(record_id: int) -> dict[str, Any]:
    return records.get_record(current_principal(), record_id).public()


@bp.post("/records/<int:record_id>/review")
@endpoint(
    "Approve (hours ≤ claimed) or reject a record; repeating a decision changes nothing",
    body=ReviewIn,
    response=ReviewOut,
    roles=("admin",),
    errors=("record_not_found", "own_record", "record_already_reviewed"),
)
def review(record_id: int, body: ReviewIn) -> dict[str, Any]:
    view = records.review_record(
        current_principal(), record_id, body.decision, body.hours, body.note
    )
    return view.review()


@bp.post("/records/<int:record_id>/evidence")
@endpoint(
    "Add evidence to one's own pending record (multipart field `file`)",
    response=EvidenceOut,
    status=201,
    errors=("record_not_found", "record_not_pending", "bad_file", "too_large"),
)
def add_evidence(record_id: int) -> dict[str, Any]:
    upload = read_upload(request.files.get("file"), DOCUMENTS)
    return records.add_evidence(current_principal(), record_id, upload).public()


@bp.get("/records/<int:record_id>/evidence/<int:evidence_id>")
@endpoint("Download a record's evidence", errors=("record_not_found", "evidence_not_found"))
def download_evidence(record_id: int, evidence_id: int) -> Any:
    item = records.get_evidence(current_principal(), record_id, evidence_id)
    return send_stored(item.stored_name, item.filename, item.content_type)

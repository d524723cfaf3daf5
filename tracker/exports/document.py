"""The archive as one JSON-ready document: the API answers it, every export renders it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tracker.services.archive import Archive, ArchiveItem
from tracker.services.reports import UnitReport


def _s(ms: int) -> float:
    return ms / 1000


def _item(item: ArchiveItem) -> dict[str, Any]:
    source = item.source
    return {
        "kind": source.kind,
        "source": source.source,
        "source_id": source.source_id,
        "title": source.title,
        "start_date": item.start_date.isoformat(),
        "end_date": item.end_date.isoformat(),
        "year": item.year,
        "raw_s": _s(item.raw_ms),
        "effective_s": _s(item.effective_ms),
        "subject": source.subject,
        "capped_by": item.cap,
        "category": source.category,
        "organizer": source.organizer,
        "location": source.location,
        "record_kind": source.record_kind or None,
    }


def _counts(items: list[dict[str, Any]]) -> dict[str, Any]:
    def of(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"count": len(rows), "raw_s": sum(r["raw_s"] for r in rows)}

    trainings = [i for i in items if i["source"] == "training"]
    return {
        "trainings": len(trainings),
        "trainings_by_category": dict(Counter(i["category"] or "—" for i in trainings)),
        "external_trainings": of([i for i in items if i["record_kind"] == "external_training"]),
        "self_study": of([i for i in items if i["kind"] == "self_study"]),
        "online_courses": of([i for i in items if i["kind"] == "online"]),
        "external_online": of([i for i in items if i["kind"] == "external_online"]),
    }


def archive_document(archive: Archive) -> dict[str, Any]:
    """Every figure of an archive, durations in seconds, as the API and exports show it."""
    first, last = archive.period.label()
    user = archive.user
    items = [_item(i) for i in archive.items]
    return {
        "user": {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "unit": user.unit.name if user.unit else None,
        },
        "rule_set": archive.rule_set.id,
        "from": first,
        "to": last,
        "target_s": _s(archive.compliance.target_ms),
        "total_s": _s(archive.total_ms),
        "effective_s": _s(archive.compliance.effective_ms),
        "remaining_s": _s(archive.compliance.remaining_ms),
        "by_kind": {
            kind: {"raw_s": _s(s.raw_ms), "effective_s": _s(s.effective_ms), "count": s.count}
            for kind, s in archive.by_kind().items()
        },
        "by_subject": {k: {"effective_s": _s(v)} for k, v in archive.by_subject().items()},
        "compliant": archive.compliance.compliant,
        "items": items,
        "years": [
            {
                "year": y.year,
                "target_s": _s(y.compliance.target_ms),
                "effective_s": _s(y.compliance.effective_ms),
                "remaining_s": _s(y.compliance.remaining_ms),
                "compliant": y.compliance.compliant,
                "subject_shortfalls_s": {k: _s(v) for k, v in y.compliance.shortfalls.items()},
                "caps": [
                    {
                        "name": cap.name,
                        "kinds": sorted(cap.kinds),
                        "cap_s": _s(cap.cap_ms),
                        "raw_s": _s(cap.raw_ms),
                        "effective_s": _s(cap.effective_ms),
                        "cut_s": _s(cap.cut_ms),
                    }
                    for cap in y.archive.caps
                ],
            }
            for y in archive.years
        ],
        "counts": _counts(items),
    }


def report_document(report: UnitReport) -> dict[str, Any]:
    """A unit report, durations in seconds, as the API and the XLSX export show it."""
    return {
        "unit_id": report.unit_id,
        "unit": report.unit,
        "year": report.year,
        "members": len(report.rows),
        "compliant": report.compliant_count,
        "rows": [row.public() for row in report.rows],
        "months": [
            {
                "month": point.month,
                "average_effective_s": _s(point.average_effective_ms),
                "reached_target": point.reached_target,
            }
            for point in report.months
        ],
    }

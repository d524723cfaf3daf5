"""The archive and a unit report as JSON-ready documents: what the API answers, every export
renders and the pages show, in the one shape the response models declare."""

from __future__ import annotations

from typing import Any

from tracker.api.schemas_archive import ArchiveOut, UnitReportOut
from tracker.api.spec import shaped
from tracker.services.archive import Archive
from tracker.services.reports import UnitReport


def archive_document(archive: Archive) -> dict[str, Any]:
    """Every figure of an archive, durations in seconds."""
    return shaped(ArchiveOut, archive)


def report_document(report: UnitReport) -> dict[str, Any]:
    """A unit report, durations in seconds."""
    return shaped(UnitReportOut, report)

"""The archive as an A4 PDF, drawn server-side with ReportLab."""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tracker.core.rules import KINDS
from tracker.exports.labels import (
    awaiting_exam_reason,
    banner,
    cap_reason,
    exam_outcome,
    exams_line,
    hours,
    joined,
    kind_label,
    rule_set_name,
    subject_label,
)

log = logging.getLogger(__name__)

# Without the configured font file: a CID font that PDF readers are expected to supply for
# Chinese. It is not embedded, so some viewers show boxes or nothing for Chinese, "·" or dashes.
FALLBACK_FONT = "STSong-Light"
_fonts: dict[str, str] = {}  # configured font file -> name of the font registered for it


def font() -> str:
    """The PDFs' font: the TrueType file of PDF_FONT (its first face in a collection), embedded
    as a subset; if the file is missing or unreadable, the fallback CID font, with a warning in
    the log (once per process)."""
    path = current_app.config["PDF_FONT"]
    if path not in _fonts:
        name = "CJK-" + hashlib.sha256(path.encode()).hexdigest()[:8]
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        except (OSError, TTFError) as error:
            log.warning(
                "PDF font %s is unusable (%s): PDFs use the non-embedded %s font, which some "
                "viewers cannot show; install the Debian package fonts-wqy-microhei "
                "(scripts/setup-fonts) or set TRACKER_PDF_FONT to a TrueType CJK font",
                path,
                error,
                FALLBACK_FONT,
            )
            if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            name = FALLBACK_FONT
        _fonts[path] = name
    return _fonts[path]


def styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    """Title, heading and body styles in the PDFs' font."""
    body = ParagraphStyle("body", fontName=font(), fontSize=9.5, leading=13)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=11.5, leading=16, spaceBefore=8)
    return title, heading, body


def _table(rows: list[list[Any]], widths: list[float], body: ParagraphStyle) -> Table:
    cells = [[Paragraph(str(value), body) for value in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def archive_pdf(doc: dict[str, Any]) -> bytes:
    """The archive document as a printable A4 PDF."""
    title, heading, body = styles()
    user = doc["user"]
    story: list[Any] = [
        Paragraph(_("Continuing-education archive"), title),
        Paragraph(
            f"{user['display_name'] or user['username']} ({user['username']}) · "
            f"{user['unit'] or ''} · {doc['from']} – {doc['to']} · "
            f"{rule_set_name(doc['rule_set'])}",
            body,
        ),
        Spacer(1, 4 * mm),
        Paragraph(banner(doc), heading),
        Paragraph(
            _(
                "Total duration %(total)s, effective %(effective)s.",
                total=hours(doc["total_s"]),
                effective=hours(doc["effective_s"]),
            ),
            body,
        ),
    ]
    kinds = [[_("Kind"), _("Duration"), _("Effective"), _("Items")]] + [
        [
            kind_label(k),
            hours(doc["by_kind"][k]["raw_s"]),
            hours(doc["by_kind"][k]["effective_s"]),
            doc["by_kind"][k]["count"],
        ]
        for k in KINDS
    ]
    story += [
        Paragraph(_("By kind"), heading),
        _table(kinds, [60 * mm, 35 * mm, 35 * mm, 20 * mm], body),
    ]
    reasons = [cap_reason(c) for y in doc["years"] for c in y["caps"] if c["cut_s"] > 0]
    story += [Paragraph("· " + reason, body) for reason in dict.fromkeys(reasons)]
    awaiting = [i["title"] for i in doc["items"] if i["awaiting_exam"]]
    if awaiting:
        story.append(Paragraph(f"· {joined(awaiting)}: {awaiting_exam_reason()}", body))
    items = [
        [_("Title"), _("Kind"), _("Start"), _("End"), _("Organiser"), _("Duration"), _("Effective")]
    ] + [
        [
            i["title"],
            kind_label(i["kind"]),
            i["start_date"],
            i["end_date"],
            i["organizer"],
            hours(i["raw_s"]),
            hours(i["effective_s"]),
        ]
        for i in doc["items"]
    ]
    story += [
        Paragraph(_("Learning items"), heading),
        _table(items, [50 * mm, 24 * mm, 20 * mm, 20 * mm, 26 * mm, 22 * mm, 22 * mm], body),
    ]
    story += [Paragraph(_("Exams"), heading), Paragraph(exams_line(doc["counts"]["exams"]), body)]
    if doc["exams"]:
        exams = [[_("Exam"), _("Subject"), _("Date"), _("Attempts"), _("Best score"), _("Result")]]
        exams += [
            [
                e["title"],
                subject_label(e["subject"]),
                e["day"],
                e["attempts"],
                f"{e['best_percent']:.1f} %",
                exam_outcome(e),
            ]
            for e in doc["exams"]
        ]
        widths = [60 * mm, 26 * mm, 24 * mm, 20 * mm, 24 * mm, 26 * mm]
        story.append(_table(exams, widths, body))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=_("Continuing-education archive"),
    ).build(story)
    return out.getvalue()

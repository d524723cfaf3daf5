"""A certificate as an A4 landscape PDF with a QR code to its public verification page."""

from __future__ import annotations

import io

import segno
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from tracker.exports.labels import hours, subject_label
from tracker.exports.pdf import font
from tracker.services.certificates import CertificateView
from tracker.wire import seconds


def _qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of `text` as vector squares, `size` wide, its lower left at (x, y)."""
    code = segno.make(text, error="m", micro=False)
    rows = [list(row) for row in code.matrix]
    border = 4  # the quiet zone a scanner needs, in modules
    module = size / (len(rows) + 2 * border)
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                top = y + size - (border + r + 1) * module
                canvas.rect(x + (border + c) * module, top, module, module, stroke=0, fill=1)


def _lines(certificate: CertificateView) -> list[str]:
    if certificate.kind == "year":
        return [
            _(
                "has completed %(hours)s of continuing education in %(year)s and met the "
                "yearly target (%(rules)s).",
                hours=hours(seconds(certificate.hours_ms)),
                year=certificate.year,
                rules=certificate.title,
            )
        ]
    lines = [_("has passed the exam of “%(title)s”.", title=certificate.title)]
    details = [
        subject_label(certificate.subject),
        _("Hours: %(hours)s", hours=hours(seconds(certificate.hours_ms)))
        if certificate.hours_ms
        else "",
        _("Score: %(score)s %%", score=f"{certificate.score:g}")
        if certificate.score is not None
        else "",
    ]
    lines.append(" · ".join(d for d in details if d))
    return lines


def certificate_pdf(certificate: CertificateView, verify_url: str) -> bytes:
    """The printable certificate: holder, what it certifies, date, number, QR code."""
    face = font()  # the font shared with the archive PDF
    out = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(out, pagesize=(width, height))
    title = (
        _("Continuing-education certificate")
        if certificate.kind == "year"
        else _("Certificate of examination")
    )
    canvas.setTitle(title)
    canvas.setStrokeColor(colors.HexColor("#0b63ce"))
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    canvas.setFillColor(colors.HexColor("#1d2733"))
    canvas.setFont(face, 30)
    canvas.drawCentredString(width / 2, height - 48 * mm, title)
    canvas.setFont(face, 22)
    canvas.drawCentredString(width / 2, height - 78 * mm, certificate.holder)
    canvas.setFont(face, 14)
    y = height - 96 * mm
    for line in _lines(certificate):
        canvas.drawCentredString(width / 2, y, line)
        y -= 10 * mm
    canvas.setFont(face, 11)
    canvas.drawString(
        30 * mm, 40 * mm, _("Issued on %(date)s", date=certificate.issued_on.isoformat())
    )
    canvas.drawString(30 * mm, 32 * mm, _("Certificate number: %(n)s", n=certificate.number))
    canvas.setFont(face, 8.5)
    canvas.drawString(30 * mm, 25 * mm, _("Verify at %(url)s", url=verify_url))
    _qr(canvas, verify_url, width - 72 * mm, 22 * mm, 44 * mm)
    if certificate.revoked:
        canvas.setFillColor(colors.HexColor("#a40000"))
        canvas.setFont(face, 26)
        canvas.drawCentredString(width / 2, 60 * mm, _("Revoked"))
    canvas.showPage()
    canvas.save()
    return out.getvalue()

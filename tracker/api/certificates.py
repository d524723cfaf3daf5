"""Certificates: the holder's own, admins' issuing and revoking, and public verification."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from tracker.api import bp
from tracker.api.schemas_assessment import (
    CertificateList,
    CertificateOut,
    CertificateQuery,
    RevokeIn,
    VerificationOut,
    VerifyQuery,
    YearlyIn,
    YearlyOut,
)
from tracker.api.spec import endpoint
from tracker.auth import current_principal
from tracker.exports.certificate import certificate_pdf
from tracker.services import certificates, yearly_certificates


def _admin() -> bool:
    return current_principal().role == "admin"


def visible_certificate(certificate_id: int) -> certificates.CertificateView:
    """A certificate the caller may see: their own, or of someone they administer."""
    return certificates.shown_to(current_principal(), certificates.get_certificate(certificate_id))


def pdf_response(certificate: certificates.CertificateView) -> Response:
    """The certificate's PDF as a download."""
    url = url_for("web.verify_page", number=certificate.number, _external=True)
    return Response(
        certificate_pdf(certificate, url),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{certificate.number}.pdf"'
        },
    )


@bp.get("/certificates")
@endpoint(
    "Certificates, newest first: the caller's own (admins: anyone's, or `user_id`'s)",
    query=CertificateQuery,
    response=CertificateList,
    errors=("forbidden",),
)
def list_certificates(query: CertificateQuery) -> list[dict[str, Any]]:
    found, _total = certificates.list_certificates(
        current_principal(), query.user_id, query.kind, query.limit, query.offset
    )
    return [c.public(admin=_admin()) for c in found]


@bp.get("/certificates/<int:certificate_id>")
@endpoint("One certificate", response=CertificateOut, errors=("certificate_not_found",))
def get_certificate(certificate_id: int) -> dict[str, Any]:
    return visible_certificate(certificate_id).public(admin=_admin())


@bp.get("/certificates/<int:certificate_id>/pdf")
@endpoint(
    "The certificate as a PDF with a QR code to its verification page",
    errors=("certificate_not_found",),
)
def certificate_file(certificate_id: int) -> Response:
    return pdf_response(visible_certificate(certificate_id))


@bp.post("/certificates/yearly")
@endpoint(
    "Issue the year's continuing-education certificate to everyone in a unit (and below) who "
    "met the target; those who hold one already are skipped",
    body=YearlyIn,
    response=YearlyOut,
    roles=("admin",),
    errors=("unit_not_found", "forbidden"),
)
def issue_yearly(body: YearlyIn) -> dict[str, Any]:
    issued, held, not_met = yearly_certificates.issue_yearly(
        current_principal().id, body.unit_id, body.year
    )
    return {
        "issued": [c.public(admin=True) for c in issued],
        "already_held": held,
        "not_met": not_met,
    }


@bp.post("/certificates/<int:certificate_id>/revoke")
@endpoint(
    "Revoke a certificate (audited; verification shows it as revoked)",
    body=RevokeIn,
    response=CertificateOut,
    roles=("admin",),
    errors=("certificate_not_found", "certificate_revoked"),
)
def revoke(certificate_id: int, body: RevokeIn) -> dict[str, Any]:
    return certificates.revoke(current_principal().id, certificate_id, body.reason).public(True)


@bp.get("/verify")
@endpoint(
    "Whether a certificate number is genuine and what it certifies (no login)",
    query=VerifyQuery,
    response=VerificationOut,
    public=True,
)
def verify(query: VerifyQuery) -> dict[str, Any]:
    found = certificates.verify(query.number)
    if found is None:
        return {"number": query.number, "genuine": False, "valid": False}
    return found.verification()

"""Certificate pages: the holder's list and downloads, admins' issuing and revoking, and the
public verification page."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from tracker.api.certificates import pdf_response
from tracker.api.fields import PAGE_ARG
from tracker.auth import current_principal
from tracker.clock import this_year
from tracker.errors import TrackerError
from tracker.services import certificates, yearly_certificates
from tracker.services import units as org
from tracker.web import bp
from tracker.web.access import admin_page
from tracker.web.forms import (
    CertificateLookup,
    CertificateRevokeForm,
    Problems,
    YearlyForm,
    error_problems,
    validated,
)

PAGE_SIZE = 100


@bp.get("/certificates")
@login_required
def certificates_page() -> Any:
    found, _total = certificates.list_certificates(current_principal(), current_principal().id)
    return render_template("exams/certificates.html", certificates=found)


@bp.get("/certificates/<number>.pdf")
@login_required
def certificate_file(number: str) -> Any:
    return pdf_response(certificates.shown_to(current_principal(), certificates.verify(number)))


@bp.get("/verify")
@bp.get("/verify/<number>")
def verify_page(number: str | None = None) -> Any:
    """No login: whether a certificate is genuine and what it certifies, nothing more."""
    typed = number if number is not None else request.args.get("number")
    if typed is None:  # the empty page, before any lookup
        return render_template("exams/verify.html", number="", found=None, problems=Problems())
    form, problems = validated(CertificateLookup, {"number": typed})
    return render_template(
        "exams/verify.html",
        number=form.number if form else typed,
        found=certificates.verify(form.number) if form else None,
        problems=problems,
    ), 400 if problems else 200


def _admin_page(status: int = 200, problems: Problems | None = None) -> Any:
    page = request.args.get("page", 1, type=PAGE_ARG)
    found, total = certificates.list_certificates(
        current_principal(), None, None, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    return render_template(
        "exams/admin_certificates.html",
        certificates=found,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        units=org.list_units(current_principal()),
        year=this_year(),
        problems=problems or Problems(),
    ), status


@bp.get("/admin/certificates")
@admin_page
def admin_certificates() -> Any:
    return _admin_page()


@bp.post("/admin/certificates/yearly")
@admin_page
def admin_certificates_yearly() -> Any:
    form, problems = validated(YearlyForm, request.form.to_dict(), "yearly")
    if form is None:
        return _admin_page(400, problems)
    try:
        issued, held, not_met = yearly_certificates.issue_yearly(
            current_principal().id, form.unit_id, form.year
        )
    except TrackerError as error:
        return _admin_page(error.status, error_problems(error, "yearly"))
    flash(
        _(
            "%(issued)d certificates issued; %(held)d held one already; %(not_met)d did not "
            "meet the target.",
            issued=len(issued),
            held=held,
            not_met=not_met,
        ),
        "ok",
    )
    return redirect(url_for("web.admin_certificates"))


@bp.post("/admin/certificates/<int:certificate_id>/revoke")
@admin_page
def admin_certificate_revoke(certificate_id: int) -> Any:
    which = f"revoke-{certificate_id}"
    form, problems = validated(CertificateRevokeForm, request.form.to_dict(), which)
    if form is None:
        return _admin_page(400, problems)
    try:
        revoked = certificates.revoke(current_principal().id, certificate_id, form.reason)
    except TrackerError as error:
        if error.status == 404:
            raise
        return _admin_page(error.status, error_problems(error, which))
    flash(_("Certificate %(n)s revoked.", n=revoked.number), "ok")
    return redirect(url_for("web.admin_certificates"))

"""Admin pages: the console, users, units and courseware."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.api.fields import PAGE_ARG, id_arg
from tracker.auth import current_principal
from tracker.errors import TrackerError
from tracker.security import large_body
from tracker.services import audit, console, users
from tracker.services import courseware as catalogue
from tracker.services import units as org
from tracker.services.accounts import create_user
from tracker.services.rules import rule_sets
from tracker.services.scope import admin_scope
from tracker.services.uploads import CSV, read_upload
from tracker.web import audit_text, bp
from tracker.web.access import admin_page, organisation_page
from tracker.web.forms import (
    CoursewareForm,
    EditUserForm,
    NewUserForm,
    Problems,
    UnitForm,
    error_problems,
    join_hours,
    validated,
)

PAGE_SIZE = 50


@bp.get("/admin")
@admin_page
def admin_console() -> Any:
    return render_template(
        "admin/console.html",
        live=console.watching_now(current_principal()),
        usage=console.courseware_stats(current_principal()),
    )


# --- users ----------------------------------------------------------------------------------


@bp.get("/admin/users")
@admin_page
def admin_users(problems: Problems | None = None, status: int = 200) -> Any:
    page = request.args.get("page", 1, type=PAGE_ARG)
    role = request.args.get("role") or None
    unit_id = request.args.get("unit_id", type=id_arg)
    found, total = users.list_users(
        current_principal(),
        request.args.get("q") or None,
        role if role in ("admin", "leader", "learner") else None,
        unit_id,
        None,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template(
        "admin/users.html",
        users=found,
        total=total,
        page=page,
        pages=pages,
        units=org.list_units(current_principal()),
        problems=problems or Problems(),
    ), status


@bp.post("/admin/users")
@admin_page
def admin_user_create() -> Any:
    form, problems = validated(NewUserForm, request.form.to_dict(), "new")
    if form is None:
        return admin_users(problems, 400)
    try:
        create_user(
            form.username,
            form.password,
            form.role,
            display_name=form.display_name,
            actor_id=current_principal().id,
            unit_id=form.unit_id,
        )
    except TrackerError as error:
        return admin_users(error_problems(error, "new"), error.status)
    flash(_("User %(name)s created.", name=form.username), "ok")
    return redirect(url_for("web.admin_users"))


@bp.post("/admin/users/import")
@admin_page
@large_body("UPLOAD_MAX_BYTES")
def admin_user_import() -> Any:
    try:
        upload = read_upload(request.files.get("file"), CSV)
        result = users.import_users(upload.data, current_principal().id)
    except TrackerError as error:
        return admin_users(error_problems(error, "import"), error.status)
    flash(_("Imported: %(c)d created, %(u)d updated.", c=result.created, u=result.updated), "ok")
    return redirect(url_for("web.admin_users"))


@bp.get("/admin/users/<int:user_id>")
@admin_page
def admin_user(user_id: int, problems: Problems | None = None, status: int = 200) -> Any:
    return render_template(
        "admin/user_edit.html",
        user=users.get_user(current_principal(), user_id),
        units=org.list_units(current_principal()),
        problems=problems or Problems(),
    ), status


@bp.post("/admin/users/<int:user_id>")
@admin_page
def admin_user_update(user_id: int) -> Any:
    form, problems = validated(EditUserForm, request.form.to_dict())
    if form is None:
        users.get_user(current_principal(), user_id)  # someone out of reach is not found
        return admin_user(user_id, problems, 400)
    try:
        fields = form.model_dump(exclude_none=True) | {"unit_id": form.unit_id}
        users.update_user(user_id, fields, current_principal())
    except TrackerError as error:
        if error.status == 404:
            raise
        return admin_user(user_id, error_problems(error), error.status)
    flash(_("Saved."), "ok")
    return redirect(url_for("web.admin_user", user_id=user_id))


# --- units ----------------------------------------------------------------------------------


@bp.get("/admin/units")
@admin_page
def admin_units(problems: Problems | None = None, status: int = 200) -> Any:
    return render_template(
        "admin/units.html",
        units=org.list_units(current_principal()),
        rule_sets=sorted(rule_sets()),
        scope=admin_scope(current_principal()),
        problems=problems or Problems(),
    ), status


@bp.post("/admin/units")
@bp.post("/admin/units/<int:unit_id>")
@admin_page
def admin_unit_save(unit_id: int | None = None) -> Any:
    which = f"unit-{unit_id}" if unit_id is not None else "new"  # the row, or the new unit
    form, problems = validated(UnitForm, request.form.to_dict(), which)
    if form is None:
        return admin_units(problems, 400)
    try:
        if unit_id is None:
            org.create_unit(form.name, form.parent_id, form.rule_set, current_principal().id)
        else:
            fields = form.model_dump(exclude_unset=True) | {"parent_id": form.parent_id}
            org.update_unit(unit_id, fields, current_principal().id)
    except TrackerError as error:
        if error.status == 404:
            raise
        return admin_units(error_problems(error, which), error.status)
    flash(_("Saved."), "ok")
    return redirect(url_for("web.admin_units"))


# --- courseware -----------------------------------------------------------------------------


@bp.get("/admin/courseware")
@organisation_page
def admin_courseware(problems: Problems | None = None, status: int = 200) -> Any:
    items = catalogue.list_courseware(current_principal().id, include_unpublished=True)
    return render_template(
        "admin/courseware.html", items=items, problems=problems or Problems()
    ), status


@bp.get("/admin/courseware/<int:courseware_id>")
@organisation_page
def admin_courseware_item(
    courseware_id: int, problems: Problems | None = None, status: int = 200
) -> Any:
    item = catalogue.get_courseware(courseware_id, current_principal().id, True)
    return render_template(
        "admin/courseware_edit.html", item=item, problems=problems or Problems()
    ), status


def _courseware_refused(courseware_id: int | None, problems: Problems, status: int) -> Any:
    if courseware_id is None:
        return admin_courseware(problems, status)
    return admin_courseware_item(courseware_id, problems, status)


@bp.post("/admin/courseware")
@bp.post("/admin/courseware/<int:courseware_id>")
@organisation_page
@large_body("MEDIA_MAX_BYTES")
def admin_courseware_save(courseware_id: int | None = None) -> Any:
    if courseware_id is not None:
        catalogue.get_courseware(courseware_id, current_principal().id, True)  # or 404
    form, problems = validated(CoursewareForm, join_hours(request.form.to_dict()))
    upload = request.files.get("file")
    chosen = upload is not None and bool(upload.filename)
    if not chosen and not request.form.get("source_url", "").strip():
        problems.add(_("Upload a file or give its address."), "source_url")
    if problems:
        return _courseware_refused(courseware_id, problems, 400)
    fields = form.model_dump()
    try:
        if chosen:
            fields["source_url"] = catalogue.store_media(
                upload.filename, upload.stream, fields["kind"]
            )
        if courseware_id is None:
            courseware_id = catalogue.create_courseware(fields, current_principal().id).id
        else:
            catalogue.update_courseware(courseware_id, fields, current_principal().id)
    except TrackerError as error:
        return _courseware_refused(courseware_id, error_problems(error), error.status)
    flash(_("Saved."), "ok")
    return redirect(url_for("web.admin_courseware_item", courseware_id=courseware_id))


@bp.get("/admin/audit")
@admin_page
def admin_audit() -> Any:
    page = request.args.get("page", 1, type=PAGE_ARG)
    lines, total = audit.readable_entries(
        current_principal(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        request.args.get("target_type") or None,
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template(
        "admin/audit.html", lines=lines, sentence=audit_text.sentence, page=page, pages=pages
    )

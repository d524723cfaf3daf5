"""Users: admins create, list, edit, deactivate and import them; everyone sees themselves."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import login_user

from tracker.api import bp
from tracker.api.schemas import (
    ImportOut,
    MeOut,
    PasswordChange,
    ProfilePatch,
    UserCreate,
    UserDetail,
    UserPage,
    UserPatch,
    UserQuery,
)
from tracker.api.spec import FileField, endpoint
from tracker.auth import current_principal
from tracker.services import own_account, users
from tracker.services.accounts import create_user
from tracker.services.uploads import CSV, Upload
from tracker.services.users import ImportResult, UserView


@bp.post("/users")
@endpoint(
    "Create a user",
    body=UserCreate,
    response=UserDetail,
    status=201,
    roles=("admin",),
    errors=("username_taken", "unknown_unit", "unit_required", "outside_scope"),
)
def create_user_view(body: UserCreate) -> UserView:
    actor = current_principal()
    created = create_user(**body.model_dump(), actor_id=actor.id)
    return users.get_user(actor, created.id)


@bp.get("/users")
@endpoint("List users (search and filter)", query=UserQuery, response=UserPage, roles=("admin",))
def list_users(query: UserQuery) -> dict[str, Any]:
    found, total = users.list_users(
        current_principal(),
        query.q,
        query.role,
        query.unit_id,
        query.active,
        query.limit,
        query.offset,
    )
    return {"items": found, "total": total}


@bp.get("/users/<int:user_id>")
@endpoint("One user", response=UserDetail, roles=("admin",), errors=("user_not_found",))
def get_user(user_id: int) -> UserView:
    return users.get_user(current_principal(), user_id)


@bp.patch("/users/<int:user_id>")
@endpoint(
    "Change a user; deactivating ends their sessions and tokens at once",
    body=UserPatch,
    response=UserDetail,
    roles=("admin",),
    errors=(
        "user_not_found",
        "unknown_unit",
        "cannot_change_self",
        "unit_required",
        "outside_scope",
        "own_scope",
    ),
)
def patch_user(user_id: int, body: UserPatch) -> UserView:
    fields = body.model_dump(exclude_unset=True)
    return users.update_user(user_id, fields, current_principal())


@bp.post("/users/import")
@endpoint(
    "Create or update users from a CSV file (username,password,display_name,role,unit)",
    upload=FileField("file", CSV, raw_csv=True),
    response=ImportOut,
    roles=("admin",),
    errors=("bad_csv",),
)
def import_users(upload: Upload) -> ImportResult:
    return users.import_users(upload.data, current_principal().id)


@bp.get("/me")
@endpoint("The caller, with unit and rule set", response=MeOut)
def me() -> dict[str, Any]:
    return users.me(current_principal().id)


@bp.patch("/me")
@endpoint(
    "Change one's own display name and preferred language (null: the browser's)",
    body=ProfilePatch,
    response=MeOut,
)
def patch_me(body: ProfilePatch) -> dict[str, Any]:
    principal = own_account.update_profile(current_principal(), body.model_dump(exclude_unset=True))
    return users.me(principal.id)


@bp.post("/me/password")
@endpoint(
    "Change one's own password: every token and other session issued before stops working",
    body=PasswordChange,
    status=204,
    errors=("wrong_password",),
)
def change_password(body: PasswordChange) -> str:
    principal = own_account.change_password(
        current_principal(), body.current_password, body.new_password
    )
    if "Authorization" not in request.headers:
        login_user(principal)  # the browser session that asked stays logged in
    return ""

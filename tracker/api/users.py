"""`POST /users`: admins create users."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas import UserCreate, UserOut
from tracker.api.spec import endpoint
from tracker.services.accounts import create_user


@bp.post("/users")
@endpoint(
    "Create a user",
    body=UserCreate,
    response=UserOut,
    status=201,
    roles=("admin",),
    errors=("username_taken",),
)
def create_user_view(body: UserCreate) -> dict[str, Any]:
    return create_user(**body.model_dump())

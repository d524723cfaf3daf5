"""`POST /auth/token`: exchange credentials for a bearer token."""

from __future__ import annotations

from typing import Any

from tracker.api import bp
from tracker.api.schemas import TokenRequest, TokenResponse
from tracker.api.spec import endpoint
from tracker.auth import issue_token
from tracker.proxies import client_address
from tracker.services.accounts import authenticate


@bp.post("/auth/token")
@endpoint(
    "Exchange a username and password for a bearer token",
    body=TokenRequest,
    response=TokenResponse,
    public=True,
    errors=("invalid_credentials", "account_disabled", "too_many_attempts"),
)
def token(body: TokenRequest) -> dict[str, Any]:
    principal = authenticate(body.username, body.password, client_address())
    return {"token": issue_token(principal), "user": principal}

"""While the database cannot be reached, requests get a clear 503 to retry, never a 500."""

from __future__ import annotations

import pytest

from deploy.local import free_port
from tests.integration.conftest import assert_error


@pytest.fixture
def app(make_app):
    """An app whose PostgreSQL is not there (nothing listens on the port)."""
    return make_app(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone", AUTO_MIGRATE=False
    )


def test_the_api_answers_503_with_retry_after(client):
    response = client.post(
        "/api/v1/auth/token", json={"username": "ann", "password": "correct horse 1"}
    )
    assert_error(response, 503, "database_unavailable")
    assert response.json["retry_after_s"] > 0
    assert int(response.headers["Retry-After"]) >= 1


def test_a_page_answers_503_with_retry_after(client):
    response = client.post("/login", data={"username": "ann", "password": "correct horse 1"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]

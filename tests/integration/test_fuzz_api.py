"""Schemathesis over every operation of `/api/v1/openapi.json`, as a learner and as an admin:
no answer is a 5xx, every status is one the document declares, every body fits its schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from tracker.auth import Principal, issue_token
from tracker.extensions import db
from tracker.models import User

EXAMPLES = 6  # per operation, each called by both roles: the test stays well under 2 minutes
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(client, admin, learner) -> None:
    """Something of every kind for the fuzzer's ids to find (small ids come up often)."""
    for path, body, who in [
        ("/units", {"name": "Lab"}, admin),
        ("/courseware", {"title": "Safety", "kind": "video", "hours_limit": 1}, admin),
        (
            "/trainings",
            {
                "title": "Induction",
                "category": "general",
                "organizer": "HR",
                "location": "Room 1",
                "start_date": "2026-03-02",
                "end_date": "2026-03-03",
                "days": 2,
            },
            admin,
        ),
        (
            "/records",
            {
                "kind": "self_study",
                "title": "Reading",
                "start_date": "2026-03-01",
                "end_date": "2026-03-02",
                "hours": 2,
            },
            learner,
        ),
        ("/exams", {"title": "Safety quiz", "subject": "public"}, admin),
    ]:
        response = client.post(f"/api/v1{path}", json=body, headers=who)
        assert response.status_code == 201, response.json


def bearer(app: Flask, username: str) -> dict[str, str]:
    """A fresh token for `username`: an earlier call may have changed their password."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return {"Authorization": f"Bearer {issue_token(Principal.of(user))}"}


def fuzz(operation: Any, callers: dict[str, dict[str, str]]) -> list[str]:
    """What went wrong in EXAMPLES generated calls of `operation`, each made by every caller
    (nothing: an empty list)."""
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same calls on every run: CI is not a lottery
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        for who, headers in callers.items():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except BaseException as error:  # schemathesis reports failures as exception groups
                failures.append(f"{operation.label} as {who}: {error}")

    call()
    return failures


@pytest.mark.usefixtures("seeded")
def test_every_operation_answers_as_documented(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60
    failures = []
    for operation in operations:
        callers = {
            role: bearer(app, name) for role, name in (("learner", "ann"), ("admin", "root"))
        }
        failures += fuzz(operation, callers)
    assert not failures, "\n\n".join(failures[:40])

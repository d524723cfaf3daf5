"""Whom an admin administers: the unit subtree rule every service asks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from tracker.auth import Principal
from tracker.extensions import db
from tracker.models import User
from tracker.services.access import may_see
from tracker.services.scope import admin_scope
from tracker.services.units import create_unit


@pytest.fixture
def tree(app: Flask, make_user: Callable[..., int]) -> dict[str, int]:
    """Branch › Institute › Lab, and a separate Bureau; one person in each, one in none."""
    with app.app_context():
        branch = create_unit("Branch")
        institute = create_unit("Institute", parent_id=branch)
        create_unit("Lab", parent_id=institute)
        create_unit("Bureau")
    people = {
        name: make_user(name, unit=unit)
        for name, unit in [
            ("b", "Branch"),
            ("i", "Institute"),
            ("l", "Lab"),
            ("x", "Bureau"),
            ("n", None),
        ]
    }
    people["institute_admin"] = make_user("institute_admin", role="admin", unit="Institute")
    people["root"] = make_user("root", role="admin")
    return people


def principal(app: Flask, user_id: int) -> Principal:
    with app.app_context():
        return Principal.of(db.session.scalar(select(User).where(User.id == user_id)))


@pytest.mark.parametrize(
    ("who", "covered"),
    [
        ("institute_admin", {"i", "l", "institute_admin"}),
        ("root", {"b", "i", "l", "x", "n", "institute_admin", "root"}),
        ("l", set()),
    ],
)
def test_an_admin_administers_its_units_subtree(
    app: Flask, tree: dict[str, int], who: str, covered: set[str]
) -> None:
    caller = principal(app, tree[who])
    with app.app_context():
        scope = admin_scope(caller)
        assert {name for name, uid in tree.items() if scope.covers(uid)} == covered
        listed = set(db.session.scalars(select(User.id).where(scope.members())))
        assert listed == {tree[name] for name in covered}
        assert scope.covers(10**9) == (who == "root")  # only the organisation learns 404


def test_a_unit_admin_sees_only_its_people_and_everyone_sees_themselves(
    app: Flask, tree: dict[str, int]
) -> None:
    unit_admin = principal(app, tree["institute_admin"])
    learner = principal(app, tree["x"])
    with app.app_context():
        assert may_see(unit_admin, tree["l"])
        assert not may_see(unit_admin, tree["b"])
        assert not may_see(unit_admin, tree["n"])
        assert may_see(learner, tree["x"])
        assert not may_see(learner, tree["l"])

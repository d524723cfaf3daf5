"""Membership tests built once: the same rows as `IN`, one statement text for any length."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import User
from tracker.sql import one_of, pair_of, pairs, per_dialect, values


@per_dialect
def _users_named() -> object:
    return select(User.username).where(one_of(User.id, "ids")).order_by(User.username)


@per_dialect
def _users_by_pair() -> object:
    return select(User.username).where(pair_of((User.id, User.role), "keys"))


@pytest.mark.parametrize("picked", [[], [0], [0, 2], [0, 1, 2, 3, 4]])
def test_one_of_reads_what_in_reads(
    app: Flask, make_user: Callable[..., int], picked: list[int]
) -> None:
    ids = [make_user(f"member{i}") for i in range(5)]
    with app.app_context():
        wanted = [ids[i] for i in picked] + [10**9]  # one id that matches nobody
        found = db.session.scalars(_users_named(), values("ids", wanted)).all()
    assert found == sorted(f"member{i}" for i in picked)


def test_pair_of_matches_both_columns(app: Flask, make_user: Callable[..., int]) -> None:
    first, second = make_user("first"), make_user("second", role="admin")
    with app.app_context():
        asked = [(first, "learner"), (second, "learner"), (second, "admin")]
        found = db.session.scalars(_users_by_pair(), pairs("keys", asked)).all()
    assert sorted(found) == ["first", "second"]


def test_statement_is_built_once_and_its_text_does_not_grow(app: Flask) -> None:
    with app.app_context():
        assert _users_named() is _users_named()
        compiled = _users_named().compile(db.engine)
        if db.engine.dialect.name == "postgresql":
            # One array parameter, whatever the number of ids: prepared once by the server.
            assert list(compiled.params) == ["ids"]
            assert "ANY" in str(compiled)

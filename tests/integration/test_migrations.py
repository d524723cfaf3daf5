"""Migrations: they build the models' schema, and carry existing ledgers forward."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from tracker.extensions import db
from tracker.models import Base


def test_the_migrated_schema_is_the_models_schema(make_app, database_url):
    app = make_app(database_url)
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_existing_session_credits_are_dated_by_their_sessions(make_app, database_url):
    """0003 gives each credit its session's local opening day, or 1 January of a later year."""
    app = make_app(database_url, AUTO_MIGRATE=False)
    with app.app_context():
        upgrade(revision="0002")
        tables = sa.MetaData()
        tables.reflect(db.engine, only=["users", "courseware", "watch_sessions", "session_credits"])
        at = datetime(2026, 3, 1, tzinfo=UTC)
        sessions = {
            # 20:00 UTC is 04:00 the next morning in Beijing.
            "evening": datetime(2026, 3, 4, 20, 0, tzinfo=UTC),
            # 23:30 on New Year's Eve in Beijing, watched past midnight.
            "new-year": datetime(2026, 12, 31, 15, 30, tzinfo=UTC),
        }
        with db.engine.begin() as c:
            c.execute(
                tables.tables["users"].insert(),
                {
                    "id": 1,
                    "username": "ann",
                    "password_hash": "!",
                    "display_name": "",
                    "role": "learner",
                    "active": True,
                    "token_version": 0,
                    "created_at": at,
                },
            )
            c.execute(
                tables.tables["courseware"].insert(),
                {
                    "id": 1,
                    "title": "V",
                    "description": "",
                    "kind": "video",
                    "hours_limit": 2,
                    "source_url": "",
                    "published": True,
                    "created_at": at,
                    "updated_at": at,
                },
            )
            for session_id, opened in sessions.items():
                c.execute(
                    tables.tables["watch_sessions"].insert(),
                    {
                        "id": session_id,
                        "user_id": 1,
                        "courseware_id": 1,
                        "opened_at": opened,
                        "last_beat_at": opened,
                        "last_seq": 3,
                        "was_live": False,
                        "live_ms": 60_000,
                        "raw_ms": 60_000,
                        "effective_ms": 60_000,
                    },
                )
            credits = [("evening", 2026), ("new-year", 2026), ("new-year", 2027)]
            c.execute(
                tables.tables["session_credits"].insert(),
                [
                    {
                        "session_id": session_id,
                        "year": year,
                        "user_id": 1,
                        "courseware_id": 1,
                        "raw_ms": 30_000,
                        "effective_ms": 30_000,
                    }
                    for session_id, year in credits
                ],
            )
        upgrade()
        with db.engine.connect() as c:
            days = set(c.execute(sa.text("select session_id, year, day from session_credits")))
    assert {(s, y, d if isinstance(d, date) else date.fromisoformat(d)) for s, y, d in days} == {
        ("evening", 2026, date(2026, 3, 5)),
        ("new-year", 2026, date(2026, 12, 31)),
        ("new-year", 2027, date(2027, 1, 1)),
    }


MIGRATIONS = Path(__file__).resolve().parents[2] / "tracker" / "migrations"
# The revision before usernames got their key, wherever the chain puts it.
BEFORE_KEYS = ScriptDirectory(str(MIGRATIONS)).get_revision("0006_usernames").down_revision


def _users_before_keys(app, names: list[str]) -> None:
    with app.app_context():
        upgrade(revision=BEFORE_KEYS)
        users = sa.Table("users", sa.MetaData(), autoload_with=db.engine)
        at = datetime(2026, 3, 1, tzinfo=UTC)
        with db.engine.begin() as c:
            c.execute(
                users.insert(),
                [
                    {
                        "username": name,
                        "password_hash": "!",
                        "display_name": "",
                        "role": "learner",
                        "active": True,
                        "token_version": 0,
                        "created_at": at,
                    }
                    for name in names
                ],
            )


def test_existing_usernames_get_their_key(make_app, database_url):
    """0006 keys every user by the username's NFKC case-folded form."""
    app = make_app(database_url, AUTO_MIGRATE=False)
    _users_before_keys(app, ["Ann", "ＢＯＢ", "张三", "аdmin"])
    with app.app_context():
        upgrade()
        with db.engine.connect() as c:
            keys = dict(c.execute(sa.text("select username, username_key from users")).all())
    assert keys == {"Ann": "ann", "ＢＯＢ": "bob", "张三": "张三", "аdmin": "аdmin"}


def test_usernames_that_would_become_one_stop_the_migration(make_app, database_url, capfd):
    app = make_app(database_url, AUTO_MIGRATE=False)
    _users_before_keys(app, ["ann", "Ann", "ＡＮＮ", "bob", "BOB", "carl"])
    with app.app_context():
        with pytest.raises(SystemExit):  # how `flask db upgrade` and start-up report it
            upgrade()
        reported = capfd.readouterr().err
        assert "rename all but one of each group" in reported
        assert "Ann = ann = ＡＮＮ; BOB = bob" in reported
        with db.engine.connect() as c:
            version = c.execute(sa.text("select version_num from alembic_version")).scalar()
            columns = {column["name"] for column in sa.inspect(c).get_columns("users")}
    assert version == BEFORE_KEYS
    assert "username_key" not in columns

"""Engine tuning and schema migration."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Engine, event


def tune_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, and BEGIN IMMEDIATE so concurrent writers queue, not fail."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL survives a killed process; only an OS crash or power cut can lose
        # the last commits (PostgreSQL is the production database).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade_schema(app: Flask) -> None:
    """Bring the database schema to the newest migration."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()

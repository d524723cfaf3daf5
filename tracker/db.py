"""Engine tuning and schema migration."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from tracker.errors import RetryLater

# How long a transaction waits for SQLite's write lock before it gives up.
LOCK_WAIT_S = 10.0
# What a caller is asked to wait when the database cannot be reached (a restart, a failover).
UNAVAILABLE_RETRY_S = 2.0


def unavailable(error: BaseException) -> RetryLater | None:
    """`database_unavailable` if `error` means the database cannot be reached or is busy.

    Lost connections, refused connections, a server shutting down or starting up, a lock
    that could not be had: nothing was committed, and the same request can simply be sent
    again. Anything else is a bug and stays an internal error.
    """
    lost = isinstance(error, DBAPIError) and error.connection_invalidated
    if lost or isinstance(error, (OperationalError, InterfaceError)):
        return RetryLater("database_unavailable", UNAVAILABLE_RETRY_S)
    return None


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
        # SQLite's own busy wait sleeps inside C and would freeze a gevent process whole
        # (see `_begin_immediate`); it only bridges the instant of a checkpoint.
        cursor.execute("PRAGMA busy_timeout=5")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        _begin_immediate(connection)


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock, waiting for it in Python so that waiting is cooperative.

    Under gevent, `time.sleep` lets the other greenlets run, the lock's holder among them:
    it may be waiting for a thread-pool result (an Argon2 hash) that only the event loop
    can hand back. Inside sqlite3's C busy handler the whole loop would stop instead, and
    the holder could never commit: a hang until the wait timed out with "database is
    locked" (what the first attempt at hashing off the loop ran into).
    """
    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.001
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if "locked" not in str(error.orig) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.02)


def upgrade_schema(app: Flask) -> None:
    """Bring the database schema to the newest migration."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()

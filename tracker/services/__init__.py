"""Application services: each owns one transaction (load → core → persist → emit)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from tracker.extensions import db

log = logging.getLogger(__name__)

_AFTER_COMMIT = "tracker.after_commit"


@contextmanager
def transaction() -> Iterator[Session]:
    """Commit what the block did, or roll all of it back if it raised."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def after_commit(announce: Callable[[], None]) -> None:
    """Run `announce` once the current transaction has committed; never if it rolls back."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(announce)


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    for announce in session.info.pop(_AFTER_COMMIT, []):
        try:
            announce()
        except Exception:  # the change is committed: telling others about it is best-effort
            log.exception("announcing a committed change failed")


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


@contextmanager
def large_read() -> Iterator[None]:
    """Around a read that builds hundreds of thousands of short-lived values (a unit report)."""
    # Python's cyclic collector is paused: those values hold no cycles, and its passes over
    # them were a large share of a report's time (docs/benchmarks.md). PostgreSQL may aggregate
    # in memory (4 MB by default, and a year's ledger of thousands of people spills to disk);
    # SET LOCAL ends with the transaction.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

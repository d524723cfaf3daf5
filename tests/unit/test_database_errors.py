"""Which database failures mean "try again later" rather than a bug."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from tracker.db import UNAVAILABLE_RETRY_S, unavailable


def _raised(kind: type[DBAPIError], **extra: object) -> DBAPIError:
    return kind("SELECT 1", {}, Exception("underlying"), **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        _raised(OperationalError),  # refused, shutting down, starting up, locked
        _raised(InterfaceError),  # the connection is closed
        _raised(DBAPIError, connection_invalidated=True),  # lost mid-statement
    ],
)
def test_an_unreachable_database_is_retry_later(error: DBAPIError) -> None:
    retry = unavailable(error)
    assert retry is not None
    assert retry.code == "database_unavailable"
    assert retry.status == 503
    assert retry.retry_after_s == UNAVAILABLE_RETRY_S


@pytest.mark.parametrize(
    "error", [_raised(IntegrityError), _raised(DBAPIError), ValueError("a bug"), KeyError("x")]
)
def test_anything_else_stays_an_internal_error(error: Exception) -> None:
    assert unavailable(error) is None

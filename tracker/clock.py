"""The server's clock and the organisation's time zone: the one place services read time from."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from flask import current_app


def now() -> datetime:
    """The current instant by the server's clock (an app extension, so tests can drive it)."""
    return current_app.extensions["tracker.clock"]()


def timezone() -> tzinfo:
    """The organisation's time zone: calendar days and years are counted in it."""
    return current_app.extensions["tracker.timezone"]


def local_day(at: datetime) -> date:
    """The organisation's calendar day that `at` falls on."""
    return at.astimezone(timezone()).date()


def today() -> date:
    """Today in the organisation's time zone."""
    return local_day(now())


def this_year() -> int:
    """The current calendar year in the organisation's time zone."""
    return today().year

"""Showing durations to people: "54 小时 10 分" / "54 h 10 min"."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _

from tracker import clock as server_clock


def duration(ms: int | float | None) -> str:
    """Hours and minutes of `ms`, in the current language."""
    if ms is None:
        return "∞"
    # Time taken back from the archive is negative: the sign goes before the hours.
    sign = "-" if ms < 0 else ""
    minutes = int(abs(ms) // 60_000)
    return sign + _("%(hours)d h %(minutes)d min", hours=minutes // 60, minutes=minutes % 60)


def clock(epoch_s: float) -> str:
    """The time of day of a Unix timestamp in the organisation's time zone."""
    at = datetime.fromtimestamp(epoch_s, UTC).astimezone(server_clock.timezone())
    return at.strftime("%H:%M:%S")


def day(at: datetime) -> str:
    """The calendar day of `at` in the organisation's time zone, as YYYY-MM-DD."""
    return server_clock.local_day(at).isoformat()

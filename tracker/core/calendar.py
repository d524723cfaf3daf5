"""Calendar years and days: spans split at New Year, and the days a dated period can hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo


def year_of(at: datetime, tz: tzinfo) -> int:
    """The calendar year `at` falls in, in time zone `tz`."""
    return at.astimezone(tz).year


def credit_day(opened_at: datetime, year: int, tz: tzinfo) -> date:
    """The day a session opened at `opened_at` is dated by in `year`: its local opening day,
    or 1 January when it ran into `year` from the year before."""
    return max(opened_at.astimezone(tz).date(), date(year, 1, 1))


def split_by_year(end: datetime, duration_ms: int, tz: tzinfo) -> tuple[tuple[int, int], ...]:
    """Split the span of `duration_ms` ending at `end` into (year, ms) parts, oldest first."""
    if duration_ms <= 0:
        return ()
    start = end - timedelta(milliseconds=duration_ms)
    parts: list[tuple[int, int]] = []
    cursor = start
    while year_of(cursor, tz) < year_of(end, tz):
        year = year_of(cursor, tz)
        boundary = datetime(year + 1, 1, 1, tzinfo=tz)
        ms = round((boundary - cursor) / timedelta(milliseconds=1))
        if ms > 0:
            parts.append((year, ms))
        cursor = boundary
    used = sum(ms for _, ms in parts)
    parts.append((year_of(end, tz), duration_ms - used))
    return tuple((year, ms) for year, ms in parts if ms > 0)


def calendar_days(start: date, end: date) -> int:
    """How many calendar days the period from `start` to `end` spans, both days included."""
    return (end - start).days + 1


def days_fit(days: float, start: date, end: date) -> bool:
    """Whether `days` of training or claimed learning fit the period: at most one a calendar day."""
    return days <= calendar_days(start, end)

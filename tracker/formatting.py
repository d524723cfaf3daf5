"""Showing durations to people: "54 小时 05 分" / "54 h 05 min" (docs/glossary.md, Durations)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _

from tracker import clock as server_clock
from tracker.core.rules import MS_PER_MINUTE, whole_minutes

MINUS = "\u2212"  # a real minus sign: never read as a formula by a spreadsheet program


def _patterns(hours: str, minutes: str, seconds: str) -> tuple[str, str]:
    """The two translated patterns, filled with the given parts."""
    return (
        _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes),
        _(
            "%(hours)s h %(minutes)s min %(seconds)s s",
            hours=hours,
            minutes=minutes,
            seconds=seconds,
        ),
    )


def duration(ms: int | float | None, seconds: bool = False, missing: bool = False) -> str:
    """Hours and zero-padded minutes of `ms` in the current language, cut to whole minutes
    (`whole_minutes`); with `seconds`, also the seconds (only for the player's live figures);
    with `missing` (time still missing of a goal), rounded up to whole minutes instead.

    0 reads "0 h 00 min"; a negative duration (time taken back) has a minus sign before the
    hours unless it reads as zero; hours have no grouping ("1234 h 05 min"); None: no limit.
    """
    if ms is None:
        return "∞"
    if missing:
        # Goals are whole minutes, so the done figure cut and the missing one rounded up add
        # up to the goal as read: 49 h 59 min 59.9 s of 100 h leaves "50 h 01 min".
        ms = -(-round(ms) // MS_PER_MINUTE) * MS_PER_MINUTE
    whole_s = int(abs(ms) // 1000)
    shown = whole_s if seconds else whole_minutes(ms) // 1000
    sign = MINUS if ms < 0 and shown else ""
    hm, hms = _patterns(str(whole_s // 3600), f"{whole_s // 60 % 60:02d}", f"{whole_s % 60:02d}")
    return sign + (hms if seconds else hm)


def on_one_line(ms: int | float | None, seconds: bool = False, missing: bool = False) -> str:
    """`duration` as pages show it: no-break spaces, so a figure never wraps inside itself."""
    return duration(ms, seconds, missing).replace(" ", "\u00a0")


def duration_patterns() -> dict[str, str]:
    """The patterns `duration` fills, for the pages' scripts (static/duration.js), which
    apply the same rule to figures that change in the browser."""
    hm, hms = _patterns("{hours}", "{minutes}", "{seconds}")
    return {"hm": hm, "hms": hms, "minus": MINUS}


def clock(epoch_s: float) -> str:
    """The time of day of a Unix timestamp in the organisation's time zone."""
    at = datetime.fromtimestamp(epoch_s, UTC).astimezone(server_clock.timezone())
    return at.strftime("%H:%M:%S")


def day(at: datetime) -> str:
    """The calendar day of `at` in the organisation's time zone, as YYYY-MM-DD."""
    return server_clock.local_day(at).isoformat()

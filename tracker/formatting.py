"""Showing durations to people: "54 小时 10 分" / "54 h 10 min"."""

from __future__ import annotations

from flask_babel import gettext as _


def duration(ms: int | float | None) -> str:
    """Hours and minutes of `ms`, in the current language."""
    if ms is None:
        return "∞"
    minutes = int(ms // 60_000)
    return _("%(hours)d h %(minutes)d min", hours=minutes // 60, minutes=minutes % 60)

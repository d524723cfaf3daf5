"""Durations leave the server as seconds, hours as decimal hours: the one conversion.

Inside, every duration is whole milliseconds. Response models declare `Seconds` and `Hours`
fields that read a `*_ms` attribute (`from_ms("credited_ms")`); pages use the filters
`seconds` and `in_hours`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasPath, Field, PlainSerializer

from tracker.core.rules import MS_PER_HOUR


def seconds(ms: int) -> float:
    """Milliseconds as seconds."""
    return ms / 1000


def hours(ms: int) -> float:
    """Milliseconds as decimal hours (to four places: under a second and a half)."""
    return round(ms / MS_PER_HOUR, 4)


# Milliseconds inside, seconds / hours (numbers) on the wire.
Seconds = Annotated[int, PlainSerializer(seconds, return_type=float)]
Hours = Annotated[int, PlainSerializer(hours, return_type=float)]


def from_ms(attribute: str | AliasPath, **field: Any) -> Any:
    """A response field read from the milliseconds in `attribute` (or at that path)."""
    return Field(validation_alias=attribute, **field)

"""Validated shapes of the `/player` events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from tracker.ids import ID_MAX

SessionId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
Position = Annotated[float, Field(ge=0, le=10_000_000, allow_inf_nan=False)]


class _Payload(BaseModel):
    # Strict like the HTTP API: an unknown key or a value of the wrong JSON type (`"7"` or
    # `true` for a number) is a client bug or a probe, and is refused rather than guessed at.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OpenPayload(_Payload):
    """`open` {"courseware_id", "device_id"?}."""

    courseware_id: Annotated[int, Field(gt=0, le=ID_MAX)]
    # A random id the player keeps in the browser: several accounts watching at once from one
    # device are flagged for review (docs/heuristics.md).
    device_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")] | None = None


class HeartbeatPayload(_Payload):
    """`heartbeat` {"session_id", "seq", "state", "visible", "position", "rate"}."""

    session_id: SessionId
    seq: Annotated[int, Field(ge=0, lt=2**62)]
    state: Literal["playing", "paused", "ended"]
    visible: StrictBool
    position: Position = 0.0
    rate: Annotated[float, Field(gt=0, le=16, allow_inf_nan=False)] = 1.0


class ClosePayload(_Payload):
    """`close` {"session_id"}, optionally carrying a final heartbeat's fields."""

    session_id: SessionId
    seq: Annotated[int, Field(ge=0, lt=2**62)] | None = None
    state: Literal["playing", "paused", "ended"] | None = None
    visible: StrictBool | None = None
    position: Position | None = None
    rate: Annotated[float, Field(gt=0, le=16, allow_inf_nan=False)] = 1.0

    def final_beat(self) -> HeartbeatPayload | None:
        """The final heartbeat, when every field of one was sent."""
        if None in (self.seq, self.state, self.visible, self.position):
            return None
        return HeartbeatPayload.model_validate(self.model_dump())

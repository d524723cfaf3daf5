"""The JSON of Socket.IO packets: the standard library's, with its decoder built once.

python-socketio's default module builds a new decoder for every packet (to pass its
`parse_int`); on the live path that was a few per cent of a heartbeat's cost.
"""

from __future__ import annotations

import json
from typing import Any

# A huge integer literal takes quadratic time to parse; no field of ours needs one.
MAX_INT_DIGITS = 100


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError("Integer is too large")
    return int(text)


_decoder = json.JSONDecoder(parse_int=_bounded_int)
dumps = json.dumps


def loads(text: str | bytes, **_options: Any) -> Any:
    """One packet's JSON payload as Python values."""
    if isinstance(text, bytes | bytearray):
        text = text.decode()
    return _decoder.decode(text)

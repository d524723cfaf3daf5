"""Builders for core values."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
INTERVAL_MS = 15_000


@pytest.fixture
def tz() -> ZoneInfo:
    return SHANGHAI

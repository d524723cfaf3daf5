"""Splitting spans at year boundaries in the organisation's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.unit.conftest import SHANGHAI
from tracker.core.calendar import credit_day, days_fit, split_by_year, year_of


@pytest.mark.parametrize(
    ("end", "ms", "parts"),
    [
        (datetime(2026, 6, 1, tzinfo=SHANGHAI), 30_000, ((2026, 30_000),)),
        (datetime(2027, 1, 1, 0, 0, 10, tzinfo=SHANGHAI), 30_000, ((2026, 20_000), (2027, 10_000))),
        (datetime(2027, 1, 1, tzinfo=SHANGHAI), 30_000, ((2026, 30_000),)),
        (datetime(2026, 6, 1, tzinfo=SHANGHAI), 0, ()),
    ],
)
def test_split_by_year(end: datetime, ms: int, parts: tuple) -> None:
    assert split_by_year(end, ms, SHANGHAI) == parts


def test_year_is_local_not_utc() -> None:
    # 31 Dec 2026 16:00 UTC is midnight, 1 Jan 2027, in Beijing.
    instant = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert year_of(instant, SHANGHAI) == 2027
    assert year_of(instant, UTC) == 2026
    assert split_by_year(instant + timedelta(seconds=5), 10_000, SHANGHAI) == (
        (2026, 5_000),
        (2027, 5_000),
    )


@pytest.mark.parametrize(
    ("opened", "year", "day"),
    [
        pytest.param(datetime(2026, 3, 4, 20, 0, tzinfo=UTC), 2026, date(2026, 3, 5), id="local"),
        pytest.param(
            datetime(2026, 12, 31, 15, 30, tzinfo=UTC),
            2026,
            date(2026, 12, 31),
            id="new year's eve",
        ),
        pytest.param(
            datetime(2026, 12, 31, 15, 30, tzinfo=UTC), 2027, date(2027, 1, 1), id="ran into 2027"
        ),
    ],
)
def test_credit_day_is_the_local_opening_day_within_the_year(opened, year, day) -> None:
    assert credit_day(opened, year, SHANGHAI) == day


@pytest.mark.parametrize(
    ("start", "end", "days", "fits"),
    [
        (date(2026, 3, 9), date(2026, 3, 9), 0.5, True),
        (date(2026, 3, 9), date(2026, 3, 9), 1, True),
        (date(2026, 3, 9), date(2026, 3, 9), 1.5, False),
        (date(2026, 3, 9), date(2026, 3, 13), 5, True),
        (date(2026, 3, 9), date(2026, 3, 13), 5.5, False),
        (date(2026, 12, 31), date(2027, 1, 1), 2, True),
        (date(2024, 2, 28), date(2024, 3, 1), 3, True),  # a leap day counts
        (date(2024, 2, 28), date(2024, 3, 1), 3.5, False),
    ],
)
def test_a_period_holds_at_most_one_day_a_calendar_day(start, end, days, fits) -> None:
    assert days_fit(days, start, end) is fits

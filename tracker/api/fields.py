"""The API's building blocks: field types with their limits, input and output bases."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator
from pydantic_core import PydanticCustomError
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from tracker.core.calendar import days_fit
from tracker.errors import fail
from tracker.ids import ID_MAX, is_id

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError("iso_date", "Input should be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise PydanticCustomError("iso_date", "Input should be a valid calendar date") from error


# Hour limits are stored to three places (a courseware item's `hours_limit`): a smaller
# positive figure would be stored as nothing, so it is refused rather than silently dropped.
HOURS_MIN = 0.001
_HOURS = Field(ge=HOURS_MIN, le=1000, allow_inf_nan=False)
HoursIn = Annotated[float, Strict(), _HOURS]
HoursText = Annotated[float, _HOURS]  # from a form's text
Role = Literal["admin", "leader", "learner"]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Days = Annotated[float, Strict(), Field(gt=0, le=366, multiple_of=0.5, allow_inf_nan=False)]
Fraction = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]
Capacity = Annotated[int, Strict(), Field(gt=0, le=1_000_000)]
Money = Annotated[float, Strict(), Field(ge=0, le=1e12, allow_inf_nan=False)]
Subject = Literal["public", "professional"]
Year = Annotated[int, Field(ge=2000, le=2100)]  # a year a report, a certificate or a flag names
Text = Annotated[str, Field(max_length=5000)]
Id = Annotated[int, Strict(), Field(gt=0, le=ID_MAX)]
IdParam = Annotated[int, Field(gt=0, le=ID_MAX)]  # an id in a query string (text, converted)
Offset = Annotated[int, Field(ge=0, le=ID_MAX)]
Kinds = Annotated[list[str], BeforeValidator(sorted)]  # a cap group's kinds, in a stable order


class In(BaseModel):
    """A request body: unknown fields are refused, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    """Query strings: unknown keys are refused, empty values mean "not given"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


class Out(BaseModel):
    """A response body, read from a service's view (or a mapping) by attribute."""

    model_config = ConfigDict(from_attributes=True)


def refuse_nulls(patch: BaseModel, clearable: frozenset[str] = frozenset()) -> None:
    """A change may clear only the fields in `clearable`: `not_null` names the others."""
    nulls = sorted(
        n for n in patch.model_fields_set if n not in clearable and getattr(patch, n) is None
    )
    if nulls:
        raise PydanticCustomError("not_null", "{fields} cannot be null", {"fields": nulls})


def check_period(start: date | None, end: date | None, days: float | None = None) -> None:
    """`end_before_start` if a period ends before it starts, `days_beyond_period` if it states
    more days than it has calendar days (`core.calendar.days_fit`)."""
    if start is None or end is None:
        return
    if end < start:
        raise PydanticCustomError("end_before_start", "end_date must not be before start_date")
    if days is not None and not days_fit(days, start, end):
        raise PydanticCustomError(
            "days_beyond_period", "days must not exceed the calendar days of the period"
        )


def typed_period(values: Mapping[str, Any]) -> None:
    """`check_period` on a form's values as typed: dates or ISO text, days as a number
    (anything else is left to the fields' own checks)."""
    found = []
    for key in ("start_date", "end_date"):
        value = values.get(key)
        try:
            found.append(_iso_date(value) if value is not None else None)
        except PydanticCustomError:
            found.append(None)
    days = values.get("days")
    typed = isinstance(days, int | float) and not isinstance(days, bool)
    check_period(*found, days if typed else None)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a number no id can have is `404` at once."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > ID_MAX:
            # Not werkzeug's ValidationError: after it, the router answers 405 to a PUT.
            raise NotFound()
        return number


def id_arg(text: str) -> int:
    """An id from a page's query string or form (Flask's `type=`): not a number counts as
    not given; a number no id can have is `not_found`."""
    number = int(text)
    if not is_id(number):
        fail("not_found")
    return number


def bounded_arg(low: int, high: int) -> Callable[[str], int]:
    """A parser for Flask's `type=` that treats numbers outside `low..high` as not given."""

    def parse(text: str) -> int:
        number = int(text)
        if not low <= number <= high:
            raise ValueError(text)
        return number

    return parse


PAGE_ARG = bounded_arg(1, 10_000)  # a page of a list on a page

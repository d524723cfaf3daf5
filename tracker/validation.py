"""What was wrong with some input, in the user's language: one translation of pydantic's errors.

The API's `bad_payload` and `bad_csv` details, the admin pages' messages and the learning
forms' problem lists all come from `details`: `{"line"?, "field"?, "problem"}`, where `line`
is a CSV line, `field` the input at fault (left out when the input as a whole is), and
`problem` a sentence in the caller's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tracker.errors import TrackerError

_PROBLEMS: dict[str, Any] = {
    "missing": _l("This field is required."),
    "string_too_short": _l("This field is required."),
    "iso_date": _l("Enter a date as YYYY-MM-DD."),
    "end_before_start": _l("The end date must not be before the start date."),
    "multiple_of": _l("Use whole or half days (steps of 0.5)."),
    "string_pattern_mismatch": _l("This value is not in the expected format."),
    "literal_error": _l("Choose one of the offered values."),
    "float_parsing": _l("Enter a number."),
    "float_type": _l("Enter a number."),
    "finite_number": _l("Enter a number."),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "bool_parsing": _l("Choose yes or no."),
    "bool_type": _l("Choose yes or no."),
    "string_type": _l("Enter text."),
    "extra_forbidden": _l("This field is not expected here."),
    "username": _l("Use only letters a-z, digits, . _ - @ or Chinese characters in a username."),
}


def problem(error: ErrorDetails) -> str:
    """One pydantic error as a sentence in the current language."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "string_too_short" and (ctx.get("min_length") or 0) > 1:
        return _("This is too short (at least %(n)s characters).", n=ctx["min_length"])
    if kind == "string_too_long":
        return _("This is too long (at most %(n)s characters).", n=ctx.get("max_length"))
    if kind in ("greater_than", "greater_than_equal"):
        return _("This must be more than %(limit)s.", limit=ctx.get("gt", ctx.get("ge")))
    if kind in ("less_than", "less_than_equal"):
        return _("This must be at most %(limit)s.", limit=ctx.get("le", ctx.get("lt")))
    if kind == "not_null":
        return _("These fields cannot be empty: %(fields)s.", fields=", ".join(ctx["fields"]))
    return str(_PROBLEMS.get(kind, _l("This value is not valid.")))


def details(error: ValidationError, **where: Any) -> list[dict[str, Any]]:
    """Each problem of `error` as `{**where, "field"?, "problem"}`, the problem translated."""
    found = []
    for item in error.errors():
        detail = dict(where)
        if item["loc"]:
            detail["field"] = ".".join(map(str, item["loc"]))
        detail["problem"] = problem(item)
        found.append(detail)
    return found


def invalid(error: ValidationError) -> TrackerError:
    """The `bad_payload` error that names each problem of `error`."""
    return TrackerError("bad_payload", details=details(error))


def detail_lines(found: Iterable[dict[str, Any]], labels: dict[str, Any]) -> list[str]:
    """Details as lines to show people, each field named by its label if it has one."""
    lines = []
    for detail in found:
        where = [_("Line %(n)s", n=detail["line"])] if "line" in detail else []
        if "field" in detail:
            field = detail["field"]
            where.append(str(labels.get(field.split(".")[0], field)))
        lines.append(": ".join([*where, str(detail["problem"])]))
    return list(dict.fromkeys(lines))

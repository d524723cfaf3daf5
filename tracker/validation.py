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
    "date_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_type": _l("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": _l("Enter a date as YYYY-MM-DD."),
    "end_before_start": _l("The end date must not be before the start date."),
    "days_beyond_period": _l("The days cannot exceed the calendar days of the period."),
    "string_pattern_mismatch": _l("This value is not in the expected format."),
    "literal_error": _l("Choose one of the offered values."),
    "enum": _l("Choose one of the offered values."),
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
    "hours_minutes": _l("Enter whole hours, and minutes from 0 to 59."),
    "hours_too_few": _l("Enter at least 1 minute."),
    "hours_with_deduction": _l("Give the hours to deduct, and only when deducting."),
    "exam_needs_subject": _l("A stand-alone exam needs a subject or a courseware item."),
    "completion_needs_item": _l("Only an exam of a courseware item can require its hours first."),
    "true_false_answer": _l("A true or false question has an answer and no choices."),
    "single_one_correct": _l("Mark exactly one choice correct."),
    "none_correct": _l("Mark at least one choice correct."),
    "certificate_number": _l(
        "Enter the number as printed on the certificate, such as EX2026-XXXX-XXXX-XXXX-XXXX."
    ),
    "value_error": _l("This value is not valid."),
}

# The field a rule across fields concerns: pydantic locates such a refusal at the model as a
# whole, yet people and clients need to know which input to change.
FIELD_OF_KIND: dict[str, str] = {
    "end_before_start": "end_date",
    "days_beyond_period": "days",
    "exam_needs_subject": "subject",
    "completion_needs_item": "requires_completion",
    "true_false_answer": "answer",
    "choices_count": "choices",
    "single_one_correct": "choices",
    "none_correct": "choices",
    "hours_with_deduction": "hours",
}

# Patterns named by what they ask for (a regular expression means nothing to people).
_PATTERNS: dict[str, Any] = {
    r"^$|^[^@\s]+@[^@\s]+$": _l("Enter an email address such as name@example.com."),
    r"^\d{4}-\d{2}$": _l("Enter a month as YYYY-MM."),
}


def _figure(value: Any) -> str:
    """A limit as people write it: 1000 rather than 1000.0 or 1e+03."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value) if isinstance(value, int) else f"{value:g}"


def problem(error: ErrorDetails) -> str:
    """One pydantic error as a sentence in the current language."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "string_too_short" and (ctx.get("min_length") or 0) > 1:
        return _("Use at least %(n)s characters.", n=ctx["min_length"])
    if kind == "string_too_long":
        return _("Use at most %(n)s characters.", n=ctx.get("max_length"))
    if kind == "too_short":
        return _("Give at least %(n)s.", n=ctx.get("min_length"))
    if kind == "too_long":
        return _("Give at most %(n)s.", n=ctx.get("max_length"))
    if kind == "greater_than":
        return _("Enter a number greater than %(limit)s.", limit=_figure(ctx.get("gt")))
    if kind == "greater_than_equal":
        return _("Enter a number of at least %(limit)s.", limit=_figure(ctx.get("ge")))
    if kind == "less_than":
        return _("Enter a number less than %(limit)s.", limit=_figure(ctx.get("lt")))
    if kind == "less_than_equal":
        return _("Enter a number of at most %(limit)s.", limit=_figure(ctx.get("le")))
    if kind == "multiple_of":
        step = ctx.get("multiple_of")
        if step == 0.5:
            return _("Use whole or half days (steps of 0.5).")
        return _("Enter a multiple of %(step)s.", step=_figure(step))
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERNS:
        return str(_PATTERNS[ctx["pattern"]])
    if kind == "hours_too_many":
        return _("Enter at most %(n)s hours.", n=_figure(ctx.get("le")))
    if kind == "choices_count":
        return _("Give %(low)s to %(high)s choices.", low=ctx.get("low"), high=ctx.get("high"))
    if kind == "not_null":
        return _("These fields cannot be empty: %(fields)s.", fields=", ".join(ctx["fields"]))
    return str(_PROBLEMS.get(kind, _PROBLEMS["value_error"]))


def location(error: ErrorDetails) -> tuple[int | str, ...]:
    """Where an error is: pydantic's location, then the field a rule across fields concerns."""
    field = FIELD_OF_KIND.get(error["type"])
    return (*error["loc"], field) if field else tuple(error["loc"])


def details(error: ValidationError, **where: Any) -> list[dict[str, Any]]:
    """Each problem of `error` as `{**where, "field"?, "problem"}`, the problem translated."""
    found = []
    for item in error.errors():
        detail = dict(where)
        if loc := location(item):
            detail["field"] = ".".join(map(str, loc))
        detail["problem"] = problem(item)
        found.append(detail)
    return found


def invalid(error: ValidationError) -> TrackerError:
    """The `bad_payload` error that names each problem of `error`."""
    return TrackerError("bad_payload", details=details(error))


def refusal(kind: str) -> TrackerError:
    """The `bad_payload` of a rule across fields checked outside a model, as the models word it."""
    text = str(_PROBLEMS[kind])
    return TrackerError("bad_payload", text, [{"field": FIELD_OF_KIND[kind], "problem": text}])


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

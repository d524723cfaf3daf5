"""HTML form shapes: browsers send strings, so these models convert and validate them."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from flask import request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from werkzeug.datastructures import MultiDict

from tracker.api.fields import Fraction, HoursText, IdParam
from tracker.api.schemas_trainings import Assessment
from tracker.errors import TrackerError
from tracker.services.accounts import DisplayName, Password, Username
from tracker.services.trainings import PARTICIPANT_CATEGORIES
from tracker.services.uploads import Upload, read_upload
from tracker.validation import detail_lines, details, invalid

# How the pages name the fields of their forms in messages.
LABELS = {
    "title": _l("Title"),
    "category": _l("Category"),
    "organizer": _l("Organiser"),
    "location": _l("Location"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "days": _l("Days"),
    "hours": _l("Hours"),
    "type": _l("Type"),
    "subject": _l("Subject"),
    "audience": _l("Target audience"),
    "capacity": _l("Capacity"),
    "participants": _l("Participants by category"),
    "budget": _l("Budget"),
    "actual_spend": _l("Actual spend"),
    "purpose": _l("Purpose"),
    "content": _l("Content"),
    "department": _l("Organising department"),
    "contact": _l("Contact person"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "kind": _l("Kind"),
    "note": _l("Reason"),
    "decision": _l("Decision"),
    "username": _l("Username"),
    "absent_fraction": _l("Absence"),
    "assessment": _l("Assessment"),
    "reason": _l("Reason"),
    "display_name": _l("Display name"),
    "language": _l("Language"),
    "current_password": _l("Current password"),
    "new_password": _l("New password"),
}


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Blank = BeforeValidator(_blank_is_none)
Role = Literal["admin", "leader", "learner"]


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CoursewareForm(_Form):
    """The courseware editor."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    kind: Literal["video", "document"]
    hours_limit: HoursText
    subject: Annotated[Literal["public", "professional"] | None, Blank] = None
    source_url: Annotated[str, Field(max_length=500)] = ""
    published: bool = False


class NewUserForm(_Form):
    """The form that adds one user."""

    username: Username
    password: Password
    display_name: DisplayName = ""
    role: Role = "learner"
    unit_id: Annotated[IdParam | None, Blank] = None


class EditUserForm(_Form):
    """The form that changes one user."""

    display_name: DisplayName = ""
    role: Role
    unit_id: Annotated[IdParam | None, Blank] = None
    active: bool = False
    password: Annotated[Password | None, Blank] = None


class UnitForm(_Form):
    """The form that adds or changes a unit."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    parent_id: Annotated[IdParam | None, Blank] = None
    rule_set: Annotated[str | None, Blank] = None


F = TypeVar("F", bound=BaseModel)


def parse_form(model: type[F], form: MultiDict[str, str]) -> F:
    """The validated form, or `bad_payload` whose details name each wrong field."""
    try:
        return model.model_validate(form.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from exc


def validated(model: type[F], values: dict[str, Any]) -> tuple[F | None, list[str]]:
    """The validated values, or None and each problem as a line to show."""
    try:
        return model.model_validate(values), []
    except ValidationError as error:
        return None, detail_lines(details(error), LABELS)


def error_lines(error: TrackerError) -> list[str]:
    """An error as lines to show: its message, then each of its details."""
    return [str(error.message), *detail_lines(error.details or [], LABELS)]


# Fields the learning forms send as numbers (counts as whole numbers).
_NUMBERS = frozenset({"days", "hours", "capacity", "budget", "actual_spend", "absent_fraction"})
_COUNTS = frozenset({"capacity", *(f"participants_{c}" for c in PARTICIPANT_CATEGORIES)})


def _number(name: str, text: str) -> Any:
    try:
        return int(text) if name in _COUNTS else float(text)
    except ValueError:
        return text  # left as text, so validation reports "enter a number"


def form_values(form: MultiDict[str, str], checkboxes: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form strings as the API models expect them: numbers, booleans, blanks left out."""
    values: dict[str, Any] = {}
    for name, text in form.items():
        text = text.strip()
        if not text or name in ("action", "file"):
            continue
        values[name] = _number(name, text) if name in _NUMBERS | _COUNTS else text
    for name in checkboxes:
        values[name] = name in form
    counts = {c: values.pop(f"participants_{c}", None) for c in PARTICIPANT_CATEGORIES}
    if any(v is not None for v in counts.values()):
        values["participants"] = {k: v for k, v in counts.items() if v is not None}
    return values


def optional_upload(allowed: frozenset[str]) -> Upload | None:
    """The checked file of the form's `file` field, or None if none was chosen."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return None
    return read_upload(file, allowed)


class AttendanceForm(_Form):
    """The form that confirms one person's attendance."""

    username: Annotated[str, Field(min_length=1, max_length=80)]
    absent_fraction: Fraction = 0.0
    assessment: Assessment = "passed"

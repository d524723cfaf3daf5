"""HTML form shapes: browsers send strings, so these models convert and validate them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal, TypeVar

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError
from werkzeug.datastructures import MultiDict

from tracker.api.fields import Fraction, HoursText, IdParam, Year, typed_period
from tracker.api.schemas_exams import ExamCreate, QuestionIn, exam_target, question_keyed
from tracker.api.schemas_records import RecordCreate, RecordPatch
from tracker.api.schemas_trainings import Assessment, TrainingCreate
from tracker.errors import TrackerError
from tracker.services.accounts import MAX_LOGIN_NAME, DisplayName, Password, Username
from tracker.services.certificates import normalize_number
from tracker.services.trainings import PARTICIPANT_CATEGORIES
from tracker.services.uploads import Upload, max_bytes, read_upload
from tracker.validation import detail_lines, invalid, location, problem

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
    "participants_management": _l("Management"),
    "participants_support": _l("Support"),
    "participants_staff": _l("Staff"),
    "participants_research": _l("Research"),
    "participants_external": _l("From outside the organisation"),
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
    "repeat_password": _l("New password again"),
    "password": _l("Password"),
    "name": _l("Unit name"),
    "parent_id": _l("Parent"),
    "rule_set": _l("Rule set"),
    "role": _l("Role"),
    "unit_id": _l("Unit"),
    "description": _l("Description"),
    "hours_limit": _l("Hour limit"),
    "source_url": _l("Address"),
    "file": _l("File"),
    "pass_mark": _l("Pass mark"),
    "time_limit_minutes": _l("Time limit"),
    "max_attempts": _l("Attempts allowed"),
    "question_count": _l("Questions per attempt"),
    "courseware_id": _l("Courseware item"),
    "requires_completion": _l("Only after the item's hours are credited"),
    "text": _l("Question"),
    "points": _l("Points"),
    "choices": _l("Choices"),
    "correct": _l("Correct choices"),
    "answer": _l("Answer"),
    "rating": _l("Rating"),
    "year": _l("Year"),
    "number": _l("Certificate number"),
    "comment": _l("Comment"),
    "enrolment_open": _l("Open for enrolment"),
    "active": _l("Active"),
    "published": _l("Published"),
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

# Where the question form splits a rule's field: which choices are correct is its own input.
_FORM_FIELD_OF_KIND = {"single_one_correct": "correct", "none_correct": "correct"}
# The form field a service's refusal concerns, by its code.
_FIELD_OF_CODE = {
    "bad_file": "file",
    "too_large": "file",
    "bad_media_type": "file",
    "username_taken": "username",
    "unknown_unit": "unit_id",
    "unit_required": "unit_id",
    "unit_name_taken": "name",
    "unit_cycle": "parent_id",
    "unknown_rule_set": "rule_set",
    "wrong_password": "current_password",
    "exam_exists": "courseware_id",
}
# Fields a person edits as hours and minutes (`<name>_h`, `<name>_min`): the models get hours.
HOUR_FIELDS = ("hours", "hours_limit")
_NOT_HOURS = "?"  # what `join_hours` passes on for hours and minutes that are not numbers
# What is wrong with an hours-and-minutes input, in its own terms rather than decimal hours.
_HOURS_KINDS = {
    "float_type": "hours_minutes",
    "float_parsing": "hours_minutes",
    "greater_than": "hours_too_few",
    "greater_than_equal": "hours_too_few",
    "less_than_equal": "hours_too_many",
}


def _field_of(error: ErrorDetails) -> str | None:
    """The form input a pydantic error concerns, rules across fields included."""
    return _FORM_FIELD_OF_KIND.get(error["type"]) or form_field(location(error))


def form_field(loc: Iterable[Any]) -> str | None:
    """The name of the form input a pydantic error location concerns."""
    parts = [str(p) for p in loc]
    if not parts:
        return None
    if parts[0] == "participants" and len(parts) > 1:
        return f"participants_{parts[1]}"
    return parts[0]


class Problems:
    """What is wrong with one submitted form: messages beside its fields and about it as a
    whole. `form` tells which form of a page it is when a page has several (a row, a claim)."""

    def __init__(self, form: str = "") -> None:
        self.form = form
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []

    def add(self, message: Any, field: str | None = None) -> Problems:
        """One more problem, of `field` or of the form as a whole."""
        shown = self.fields.setdefault(field, []) if field else self.general
        if str(message) not in shown:
            shown.append(str(message))
        return self

    def add_validation(self, error: ValidationError) -> Problems:
        """Each problem pydantic found, beside the field it concerns."""
        for item in error.errors():
            field = _field_of(item)
            kind = _HOURS_KINDS.get(item["type"]) if field in HOUR_FIELDS else None
            self.add(problem({**item, "type": kind} if kind else item), field)
        return self

    def add_error(self, error: TrackerError) -> Problems:
        """A refusal of a service: its details beside their fields, else its message."""
        if error.code == "too_large":  # a file over the limit: say the limit
            limit = f"{max_bytes() / (1024 * 1024):.3g}"
            return self.add(_("This file is too large: at most %(mb)s MB.", mb=limit), "file")
        if error.code in _FIELD_OF_CODE:
            return self.add(error.message, _FIELD_OF_CODE[error.code])
        found = error.details or []
        for detail in found:
            field = form_field(str(detail["field"]).split(".")) if "field" in detail else None
            if "line" in detail or field is None:
                self.general.extend(detail_lines([detail], LABELS))
            else:
                self.add(detail["problem"], field)
        if not found:
            self.add(error.message)
        return self

    def of(self, field: str) -> list[str]:
        """The problems of one field."""
        return self.fields.get(field, [])

    def summary(self) -> list[tuple[str | None, str]]:
        """Each problem as (the field it concerns or None, a line naming the field)."""
        lines: list[tuple[str | None, str]] = [(None, line) for line in self.general]
        order = {name: n for n, name in enumerate(LABELS)}  # roughly the forms' own order
        for field, found in sorted(self.fields.items(), key=lambda f: order.get(f[0], len(order))):
            label = str(LABELS.get(field, field))
            for text in found:
                lines.append((field, _("%(label)s: %(problem)s", label=label, problem=text)))
        return lines

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def __iter__(self) -> Iterator[str]:
        return iter([line for _field, line in self.summary()])

    def __len__(self) -> int:
        return len(self.summary())


def join_hours(form: Mapping[str, str]) -> dict[str, str]:
    """The form's strings with each hours-and-minutes pair as one figure of hours; both left
    blank: not given. Every form with an hours input goes through here."""
    pairs = {f"{name}_{unit}" for name in HOUR_FIELDS for unit in ("h", "min")}
    values = {k: v for k, v in form.items() if k not in pairs}
    for name in HOUR_FIELDS:
        hours, minutes = form.get(f"{name}_h"), form.get(f"{name}_min")
        if hours is None and minutes is None:
            continue
        hours, minutes = (hours or "").strip(), (minutes or "").strip()
        if not hours and not minutes:
            values[name] = ""
            continue
        try:
            whole, part = int(hours or 0), int(minutes or 0)
        except ValueError:
            values[name] = _NOT_HOURS
            continue
        ok = whole >= 0 and 0 <= part < 60
        values[name] = repr(whole + part / 60) if ok else _NOT_HOURS
    return values


def split_hours(hours: float | None) -> tuple[int, int] | None:
    """Decimal hours as the whole hours and minutes an hours input shows."""
    if hours is None:
        return None
    minutes = round(hours * 60)
    return minutes // 60, minutes % 60


def parse_form(model: type[F], form: MultiDict[str, str]) -> F:
    """The validated form, or `bad_payload` whose details name each wrong field."""
    try:
        return model.model_validate(join_hours(form.to_dict()))
    except ValidationError as exc:
        raise invalid(exc) from exc


def _exam_target(values: dict[str, Any]) -> None:
    exam_target(
        values.get("courseware_id"), values.get("subject"), bool(values.get("requires_completion"))
    )


def _question_keyed(values: dict[str, Any]) -> None:
    choices = values.get("choices")
    corrects = None if choices is None else [bool(c.get("correct")) for c in choices]
    question_keyed(str(values.get("kind")), corrects, values.get("answer"))


# Rules across fields, which pydantic checks only once every field is valid: run on what was
# typed as well, so that one refusal names every problem. The rules themselves live with the
# models; this only calls them.
_CROSS_CHECKS: dict[type[BaseModel], Callable[[dict[str, Any]], None]] = {
    TrainingCreate: typed_period,
    RecordCreate: typed_period,
    RecordPatch: typed_period,
    ExamCreate: _exam_target,
    QuestionIn: _question_keyed,
}


def validated(model: type[F], values: dict[str, Any], form: str = "") -> tuple[F | None, Problems]:
    """The validated values, or None and each problem beside its field."""
    try:
        return model.model_validate(values), Problems(form)
    except ValidationError as error:
        problems = Problems(form).add_validation(error)
    check = _CROSS_CHECKS.get(model)
    try:
        if check is not None:
            check(values)
    except PydanticCustomError as error:
        item = {"type": error.type, "ctx": error.context or {}, "loc": ()}
        problems.add(problem(item), _field_of(item))  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError):
        pass  # what was typed is too far off to weigh against the other fields
    return None, problems


def error_problems(error: TrackerError, form: str = "") -> Problems:
    """A service's refusal as the problems of a form."""
    return Problems(form).add_error(error)


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
    for name, text in join_hours(form).items():
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


class LoginForm(_Form):
    """The login form: both fields given, neither longer than any account's."""

    username: Annotated[str, Field(min_length=1, max_length=MAX_LOGIN_NAME)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]


class EvaluationForm(_Form):
    """One's evaluation of an item or a training: one to five stars and a comment."""

    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=2000)] = ""


class YearlyForm(_Form):
    """Issue the yearly certificates of a unit."""

    unit_id: IdParam
    year: Year


class ReportForm(_Form):
    """The unit report's filter: the year (blank: this year); the unit is picked from a list."""

    year: Annotated[Year | None, Blank] = None


def _certificate_number(text: str) -> str:
    if normalize_number(text) is None:
        raise PydanticCustomError("certificate_number", "not a certificate number")
    return text


class CertificateLookup(_Form):
    """The verification page's lookup: a number as printed (spacing, case and O for 0 aside)."""

    number: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_certificate_number)]


class CertificateRevokeForm(_Form):
    """Why a certificate is revoked."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]


class AttendanceForm(_Form):
    """The form that confirms one person's attendance."""

    username: Annotated[str, Field(min_length=1, max_length=80)]
    absent_fraction: Fraction = 0.0
    assessment: Assessment = "passed"

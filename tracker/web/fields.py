"""The inputs of the pages' forms: their limits read from the very models the server validates
with, their problems shown beside them, and what was typed kept after a refusal.

Templates use these through `templates/_fields.html`; no template writes a limit by hand.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from flask import request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import BaseModel
from werkzeug.datastructures import MultiDict

from tracker.api.schemas import PasswordChange, ProfilePatch
from tracker.api.schemas_exams import ChoiceIn, ExamCreate, QuestionIn
from tracker.api.schemas_flags import FlagDecisionIn
from tracker.api.schemas_records import RecordCreate, ReviewIn, RevokeIn
from tracker.api.schemas_trainings import Participants, TrainingCreate, VoidQuery
from tracker.services.courseware import MEDIA_TYPES
from tracker.services.exams.sheet import SHEETS
from tracker.services.uploads import CSV, DOCUMENTS, MATERIALS
from tracker.web import bp
from tracker.web.forms import (
    AttendanceForm,
    CertificateLookup,
    CertificateRevokeForm,
    CoursewareForm,
    EditUserForm,
    EvaluationForm,
    LoginForm,
    NewUserForm,
    Problems,
    ReportForm,
    UnitForm,
    YearlyForm,
    split_hours,
)

# Each form's model, by the name templates give it.
MODELS: dict[str, type[BaseModel]] = {
    "login": LoginForm,
    "user_new": NewUserForm,
    "user_edit": EditUserForm,
    "unit": UnitForm,
    "courseware": CoursewareForm,
    "training": TrainingCreate,
    "participants": Participants,
    "attendance": AttendanceForm,
    "void": VoidQuery,
    "record": RecordCreate,
    "review": ReviewIn,
    "revoke": RevokeIn,
    "exam": ExamCreate,
    "question": QuestionIn,
    "choice": ChoiceIn,
    "evaluation": EvaluationForm,
    "profile": ProfilePatch,
    "password": PasswordChange,
    "flag": FlagDecisionIn,
    "yearly": YearlyForm,
    "certificate_revoke": CertificateRevokeForm,
    "report": ReportForm,
    "certificate_lookup": CertificateLookup,
}
# The files each upload input takes, as the server checks them.
UPLOADS: dict[str, frozenset[str]] = {
    "csv": CSV,
    "documents": DOCUMENTS,
    "materials": MATERIALS,
    "sheets": SHEETS,
    "media": frozenset(s.lstrip(".") for kinds in MEDIA_TYPES.values() for s in kinds),
}
MINUTES_MAX = 59


@cache
def _schema(model: str) -> dict[str, Any]:
    return MODELS[model].model_json_schema(mode="validation")


def constraints(model: str, key: str) -> tuple[dict[str, Any], bool]:
    """The JSON schema of one field of a form's model (its non-null branch) and whether the
    field is required."""
    schema = _schema(model)
    prop = schema["properties"][key]
    branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
    prop = {**branches[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop, key in schema.get("required", [])


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@bp.app_template_global("limits")
def limits(model: str, key: str) -> dict[str, str | bool]:
    """The HTML attributes that ask in the browser what the server's model asks of a field."""
    prop, required = constraints(model, key)
    attrs: dict[str, str | bool] = {"required": True} if required else {}
    if "minLength" in prop:
        attrs["minlength"] = str(prop["minLength"])
    if "maxLength" in prop:
        attrs["maxlength"] = str(prop["maxLength"])
    if "pattern" in prop:
        attrs["pattern"] = prop["pattern"]
    if prop.get("type") in ("integer", "number"):
        step = prop.get("multipleOf", 1 if prop["type"] == "integer" else None)
        attrs["step"] = _figure(step) if step is not None else "any"
        if "minimum" in prop:
            attrs["min"] = _figure(prop["minimum"])
        elif "exclusiveMinimum" in prop:  # the least value above the bound the step allows
            attrs["min"] = _figure(prop["exclusiveMinimum"] + (step or 0))
        if "maximum" in prop:
            attrs["max"] = _figure(prop["maximum"])
    return attrs


def hours_limits(
    model: str, key: str, max_hours: float | None = None
) -> tuple[dict[str, str | bool], dict[str, str | bool]]:
    """The attributes of an hours input's two parts: whole hours, then minutes (`max_hours`:
    a lower ceiling of this one record, such as the hours a claim asks for)."""
    prop, required = constraints(model, key)
    hours: dict[str, str | bool] = {"min": "0", "step": "1"}
    ceiling = min((x for x in (prop.get("maximum"), max_hours) if x is not None), default=None)
    if ceiling is not None:
        hours["max"] = str(math.floor(ceiling))
    if required:
        hours["required"] = True
    return hours, {"min": "0", "max": str(MINUTES_MAX), "step": "1"}


def field_id(name: str, form: str = "") -> str:
    """The id of a form's input (unique on a page with several forms)."""
    return f"f-{form}-{name}" if form else f"f-{name}"


def _problems(context: Context, form: str) -> Problems | None:
    found = context.get("problems")
    return found if isinstance(found, Problems) and found.form == form else None


def _sent(context: Context, form: str) -> MultiDict[str, str] | None:
    """What this form sent if the page answers it: a post (refused or previewed), a refused GET."""
    found = _problems(context, form)
    if found is None:
        return None
    if request.method == "POST":
        return request.form
    return request.args if found else None


def _attributes(attrs: dict[str, str | bool]) -> Markup:
    return Markup(" ").join(
        Markup(name) if value is True else Markup('{}="{}"').format(name, value)
        for name, value in attrs.items()
        if value is not False
    )


def _state(context: Context, name: str, form: str, problem_of: str | None = None) -> dict[str, Any]:
    """`aria-invalid` and `aria-describedby` when the field has a problem."""
    found = _problems(context, form)
    if found is None or not found.of(problem_of or name):
        return {}
    return {
        "aria-invalid": "true",
        "aria-describedby": field_id(problem_of or name, form) + "-error",
    }


@bp.app_template_global("field")
@pass_context
def field(
    context: Context,
    name: str,
    model: str | None = None,
    form: str = "",
    key: str | None = None,
    required: bool | None = None,
) -> Markup:
    """An input's name, id, limits (from `model`'s field `key`, by default `name`) and state;
    `required=False` for one of several inputs of a list (choices: blanks are left out)."""
    attrs: dict[str, Any] = {"name": name, "id": field_id(name, form)}
    if model is not None:
        attrs |= limits(model, key or name)
    if required is not None:
        attrs["required"] = required
    attrs |= _state(context, name, form)
    return _attributes(attrs)


@bp.app_template_global("hours_fields")
@pass_context
def hours_fields(
    context: Context,
    name: str,
    model: str,
    form: str = "",
    key: str | None = None,
    max_hours: float | None = None,
) -> tuple[Markup, Markup]:
    """The attributes of the hours input and the minutes input that edit field `name`."""
    hours, minutes = hours_limits(model, key or name, max_hours)
    state = _state(context, name, form)
    return (
        _attributes({"name": f"{name}_h", "id": field_id(name, form)} | hours | state),
        _attributes({"name": f"{name}_min", "id": field_id(name, form) + "-min"} | minutes | state),
    )


@bp.app_template_global("field_error")
@pass_context
def field_error(context: Context, name: str, form: str = "") -> Markup:
    """The problems of one field, to show right beside it (the input points to it)."""
    found = _problems(context, form)
    if found is None or not found.of(name):
        return Markup("")
    # Hidden from the label's name (it sits inside the label), read as the input's
    # description through aria-describedby, which still reaches hidden text.
    return Markup('<span class="field-error" id="{}-error" aria-hidden="true">{}</span>').format(
        field_id(name, form), " ".join(found.of(name))
    )


@bp.app_template_global("kept")
@pass_context
def kept(context: Context, name: str, default: Any = "", form: str = "") -> Any:
    """What was typed into `name` when this form was sent (and refused), else `default`."""
    # A GET form's value may come from the address's path (/verify/<number>), not its query.
    sent = _sent(context, form)
    if sent is not None and (name in sent or request.method == "POST"):
        return sent.get(name, "")
    return "" if default is None else default


@bp.app_template_global("kept_on")
@pass_context
def kept_on(context: Context, name: str, default: bool = False, form: str = "") -> bool:
    """Whether checkbox `name` was ticked when this form was refused, else `default`."""
    sent = _sent(context, form)
    if sent is not None:
        return name in sent
    return bool(default)


@bp.app_template_global("kept_hours")
@pass_context
def kept_hours(context: Context, name: str, hours: float | None = None, form: str = "") -> Any:
    """The hours and minutes an hours input shows: as typed after a refusal, else `hours`."""
    sent = _sent(context, form)
    if sent is not None and f"{name}_h" in sent:
        return sent.get(f"{name}_h", ""), sent.get(f"{name}_min", "")
    return split_hours(hours) or ("", "")


@bp.app_template_global("accept")
def accept(kind: str) -> str:
    """The file types an upload input offers: those the server accepts."""
    return ",".join(f".{ext}" for ext in sorted(UPLOADS[kind]))


@bp.app_template_global("field_id")
def template_field_id(name: str, form: str = "") -> str:
    """`field_id` for templates (the summary's links)."""
    return field_id(name, form)

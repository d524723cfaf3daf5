"""HTML form shapes: browsers send strings, so these models convert and validate them."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from werkzeug.datastructures import MultiDict

from tracker.errors import TrackerError


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
    hours_limit: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
    subject: Annotated[Literal["public", "professional"] | None, Blank] = None
    source_url: Annotated[str, Field(max_length=500)] = ""
    published: bool = False


class NewUserForm(_Form):
    """The form that adds one user."""

    username: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[\w.@-]+$")]
    password: Annotated[str, Field(min_length=8, max_length=200)]
    display_name: Annotated[str, Field(max_length=120)] = ""
    role: Role = "learner"
    unit_id: Annotated[int | None, Blank] = None


class EditUserForm(_Form):
    """The form that changes one user."""

    display_name: Annotated[str, Field(max_length=120)] = ""
    role: Role
    unit_id: Annotated[int | None, Blank] = None
    active: bool = False
    password: Annotated[str | None, Blank, Field(min_length=8, max_length=200)] = None


class UnitForm(_Form):
    """The form that adds or changes a unit."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    parent_id: Annotated[int | None, Blank] = None
    rule_set: Annotated[str | None, Blank] = None


F = TypeVar("F", bound=BaseModel)


def parse_form(model: type[F], form: MultiDict[str, str]) -> F:
    """The validated form, or `bad_payload` whose details name each wrong field."""
    try:
        return model.model_validate(form.to_dict())
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()
        ]
        raise TrackerError("bad_payload", details=details) from exc

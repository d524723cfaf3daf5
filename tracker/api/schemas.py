"""Request and response bodies of the JSON API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, Strict, model_validator

Hours = Annotated[float, Strict(), Field(gt=0, le=1000, allow_inf_nan=False)]
Role = Literal["admin", "leader", "learner"]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenRequest(_In):
    """Credentials exchanged for a bearer token."""

    username: Annotated[str, Field(min_length=1, max_length=80)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class UserOut(BaseModel):
    """A user as the API shows it."""

    id: int
    username: str
    role: Role
    display_name: str = ""
    unit: str | None = None


class TokenResponse(BaseModel):
    """A bearer token and whom it names."""

    token: str
    user: UserOut


class UserCreate(_In):
    """A new user (admins only)."""

    username: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[\w.@-]+$")]
    password: Annotated[str, Field(min_length=8, max_length=200)]
    display_name: Annotated[str, Field(max_length=120)] = ""
    role: Role = "learner"
    unit: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class CoursewareCreate(_In):
    """A new courseware item (admins only)."""

    title: Text200
    kind: Literal["video", "document"]
    hours_limit: Hours
    description: Annotated[str, Field(max_length=5000)] = ""
    subject: Literal["public", "professional"] | None = None
    source_url: Annotated[str, Field(max_length=500)] = ""
    published: bool = True


class CoursewarePatch(_In):
    """Changes to a courseware item; a new limit applies to future credit only."""

    title: Text200 | None = None
    hours_limit: Hours | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    subject: Literal["public", "professional"] | None = None
    source_url: Annotated[str, Field(max_length=500)] | None = None
    published: bool | None = None

    @model_validator(mode="after")
    def _only_subject_may_be_cleared(self) -> CoursewarePatch:
        nulls = sorted(
            n for n in self.model_fields_set if n != "subject" and getattr(self, n) is None
        )
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class CoursewareOut(BaseModel):
    """A courseware item, with what the caller has credited on it."""

    id: int
    title: str
    kind: Literal["video", "document"]
    hours_limit: float
    description: str = ""
    subject: Literal["public", "professional"] | None = None
    source_url: str = ""
    published: bool = True
    credited_s: float = 0


class CoursewareList(RootModel[list[CoursewareOut]]):
    """The catalogue."""

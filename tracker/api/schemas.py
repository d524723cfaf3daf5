"""Request and response bodies of the JSON API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, Strict, model_validator
from pydantic_core import PydanticCustomError

from tracker.services.accounts import DisplayName, Password, Username

Hours = Annotated[float, Strict(), Field(gt=0, le=1000, allow_inf_nan=False)]
Role = Literal["admin", "leader", "learner"]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def refuse_nulls(patch: BaseModel, clearable: frozenset[str] = frozenset()) -> None:
    """A change may clear only the fields in `clearable`: `not_null` names the others."""
    nulls = sorted(
        n for n in patch.model_fields_set if n not in clearable and getattr(patch, n) is None
    )
    if nulls:
        raise PydanticCustomError("not_null", "{fields} cannot be null", {"fields": nulls})


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

    username: Username
    password: Password
    display_name: DisplayName = ""
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
        refuse_nulls(self, frozenset({"subject"}))
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


class UserDetail(BaseModel):
    """A user as admins see it."""

    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    unit_id: int | None
    active: bool
    created_at: str


class UserPage(BaseModel):
    """One page of users and how many match in all."""

    items: list[UserDetail]
    total: int


class UserQuery(BaseModel):
    """Filters for the user list."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Field(max_length=80)] | None = None
    role: Role | None = None
    unit_id: int | None = None
    active: bool | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0)] = 0


class UserPatch(_In):
    """Changes to a user (admins only); deactivating ends their sessions at once."""

    display_name: DisplayName | None = None
    role: Role | None = None
    unit_id: int | None = None
    active: bool | None = None
    password: Password | None = None

    @model_validator(mode="after")
    def _only_unit_may_be_cleared(self) -> UserPatch:
        refuse_nulls(self, frozenset({"unit_id"}))
        return self


class ImportOut(BaseModel):
    """What a user import did."""

    created: int
    updated: int


class MeOut(BaseModel):
    """The caller, with their unit and rule set."""

    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    rule_set: str


class UnitOut(BaseModel):
    """A unit with its place in the tree."""

    id: int
    name: str
    parent_id: int | None
    rule_set: str | None
    depth: int
    members: int


class UnitList(RootModel[list[UnitOut]]):
    """The organisation tree, depth-first."""


class UnitCreate(_In):
    """A new unit."""

    name: Text200
    parent_id: int | None = None
    rule_set: Annotated[str, Field(max_length=64)] | None = None


class UnitPatch(_In):
    """Changes to a unit; `null` parent makes it a top-level unit, `null` rule set inherits."""

    name: Text200 | None = None
    parent_id: int | None = None
    rule_set: Annotated[str, Field(max_length=64)] | None = None

    @model_validator(mode="after")
    def _name_cannot_be_cleared(self) -> UnitPatch:
        refuse_nulls(self, frozenset({"parent_id", "rule_set"}))
        return self


class LiveViewer(BaseModel):
    """Someone watching right now."""

    session_id: str
    user_id: int
    username: str
    display_name: str
    courseware_id: int
    title: str
    status: str
    seen_at: float


class LiveList(RootModel[list[LiveViewer]]):
    """Everyone watching right now."""


class CoursewareUsage(BaseModel):
    """How much one courseware has been used."""

    courseware_id: int
    title: str
    kind: str
    hours_limit: float
    viewers: int
    completed: int
    sessions: int
    credited_s: float
    watching_now: int


class UsageList(RootModel[list[CoursewareUsage]]):
    """Usage of every courseware."""


class AuditQuery(BaseModel):
    """Which part of the audit log."""

    model_config = ConfigDict(extra="forbid")

    target_type: Annotated[str, Field(max_length=32)] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Annotated[int, Field(ge=0)] = 0


class AuditEntryOut(BaseModel):
    """One administrative action."""

    id: int
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    at: str


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    items: list[AuditEntryOut]
    total: int

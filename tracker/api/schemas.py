"""Request and response bodies of the JSON API: accounts, courseware, units, the console.

Response models (`Out`) read the services' views by attribute: each output shape is declared
here once, durations as `wire.Seconds` / `wire.Hours` read from milliseconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from tracker.api.fields import HoursIn, Id, IdParam, In, Offset, Out, Role, Text200, refuse_nulls
from tracker.services.accounts import DisplayName, Password, Username
from tracker.services.audit import AuditView
from tracker.services.console import LiveRow
from tracker.wire import Seconds, from_ms

Language = Literal["zh_CN", "en"]


class TokenRequest(In):
    """Credentials exchanged for a bearer token."""

    username: Annotated[str, Field(min_length=1, max_length=80)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class UserOut(Out):
    """A user as the API shows it."""

    id: int
    username: str
    role: Role
    display_name: str = ""
    unit: str | None = None


class TokenResponse(Out):
    """A bearer token and whom it names."""

    token: str
    user: UserOut


class UserCreate(In):
    """A new user (admins only)."""

    username: Username
    password: Password
    display_name: DisplayName = ""
    role: Role = "learner"
    unit: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class CoursewareCreate(In):
    """A new courseware item (admins only)."""

    title: Text200
    kind: Literal["video", "document"]
    hours_limit: HoursIn
    description: Annotated[str, Field(max_length=5000)] = ""
    subject: Literal["public", "professional"] | None = None
    source_url: Annotated[str, Field(max_length=500)] = ""
    published: bool = True


class CoursewarePatch(In):
    """Changes to a courseware item; a new limit applies to future credit only."""

    title: Text200 | None = None
    hours_limit: HoursIn | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    subject: Literal["public", "professional"] | None = None
    source_url: Annotated[str, Field(max_length=500)] | None = None
    published: bool | None = None

    @model_validator(mode="after")
    def _only_subject_may_be_cleared(self) -> CoursewarePatch:
        refuse_nulls(self, frozenset({"subject"}))
        return self


class CoursewareOut(Out):
    """A courseware item, with what the caller has credited on it."""

    id: int
    title: str
    kind: Literal["video", "document"]
    hours_limit: float
    description: str = ""
    subject: Literal["public", "professional"] | None = None
    source_url: str = ""
    published: bool = True
    credited_s: Seconds = from_ms("credited_ms", default=0)


class CoursewareList(RootModel[list[CoursewareOut]]):
    """The catalogue."""


class UserDetail(Out):
    """A user as admins see it."""

    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    unit_id: int | None
    active: bool
    created_at: datetime


class UserPage(Out):
    """One page of users and how many match in all."""

    items: list[UserDetail]
    total: int


class UserQuery(BaseModel):
    """Filters for the user list."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Field(max_length=80)] | None = None
    role: Role | None = None
    unit_id: IdParam | None = None
    active: bool | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Offset = 0


class UserPatch(In):
    """Changes to a user (admins only); deactivating ends their sessions at once."""

    display_name: DisplayName | None = None
    role: Role | None = None
    unit_id: Id | None = None
    active: bool | None = None
    password: Password | None = None

    @model_validator(mode="after")
    def _only_unit_may_be_cleared(self) -> UserPatch:
        refuse_nulls(self, frozenset({"unit_id"}))
        return self


class ImportOut(Out):
    """What a user import did."""

    created: int
    updated: int


class MeOut(Out):
    """The caller, with their unit and rule set."""

    id: int
    username: str
    display_name: str
    role: Role
    unit: str | None
    rule_set: str
    language: Language | None = None


class PasswordChange(In):
    """One's own new password; the current one proves it is the owner."""

    current_password: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Password


class ProfilePatch(In):
    """Changes to one's own account: display name, preferred language (null: the browser's)."""

    display_name: DisplayName | None = None
    language: Language | None = None

    @model_validator(mode="after")
    def _only_language_may_be_cleared(self) -> ProfilePatch:
        refuse_nulls(self, frozenset({"language"}))
        return self


class UnitOut(Out):
    """A unit with its place in the tree."""

    id: int
    name: str
    parent_id: int | None
    rule_set: str | None = Field(validation_alias="rule_set_id")
    depth: int
    members: int


class UnitList(RootModel[list[UnitOut]]):
    """The organisation tree, depth-first."""


class UnitCreate(In):
    """A new unit."""

    name: Text200
    parent_id: Id | None = None
    rule_set: Annotated[str, Field(max_length=64)] | None = None


class UnitPatch(In):
    """Changes to a unit; `null` parent makes it a top-level unit, `null` rule set inherits."""

    name: Text200 | None = None
    parent_id: Id | None = None
    rule_set: Annotated[str, Field(max_length=64)] | None = None

    @model_validator(mode="after")
    def _name_cannot_be_cleared(self) -> UnitPatch:
        refuse_nulls(self, frozenset({"parent_id", "rule_set"}))
        return self


class LiveList(RootModel[list[LiveRow]]):
    """Everyone watching right now."""


class CoursewareUsage(Out):
    """How much one courseware has been used."""

    courseware_id: int
    title: str
    kind: str
    hours_limit: float
    viewers: int
    completed: int
    sessions: int
    credited_s: Seconds = from_ms("credited_ms")
    watching_now: int


class UsageList(RootModel[list[CoursewareUsage]]):
    """Usage of every courseware."""


class AuditQuery(BaseModel):
    """Which part of the audit log."""

    model_config = ConfigDict(extra="forbid")

    target_type: Annotated[str, Field(max_length=32)] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Offset = 0


class AuditPage(Out):
    """One page of the audit log, newest first."""

    items: list[AuditView]
    total: int

"""Whom an admin administers: a unit admin its unit's subtree, an admin without a unit everyone.

The one place this rule lives; services ask it before they list, count, show or decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, select, true

from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Unit, User


@dataclass(frozen=True)
class AdminScope:
    """The units an admin administers; `None` means the whole organisation."""

    unit_ids: frozenset[int] | None
    root: int | None = None  # a unit admin's own unit: the top of its subtree

    @property
    def organisation(self) -> bool:
        """Whether the scope is the whole organisation."""
        return self.unit_ids is None

    def covers_unit(self, unit_id: int | None) -> bool:
        """Whether unit `unit_id` (or, for `None`, people without a unit) is administered."""
        return self.unit_ids is None or (unit_id is not None and unit_id in self.unit_ids)

    def covers_below(self, unit_id: int | None) -> bool:
        """Whether unit `unit_id` lies strictly below a unit admin's own unit (any for the
        organisation): the units a unit admin may create under, rename and move."""
        return self.covers_unit(unit_id) and (self.organisation or unit_id != self.root)

    def members(self) -> ColumnElement[bool]:
        """A WHERE clause on `User` that keeps the people administered."""
        if self.unit_ids is None:
            return true()
        if not self.unit_ids:
            return false()
        return User.unit_id.in_(sorted(self.unit_ids))

    def people(self) -> Select[tuple[int]]:
        """The ids of the people administered, as a subquery."""
        return select(User.id).where(self.members())

    def of_people(self, user_id: ColumnElement[int]) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose `user_id` column names someone administered."""
        return true() if self.unit_ids is None else user_id.in_(self.people())

    def units(self, unit_id: ColumnElement[int | None]) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose `unit_id` column is an administered unit (for the
        organisation also those without a unit)."""
        if self.unit_ids is None:
            return true()
        return unit_id.in_(sorted(self.unit_ids)) if self.unit_ids else false()

    def covers(self, user_id: int) -> bool:
        """Whether user `user_id` is administered (for a unit admin: exists and is inside).

        The whole organisation covers any id, so its admins still learn that a user is missing;
        a unit admin gets the same refusal for a missing user as for one outside its units.
        """
        if self.unit_ids is None:
            return True
        unit_id = db.session.execute(select(User.unit_id).where(User.id == user_id)).first()
        return unit_id is not None and self.covers_unit(unit_id[0])

    def check_place(self, unit_id: int | None) -> None:
        """Refuse to place someone outside the scope: a unit admin's people need one of its
        units (`unit_required`, `unknown_unit`, `outside_scope`)."""
        if self.unit_ids is None:
            return
        if unit_id is None:
            fail("unit_required")
        if unit_id not in self.unit_ids:
            fail("unknown_unit" if db.session.get(Unit, unit_id) is None else "outside_scope")

    def require_organisation(self) -> None:
        """`organisation_only` unless the scope is the whole organisation: the catalogue,
        exams, rule sets and organisation-wide records are the organisation admins'."""
        if not self.organisation:
            fail("organisation_only")


NOBODY = AdminScope(frozenset())
ORGANISATION = AdminScope(None)


def subtree(unit_id: int) -> frozenset[int]:
    """Unit `unit_id` and every unit below it."""
    children: dict[int | None, list[int]] = {}
    for unit, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(unit)
    found: set[int] = set()
    stack = [unit_id]
    while stack:
        unit = stack.pop()
        if unit not in found:  # a cycle (refused on write) must not hang a read
            found.add(unit)
            stack.extend(children.get(unit, ()))
    return frozenset(found)


def admin_scope(principal: Principal) -> AdminScope:
    """What `principal` administers: nobody unless an admin; a unit admin its subtree."""
    if principal.role != "admin":
        return NOBODY
    if principal.unit_id is None:
        return ORGANISATION
    return AdminScope(subtree(principal.unit_id), principal.unit_id)


def actor_scope(actor_id: int | None) -> AdminScope:
    """What the user `actor_id` administers; no actor (the command line, the demo data) is
    the organisation itself."""
    if actor_id is None:
        return ORGANISATION
    user = db.session.get(User, actor_id)
    return NOBODY if user is None else admin_scope(Principal.of(user))

"""Whom an admin administers: a unit admin its unit's subtree, an admin without a unit everyone.

The one place this rule lives; services ask it before they list, count, show or decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select, true

from tracker.auth import Principal
from tracker.extensions import db
from tracker.models import Unit, User


@dataclass(frozen=True)
class AdminScope:
    """The units an admin administers; `None` means the whole organisation."""

    unit_ids: frozenset[int] | None

    @property
    def organisation(self) -> bool:
        """Whether the scope is the whole organisation."""
        return self.unit_ids is None

    def covers_unit(self, unit_id: int | None) -> bool:
        """Whether unit `unit_id` (or, for `None`, people without a unit) is administered."""
        return self.unit_ids is None or (unit_id is not None and unit_id in self.unit_ids)

    def members(self) -> ColumnElement[bool]:
        """A WHERE clause on `User` that keeps the people administered."""
        if self.unit_ids is None:
            return true()
        if not self.unit_ids:
            return false()
        return User.unit_id.in_(sorted(self.unit_ids))

    def covers(self, user_id: int) -> bool:
        """Whether user `user_id` is administered (for a unit admin: exists and is inside).

        The whole organisation covers any id, so its admins still learn that a user is missing;
        a unit admin gets the same refusal for a missing user as for one outside its units.
        """
        if self.unit_ids is None:
            return True
        unit_id = db.session.execute(select(User.unit_id).where(User.id == user_id)).first()
        return unit_id is not None and self.covers_unit(unit_id[0])


NOBODY = AdminScope(frozenset())


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
        return AdminScope(None)
    return AdminScope(subtree(principal.unit_id))

"""Whose learning a caller may see: their own, and the people an admin administers.

The one place this rule lives; archives, records and their evidence ask it.
"""

from __future__ import annotations

from tracker.auth import Principal
from tracker.services.scope import admin_scope


def may_see(principal: Principal, user_id: int) -> bool:
    """Whether `principal` may see the archive and records of user `user_id`."""
    return principal.id == user_id or admin_scope(principal).covers(user_id)

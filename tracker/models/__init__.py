"""Persistence models (SQLAlchemy 2, typed). State only: the rules live in `tracker.core`."""

from tracker.models.accounts import ROLES, Unit, User
from tracker.models.base import Base, utcnow
from tracker.models.courseware import Courseware
from tracker.models.ledger import ItemProgress, OnlineYearTotal, SessionCredit, WatchSession

__all__ = [
    "ROLES",
    "Base",
    "Courseware",
    "ItemProgress",
    "OnlineYearTotal",
    "SessionCredit",
    "Unit",
    "User",
    "WatchSession",
    "utcnow",
]

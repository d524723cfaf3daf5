"""The range of a database id, for every layer that checks one before it reaches a query."""

from __future__ import annotations

# Ids are 32-bit integers in PostgreSQL: a larger number names nothing, and must not reach
# the database (an overflow there is a 500).
ID_MAX = 2**31 - 1


def is_id(number: int) -> bool:
    """Whether `number` can be a row's id (a positive 32-bit integer)."""
    return 0 < number <= ID_MAX

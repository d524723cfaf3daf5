"""The rows a crediting transaction works on: sessions, running totals, ledger entries."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Row, Table, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from tracker.core.calendar import credit_day, year_of
from tracker.core.crediting import Credit, SessionClock, Standing
from tracker.core.rules import CapGroup, hours_to_ms
from tracker.extensions import db
from tracker.models import ItemProgress, OnlineYearTotal, SessionCredit
from tracker.services.entries import approved_records_ms


@dataclass(frozen=True)
class LiveView:
    """The totals a player shows: this item against its cap, this year against the cap."""

    courseware_id: int
    item_credited_ms: int
    item_cap_ms: int
    year: int
    year_effective_ms: int
    year_raw_ms: int
    year_cap_ms: int | None


_SESSION_FIELDS = (
    "last_beat_at",
    "last_seq",
    "last_position",
    "was_live",
    "socket_id",
    "ended_at",
    "end_reason",
    "live_ms",
    "raw_ms",
    "effective_ms",
    "interval_ms",
)


class SessionState:
    """A watch_sessions row (with its item's kind and cap) as a batch reads and changes it."""

    def __init__(self, row: Row[Any]) -> None:
        self.id: str = row.id
        self.user_id: int = row.user_id
        self.courseware_id: int = row.courseware_id
        self.opened_at: datetime = row.opened_at
        self.kind: str = row.kind
        self.item_cap_ms = hours_to_ms(float(row.hours_limit))
        self.values = {name: getattr(row, name) for name in _SESSION_FIELDS}

    def clock(self) -> SessionClock:
        """Where the next interval of this session starts."""
        v = self.values
        return SessionClock(
            self.kind, v["last_beat_at"], v["last_seq"], v["last_position"], v["was_live"]
        )

    def set_clock(self, clock_: SessionClock) -> None:
        """Move the session's clock."""
        self.values.update(
            last_beat_at=clock_.last_at,
            last_seq=clock_.last_seq,
            last_position=clock_.last_position,
            was_live=clock_.was_live,
        )

    def end(self, at: datetime, reason: str) -> None:
        """End the session now."""
        self.values.update(ended_at=at, end_reason=reason, was_live=False)

    @property
    def ended(self) -> bool:
        """Whether the session is over."""
        return self.values["ended_at"] is not None


class RunningTotals:
    """A user's running totals and ledger entries that one transaction checks and books into.

    Loaded for many users at once; `book` changes them in memory and `write` stores what
    changed with one statement per table. Correct only while the users' rows are locked.
    """

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.progress: dict[tuple[int, int], int] = {}
        self.years: dict[int, dict[int, list[int]]] = {}  # user -> year -> [raw, effective]
        # What this transaction adds to ledger entries: (session, year) -> [raw, effective].
        self.credits: dict[tuple[str, int], list[int]] = {}
        # Approved self-reported time that shares the online cap: user -> year -> kind -> ms.
        self.beside: dict[int, dict[int, dict[str, int]]] = {}
        self._groups: dict[int, CapGroup | None] = {}
        self._changed_items: set[tuple[int, int]] = set()
        self._changed_years: set[tuple[int, int]] = set()
        self._sessions: dict[str, SessionState] = {}

    def load(
        self,
        items: Iterable[tuple[int, int]],
        users_years: Iterable[tuple[int, int]],
        beside_kinds: Iterable[str] = (),
    ) -> RunningTotals:
        """Read the running totals of these (user, item) and (user, year) keys, and the
        approved self-reported time of `beside_kinds` (those sharing a cap with online time)."""
        items, users_years = set(items), set(users_years)
        kinds = set(beside_kinds) - {"online"}
        if users_years and kinds:
            years = sorted({year for _user, year in users_years})
            users = {user for user, _year in users_years}
            found = approved_records_ms(users, range(years[0], years[-1] + 1), kinds)
            for (user, year), by_kind in found.items():
                self.beside.setdefault(user, {})[year] = by_kind
        ip, oy = ItemProgress.__table__, OnlineYearTotal.__table__
        if items:
            for r in db.session.execute(
                select(ip.c.user_id, ip.c.courseware_id, ip.c.credited_ms).where(
                    tuple_(ip.c.user_id, ip.c.courseware_id).in_(list(items))
                )
            ):
                self.progress[(r.user_id, r.courseware_id)] = r.credited_ms
        if users_years:
            for r in db.session.execute(
                select(oy).where(tuple_(oy.c.user_id, oy.c.year).in_(list(users_years)))
            ):
                self.years.setdefault(r.user_id, {})[r.year] = [r.raw_ms, r.effective_ms]
        return self

    def _beside_ms(self, user_id: int, year: int) -> int:
        """Approved self-reported time of `year` in the user's online cap group."""
        group = self._groups.get(user_id)
        if group is None:
            return 0
        found = self.beside.get(user_id, {}).get(year, {})
        return sum(ms for kind, ms in found.items() if kind in group.kinds)

    def standing(self, user_id: int, courseware_id: int, cap_ms: int, group: CapGroup | None):
        """The standing caps are checked against: the year's effective online time counts the
        approved self-reported time of its cap group too, as the archive does."""
        self._groups[user_id] = group
        years = set(self.beside.get(user_id, {})) | set(self.years.get(user_id, {}))
        return Standing(
            item_credited_ms=self.progress.get((user_id, courseware_id), 0),
            item_cap_ms=cap_ms,
            year_effective_ms={
                y: self.years.get(user_id, {}).get(y, [0, 0])[1] + self._beside_ms(user_id, y)
                for y in years
            },
            year_cap_ms=group.cap_ms if group else None,
        )

    def view(self, user_id: int, courseware_id: int, standing: Standing, now: datetime):
        """What the player shows after this transaction."""
        year = year_of(now, self.tz)
        return LiveView(
            courseware_id=courseware_id,
            item_credited_ms=standing.item_credited_ms,
            item_cap_ms=standing.item_cap_ms,
            year=year,
            # The archive counts at most the cap of the group, whatever came first.
            year_effective_ms=_within(standing.year_effective(year), standing.year_cap_ms),
            year_raw_ms=self.years.get(user_id, {}).get(year, [0, 0])[0]
            + self._beside_ms(user_id, year),
            year_cap_ms=standing.year_cap_ms,
        )

    def book(self, session: SessionState, credit: Credit) -> None:
        """Add `credit` to the session, the item's progress, the years and the ledger."""
        values = session.values
        values["live_ms"] += credit.live_ms
        values["raw_ms"] += credit.raw_ms
        values["effective_ms"] += credit.effective_ms
        if not credit.parts:
            return
        item = (session.user_id, session.courseware_id)
        self.progress[item] = self.progress.get(item, 0) + credit.raw_ms
        self._changed_items.add(item)
        self._sessions[session.id] = session
        for part in credit.parts:
            for row in (
                self.years.setdefault(session.user_id, {}).setdefault(part.year, [0, 0]),
                self.credits.setdefault((session.id, part.year), [0, 0]),
            ):
                row[0] += part.raw_ms
                row[1] += part.effective_ms
            self._changed_years.add((session.user_id, part.year))

    def write(self) -> None:
        """Store every changed total and add to the ledger: one upsert per table."""
        ip, oy, sc = ItemProgress.__table__, OnlineYearTotal.__table__, SessionCredit.__table__
        upsert(
            ip,
            [
                {"user_id": u, "courseware_id": c, "credited_ms": self.progress[(u, c)]}
                for u, c in sorted(self._changed_items)
            ],
        )
        upsert(
            oy,
            [
                {"user_id": u, "year": y, "raw_ms": raw, "effective_ms": eff}
                for u, y in sorted(self._changed_years)
                for raw, eff in [self.years[u][y]]
            ],
        )
        upsert(sc, [self._credit_row(key) for key in sorted(self.credits)], add=True)

    def _credit_row(self, key: tuple[str, int]) -> dict[str, Any]:
        session, year = self._sessions[key[0]], key[1]
        raw, effective = self.credits[key]
        return {
            "session_id": session.id,
            "year": year,
            "user_id": session.user_id,
            "courseware_id": session.courseware_id,
            "day": credit_day(session.opened_at, year, self.tz),
            "raw_ms": raw,
            "effective_ms": effective,
        }


def _within(ms: int, cap_ms: int | None) -> int:
    return ms if cap_ms is None else min(ms, cap_ms)


def upsert(table: Table, rows: list[dict[str, Any]], add: bool = False) -> None:
    """Insert `rows`, or update the existing rows with their key: set the values or `add` them.

    PostgreSQL gets one statement whose parameters are one array per column (`unnest`): its
    text never changes, so it is parsed and prepared once, while psycopg's executemany and a
    multi-row VALUES both cost Python work per row (docs/benchmarks.md). SQLite's
    executemany runs in C.
    """
    if not rows:
        return
    keys = [column.name for column in table.primary_key]
    names = list(rows[0])
    changed = ("raw_ms", "effective_ms") if add else [n for n in names if n not in keys]
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        db.session.execute(
            text(_unnest_upsert(table, tuple(names), tuple(keys), tuple(changed), add)),
            {name: [row[name] for row in rows] for name in names},
        )
        return
    statement = sqlite.insert(table)
    new = {
        n: (table.c[n] + statement.excluded[n]) if add else statement.excluded[n] for n in changed
    }
    db.session.execute(statement.on_conflict_do_update(index_elements=keys, set_=new), rows)


@functools.cache
def _unnest_upsert(
    table: Table, names: tuple[str, ...], keys: tuple[str, ...], changed: tuple[str, ...], add: bool
) -> str:
    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{n} AS {table.c[n].type.compile(dialect=dialect)}[])" for n in names)
    sets = ", ".join(
        f"{n} = {table.name}.{n} + excluded.{n}" if add else f"{n} = excluded.{n}" for n in changed
    )
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )

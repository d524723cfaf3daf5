"""The rows a crediting transaction works on: sessions, running totals, ledger entries."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    String,
    Table,
    cast,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from tracker.core.calendar import credit_day, year_of
from tracker.core.crediting import Credit, SessionClock, Standing
from tracker.core.heuristics import Rhythm
from tracker.core.rules import CapGroup, hours_to_ms
from tracker.extensions import db
from tracker.models import ItemProgress, OnlineYearTotal, SessionCredit
from tracker.services.entries import add_approved_record, approved_records_select
from tracker.sql import pair_of, pairs, per_dialect, values


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
    *Rhythm._fields,
)


# The union of `RunningTotals.load` has one shape: (tag, user, key, record kind, a, b).
_NO_KIND = cast(null(), String(32))
_ZERO = literal_column("0", BigInteger)


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

    def rhythm(self) -> Rhythm:
        """How its heartbeats went so far (nothing kept yet reads as none)."""
        return Rhythm(*(self.values[name] or 0 for name in Rhythm._fields))

    def set_rhythm(self, rhythm: Rhythm) -> None:
        """Keep how its heartbeats went."""
        self.values.update(rhythm._asdict())

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
        approved self-reported time of `beside_kinds` (those sharing a cap with online time),
        in one statement: one round trip for the batch's totals, not three."""
        items, users_years = set(items), set(users_years)
        if not items and not users_years:
            return self
        years = sorted({year for _user, year in users_years})
        statement = _totals(
            bool(items),
            range(years[0], years[-1] + 1) if years else None,
            frozenset(set(beside_kinds) - {"online"}),
        )
        params = {
            **pairs("items", items),
            **pairs("years", users_years),
            **values("users", (user for user, _year in users_years)),
        }
        for tag, user_id, key, kind, a, b in db.session.connection().execute(statement, params):
            if tag == "i":
                self.progress[(user_id, key)] = a
            elif tag == "y":
                self.years.setdefault(user_id, {})[key] = [a, b]
            else:
                add_approved_record(self.beside, user_id, key, kind, a)
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

    def changes(self) -> list[Upsert]:
        """Every changed total and what to add to the ledger, for `upsert`."""
        ip, oy, sc = ItemProgress.__table__, OnlineYearTotal.__table__, SessionCredit.__table__
        return [
            Upsert(
                ip,
                [
                    {"user_id": u, "courseware_id": c, "credited_ms": self.progress[(u, c)]}
                    for u, c in sorted(self._changed_items)
                ],
            ),
            Upsert(
                oy,
                [
                    {"user_id": u, "year": y, "raw_ms": raw, "effective_ms": eff}
                    for u, y in sorted(self._changed_years)
                    for raw, eff in [self.years[u][y]]
                ],
            ),
            Upsert(sc, [self._credit_row(key) for key in sorted(self.credits)], add=True),
        ]

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


@per_dialect
def _totals(items: bool, years: range | None, beside_kinds: frozenset[str]) -> Any:
    """The union that `RunningTotals.load` reads: item progress of the pairs `items`, year
    totals of the pairs `years`, and the approved records of the `users` in `years`."""
    ip, oy = ItemProgress.__table__, OnlineYearTotal.__table__
    parts: list[Select[Any]] = []
    if items:
        keys = pair_of((ip.c.user_id, ip.c.courseware_id), "items")
        columns = (ip.c.user_id, ip.c.courseware_id, _NO_KIND, ip.c.credited_ms, _ZERO)
        parts.append(select(literal_column("'i'"), *columns).where(keys))
    if years is not None:
        keys = pair_of((oy.c.user_id, oy.c.year), "years")
        columns = (oy.c.user_id, oy.c.year, _NO_KIND, oy.c.raw_ms, oy.c.effective_ms)
        parts.append(select(literal_column("'y'"), *columns).where(keys))
        records = approved_records_select("users", years, beside_kinds)
        if records is not None:
            grouped = records.subquery()
            parts.append(select(literal_column("'r'"), *grouped.c, _ZERO))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _within(ms: int, cap_ms: int | None) -> int:
    return ms if cap_ms is None else min(ms, cap_ms)


@dataclass(frozen=True)
class Upsert:
    """Rows to insert into `table`, or to update where their key exists: set the values, or
    `add` them (`raw_ms`, `effective_ms`)."""

    table: Table
    rows: list[dict[str, Any]]
    add: bool = False

    def spec(self) -> tuple[Table, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
        """The table, its columns given, its key, the columns changed on conflict, `add`."""
        keys = tuple(column.name for column in self.table.primary_key)
        names = tuple(self.rows[0])
        changed = ("raw_ms", "effective_ms") if self.add else [n for n in names if n not in keys]
        return self.table, names, keys, tuple(changed), self.add


def upsert(*changes: Upsert) -> None:
    """Write every `Upsert` that has rows: on PostgreSQL all in one statement, one round trip.

    PostgreSQL gets one statement (a data-modifying `WITH` part per table) whose parameters
    are one array per column (`unnest`): its text depends only on which tables have rows,
    so it is parsed and prepared once, while psycopg's executemany and a multi-row VALUES
    both cost Python work per row (docs/benchmarks.md). SQLite's executemany runs in C, in
    process, one statement per table.
    """
    changes = tuple(change for change in changes if change.rows)
    if not changes:
        return
    specs = tuple(change.spec() for change in changes)
    if db.session.get_bind().dialect.name == "postgresql":
        params = {
            f"p{i}_{name}": [row[name] for row in change.rows]
            for i, (change, (_t, names, *_)) in enumerate(zip(changes, specs, strict=True))
            for name in names
        }
        db.session.connection().execute(text(_unnest_upserts(specs)), params)
        return
    for change, (table, _names, keys, changed, add) in zip(changes, specs, strict=True):
        statement = sqlite.insert(table)
        new = {
            n: (table.c[n] + statement.excluded[n]) if add else statement.excluded[n]
            for n in changed
        }
        db.session.execute(
            statement.on_conflict_do_update(index_elements=keys, set_=new), change.rows
        )


@functools.cache
def _unnest_upserts(
    specs: tuple[tuple[Table, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool], ...],
) -> str:
    dialect = postgresql.dialect()
    parts = []
    for i, (table, names, keys, changed, add) in enumerate(specs):
        arrays = ", ".join(
            f"CAST(:p{i}_{n} AS {table.c[n].type.compile(dialect=dialect)}[])" for n in names
        )
        sets = ", ".join(
            f"{n} = {table.name}.{n} + excluded.{n}" if add else f"{n} = excluded.{n}"
            for n in changed
        )
        parts.append(
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        )
    *first, last = parts
    # Each table's part sees the same snapshot and touches other rows: order is irrelevant.
    ahead = ", ".join(f"w{i} AS ({part})" for i, part in enumerate(first))
    return f"WITH {ahead} {last}" if ahead else last

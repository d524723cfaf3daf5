"""Flags for review and time taken back: the scan over the ledger, the queue, the decisions.

The scan (`scan`) reads a year of people's sessions, trainings and approved claims, asks the
core which time the same clock hour earned twice (`core.overlaps`) and which patterns deserve
a reviewer's look (`core.heuristics`), and stores both: time set aside as `taken_back` rows
(the archive counts them as negative entries), findings as `flags`. It runs for a person as
their sessions close, and for everyone from `flask --app wsgi flags scan` (docs/heuristics.md).
A reviewer over the person (`services.scope`) dismisses a flag or deducts a stated amount;
nothing is deducted automatically.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    update,
)

from tracker import clock
from tracker.auth import Principal
from tracker.core import heuristics
from tracker.core.heuristics import Finding, Watch
from tracker.core.overlaps import Booking, Span, days_of, spread
from tracker.core.rules import KINDS, RECORD_KIND, RuleSet, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import (
    Courseware,
    Flag,
    LearningRecord,
    SessionCredit,
    TakenBack,
    Training,
    TrainingParticipant,
    User,
    WatchSession,
)
from tracker.services import large_read, transaction
from tracker.services.audit import log_action
from tracker.services.entries import rows_of
from tracker.services.notices import notify
from tracker.services.rules import rules_by_unit
from tracker.services.scope import admin_scope

CHUNK = 500  # people per scan transaction
HISTORY_YEARS = 3  # earlier years a year-end burst is compared with
DEDUCTION = "deduction"


@dataclass(frozen=True)
class ScanResult:
    """What a scan looked at and found."""

    year: int
    people: int
    sessions: int
    flags_open: int
    set_aside_ms: int
    partners: frozenset[int] = frozenset()  # others live at once with them on one client


# --- the scan -------------------------------------------------------------------------------


def scan(year: int, who: ColumnElement[bool] | None = None) -> ScanResult:
    """Re-scan `year` for the people `who` selects (default: everyone), a chunk at a time."""
    chosen = who if who is not None else User.id > 0
    ids = list(db.session.scalars(select(User.id).where(chosen).order_by(User.id)))
    people = sessions = flags_open = set_aside = 0
    for start in range(0, len(ids), CHUNK):
        with transaction():
            chunk = _scan_chunk(ids[start : start + CHUNK], year)
        people += chunk.people
        sessions += chunk.sessions
        flags_open += chunk.flags_open
        set_aside += chunk.set_aside_ms
    return ScanResult(year, people, sessions, flags_open, set_aside)


def scan_people(user_ids: Iterable[int], year: int) -> ScanResult:
    """Re-scan `year` of a few people (as their sessions close)."""
    ids = sorted(set(user_ids))
    with transaction():
        result = _scan_chunk(ids, year)
        if result.partners:  # their shared-client findings count these sessions too
            _scan_chunk(sorted(result.partners), year)
        return result


def refresh(user_ids: Iterable[int], years: Iterable[int]) -> None:
    """Re-scan `years` of these people inside the caller's transaction: a decision that changes
    what they were credited (a claim, an attendance, a training's days) takes its set-asides
    and flags along, so the archive never shows a stale set-aside."""
    ids = sorted(set(user_ids))
    for year in sorted(set(years)):
        for start in range(0, len(ids), CHUNK):
            _scan_chunk(ids[start : start + CHUNK], year)


def years_of(first: date, last: date) -> range:
    """The years a period touches (a booking counts in the scan of each)."""
    return range(first.year, last.year + 1)


def _utc(column: Any) -> Any:
    """A UTC timestamp column read without the model type's per-value Python step where the
    driver already gives aware UTC datetimes (PostgreSQL; SQLite stores them naive)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return column
    return type_coerce(column, DateTime(timezone=True))


def _credited(where: ColumnElement[bool], year: int, *columns: Any) -> Select[Any]:
    """The year's credited sessions of whom `where` selects: `columns` after the session's id,
    person, span (to its last heartbeat) and credited time."""
    ws, sc = WatchSession, SessionCredit
    return (
        select(ws.id, ws.user_id, _utc(ws.opened_at), _utc(ws.last_beat_at), sc.raw_ms, *columns)
        .join(sc, sc.session_id == ws.id)
        .where(where, sc.year == year, sc.raw_ms > 0)
    )


def _spans(user_ids: Sequence[int], year: int) -> dict[int, list[Span]]:
    """The year's credited sessions of the people, per person in the order they were opened."""
    chosen, subjects = set(user_ids), _subjects()
    found: dict[int, list[Span]] = defaultdict(list)
    statement = _credited(_among(WatchSession.user_id, user_ids), year, SessionCredit.day)
    for session_id, user_id, opened, last, credited, day, item in rows_of(
        statement.add_columns(WatchSession.courseware_id).order_by(
            WatchSession.user_id, WatchSession.opened_at
        )
    ):
        if user_id in chosen:
            found[user_id].append(
                Span(
                    f"session:{session_id}",
                    opened,
                    last if last > opened else opened,
                    credited,
                    day,
                    subjects.get(item),
                )
            )
    return found


def _subjects() -> dict[int, str | None]:
    return dict(rows_of(select(Courseware.id, Courseware.subject)))


def _watches(where: ColumnElement[bool], year: int) -> list[Watch]:
    """The year's credited sessions of whom `where` selects, with their rhythm and client."""
    ws = WatchSession
    rows = rows_of(
        _credited(
            where,
            year,
            ws.beats,
            ws.gap_sum_ms,
            ws.gap_square_sum,
            ws.longest_live_ms,
            ws.breaks,
            ws.client_address,
            ws.device_id,
        ).order_by(ws.user_id, ws.opened_at)
    )
    return [
        Watch(
            f"session:{session_id}",
            user_id,
            opened,
            last if last > opened else opened,
            credited,
            beats or 0,
            heuristics.gap_sd_ms(beats or 0, gap_sum or 0, gap_square_sum or 0),
            longest or 0,
            breaks or 0,
            address,
            device,
        )
        for (
            session_id,
            user_id,
            opened,
            last,
            credited,
            beats,
            gap_sum,
            gap_square_sum,
            longest,
            breaks,
            address,
            device,
        ) in rows
    ]


def _robotic(
    user_ids: Sequence[int], year: int, rules: dict[int, RuleSet], tz: tzinfo
) -> list[Finding]:
    """`robotic` for these people: only sessions that could pass every rule set's thresholds of
    length and heartbeats are read."""
    limits = [r.heuristics for r in rules.values()]
    ws = WatchSession
    candidates = _watches(
        and_(
            _among(ws.user_id, user_ids),
            func.coalesce(ws.beats, 0) >= max(2, min(h.robotic_min_beats for h in limits)),
            func.coalesce(ws.longest_live_ms, 0) >= min(h.robotic_stretch_ms for h in limits),
        ),
        year,
    )
    return [
        finding
        for watch in candidates
        if watch.user_id in rules
        for finding in heuristics.robotic([watch], rules[watch.user_id].heuristics, tz)
    ]


def _among(column: ColumnElement[int], user_ids: Sequence[int]) -> ColumnElement[bool]:
    """`column` is one of `user_ids` (sorted), or for a long run of them between its first and
    last: an index range scan instead of a probe per id (the caller drops the others)."""
    if len(user_ids) > 50:
        return column.between(user_ids[0], user_ids[-1])
    return column.in_(user_ids)


def _bookings(user_ids: Sequence[int], year: int) -> dict[int, list[Booking]]:
    """Credited trainings and approved claims touching `year`, per person."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    found: dict[int, list[Booking]] = defaultdict(list)
    tr, tp, lr = Training, TrainingParticipant, LearningRecord
    for user_id, training_id, start, end, ms, created, subject in rows_of(
        select(
            tp.user_id, tr.id, tr.start_date, tr.end_date, tp.credited_ms, tr.created_at, tr.subject
        )
        .join(tr, tr.id == tp.training_id)
        .where(
            _among(tp.user_id, user_ids),
            tp.status == "confirmed",
            tp.credited_ms > 0,
            tr.end_date >= first,
            tr.start_date <= last,
        )
    ):
        found[user_id].append(
            Booking(
                f"training:{training_id}", "offline", start, end, ms, end, created, False, subject
            )
        )
    for user_id, record_id, kind, start, end, ms, created, subject in rows_of(
        select(
            lr.user_id,
            lr.id,
            lr.kind,
            lr.start_date,
            lr.end_date,
            lr.approved_ms,
            lr.created_at,
            lr.subject,
        ).where(
            _among(lr.user_id, user_ids),
            lr.status == "approved",
            lr.end_date >= first,
            lr.start_date <= last,
        )
    ):
        found[user_id].append(
            Booking(
                f"record:{record_id}",
                RECORD_KIND[kind],
                start,
                end,
                ms or 0,
                end,
                created,
                True,
                subject,
            )
        )
    return found


def _daily(user_ids: Sequence[int], year: int, length: int) -> dict[int, dict[date, int]]:
    """Credited time per person and day in the last `length` days of `year` and of the
    `HISTORY_YEARS` before it; each year's earlier days summed on its 1 January (all a
    year-end burst compares)."""
    sc = SessionCredit
    years = range(year - HISTORY_YEARS, year + 1)
    ladder = [(sc.day < date(years[0], 1, 1), sc.day)]
    for y in years:
        ladder += [
            (sc.day < date(y, 12, 31) - timedelta(days=length - 1), literal(date(y, 1, 1))),
            (sc.day <= date(y, 12, 31), sc.day),
        ]
    dated = (
        select(sc.user_id, case(*ladder, else_=sc.day).label("on"), sc.raw_ms)
        .where(_among(sc.user_id, user_ids), sc.year.in_(years))
        .subquery()
    )
    days: dict[int, dict[date, int]] = defaultdict(dict)
    for user_id, on, ms in rows_of(
        select(dated.c.user_id, dated.c.on, func.sum(dated.c.raw_ms)).group_by(
            dated.c.user_id, dated.c.on
        )
    ):
        days[user_id][on] = int(ms)
    return days


def _rules_of(user_ids: Sequence[int]) -> dict[int, RuleSet]:
    by_unit = rules_by_unit()
    return {
        user_id: by_unit.get(unit_id, by_unit[None])
        for user_id, unit_id in rows_of(select(User.id, User.unit_id).where(User.id.in_(user_ids)))
    }


def _scan_chunk(user_ids: list[int], year: int) -> ScanResult:
    if not user_ids:
        return ScanResult(year, 0, 0, 0, 0)
    with large_read():
        return _scan_read(user_ids, year)


def _scan_read(user_ids: list[int], year: int) -> ScanResult:
    tz = clock.timezone()
    rules = _rules_of(user_ids)
    spans = _spans(user_ids, year)
    bookings = _bookings(user_ids, year)
    daily = _daily(user_ids, year, max(r.heuristics.burst_days for r in rules.values()))
    findings: list[Finding] = []
    taken: list[dict[str, Any]] = []
    for user_id in user_ids:
        rule_set = rules[user_id]
        own = bookings.get(user_id, [])
        resolution, found = heuristics.review(user_id, spans.get(user_id, []), own, rule_set, tz)
        findings += found
        for line in resolution.set_aside:
            if line.dated.year == year:
                taken.append(
                    {
                        "user_id": user_id,
                        "day": line.dated,
                        "on_day": line.day,
                        "kind": line.kind,
                        "subject": line.subject,
                        "ms": line.ms,
                        "reason": line.reason,
                        "source": line.ref[:64],
                        "against": ",".join(line.against)[:500],
                    }
                )
        limits = rule_set.heuristics
        days = dict(daily.get(user_id, {}))
        for booking in own:
            for day, ms in spread(booking.ms, days_of(booking.first, booking.last)).items():
                days[day] = days.get(day, 0) + ms
        burst = heuristics.year_end_burst(
            user_id, year, days, _windows(days, year, limits.burst_days), limits
        )
        if burst is not None:
            findings.append(burst)
    findings += _robotic(user_ids, year, rules, tz)
    shared, partners = _shared(user_ids, year, rules)
    findings += shared
    _replace_set_asides(user_ids, year, taken)
    flags_open = _store_findings(user_ids, year, findings)
    sessions = sum(len(own) for own in spans.values())
    set_aside = sum(t["ms"] for t in taken)
    return ScanResult(year, len(user_ids), sessions, flags_open, set_aside, partners)


def _windows(days: dict[date, int], year: int, length: int) -> dict[int, int]:
    """Earlier years' time in the same last `length` days of their year (years with any)."""
    totals: dict[int, int] = {}
    for day, ms in days.items():
        if year - HISTORY_YEARS <= day.year < year:
            inside = (date(day.year, 12, 31) - day).days < length
            totals[day.year] = totals.get(day.year, 0) + (ms if inside else 0)
    return totals


def _shared(
    user_ids: list[int], year: int, rules: dict[int, RuleSet]
) -> tuple[list[Finding], frozenset[int]]:
    """`shared_client` for these people: with everyone's sessions from the clients they used
    that another account used that year too (only those can be shared); and the others live
    at once with them on one of those clients."""
    ws, sc = WatchSession, SessionCredit
    clients = []
    by = {b for r in rules.values() for b in r.heuristics.shared_client_by}
    for name, column in (("device", ws.device_id), ("address", ws.client_address)):
        if name not in by:
            continue
        mine = _credited(_among(ws.user_id, user_ids), year).with_only_columns(column)
        used = (
            select(column)
            .join(sc, sc.session_id == ws.id)
            .where(sc.year == year, sc.raw_ms > 0, column.in_(mine.where(column.is_not(None))))
            .group_by(column)
            .having(func.count(ws.user_id.distinct()) > 1)
        )
        clients.append(column.in_(used))
    if not clients:
        return [], frozenset()
    others = _watches(or_(*clients), year)
    mine = set(user_ids)
    found = []
    tz = clock.timezone()
    # Each person by their own rule set's thresholds.
    for rule_set in {id(r): r for r in rules.values()}.values():
        people = {u for u in mine if rules[u] is rule_set}
        found += [
            f
            for f in heuristics.shared_clients(others, rule_set.heuristics, tz)
            if f.user_id in people
        ]
    return found, frozenset(heuristics.partners(others, mine, tuple(sorted(by)), tz))


_TAKEN_FIELDS = ("day", "on_day", "kind", "subject", "ms", "reason", "source", "against")


def _replace_set_asides(user_ids: list[int], year: int, taken: list[dict[str, Any]]) -> None:
    """Make the people's set-aside rows of `year` the ones found: only the difference is
    written (a nightly scan mostly finds what it found the night before)."""
    tb = TakenBack
    stored = rows_of(
        select(tb.id, tb.user_id, *(getattr(tb, name) for name in _TAKEN_FIELDS)).where(
            tb.user_id.in_(user_ids), tb.year == year, tb.reason != DEDUCTION
        )
    )
    wanted: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in taken:
        wanted[(row["user_id"], *(row[name] for name in _TAKEN_FIELDS))] += 1
    gone = []
    for row_id, *key in stored:
        if wanted.get(tuple(key), 0) > 0:
            wanted[tuple(key)] -= 1
        else:
            gone.append(row_id)
    if gone:
        db.session.execute(delete(tb).where(tb.id.in_(gone)))
    new = [
        {"user_id": key[0], "year": year, **dict(zip(_TAKEN_FIELDS, key[1:], strict=True))}
        for key, times in wanted.items()
        for _ in range(times)
    ]
    if new:
        now = clock.now()
        # Core, not the ORM's bulk path: thousands of plain rows in a first scan.
        db.session.connection().execute(
            insert(tb.__table__), [row | {"flag_id": None, "created_at": now} for row in new]
        )


def _store_findings(user_ids: list[int], year: int, findings: list[Finding]) -> int:
    """Insert new findings, refresh open ones that changed, drop open ones no longer found;
    how many are open."""
    existing = {
        (user_id, rule, key): (flag_id, status, figure, evidence)
        for flag_id, user_id, rule, key, status, figure, evidence in rows_of(
            select(
                Flag.id,
                Flag.user_id,
                Flag.rule,
                Flag.key,
                Flag.status,
                Flag.figure_ms,
                Flag.evidence,
            ).where(Flag.user_id.in_(user_ids), Flag.year == year)
        )
    }
    found: dict[tuple[int, str, str], Finding] = {}
    for finding in findings:
        found.setdefault((finding.user_id, finding.rule, finding.key[:200]), finding)
    now = clock.now()
    new, changed, gone = [], [], []
    for key, finding in found.items():
        evidence = json.loads(json.dumps(finding.evidence))  # as the JSON column gives it back
        old = existing.get(key)
        if old is None:
            new.append(
                {
                    "user_id": key[0],
                    "rule": key[1],
                    "key": key[2],
                    "year": year,
                    "day": finding.day,
                    "figure_ms": finding.figure_ms,
                    "evidence": evidence,
                    "status": "open",
                    "found_at": now,
                    "note": "",
                }
            )
        elif old[1] == "open" and (old[2], old[3]) != (finding.figure_ms, evidence):
            changed.append({"id": old[0], "figure_ms": finding.figure_ms, "evidence": evidence})
    for key, old in existing.items():
        if key not in found and old[1] == "open":
            gone.append(old[0])
    if gone:
        db.session.execute(delete(Flag).where(Flag.id.in_(gone)))
    if new:
        db.session.connection().execute(insert(Flag.__table__), new)
    if changed:
        db.session.execute(update(Flag), changed)
    opened = sum(1 for old in existing.values() if old[1] == "open") - len(gone) + len(new)
    return opened


# --- the queue and the person's own view ----------------------------------------------------


@dataclass(frozen=True)
class FlagView:
    """A flag as the queue and the person see it."""

    id: int
    user_id: int
    username: str
    display_name: str
    rule: str
    year: int
    day: date
    figure_ms: int
    evidence: dict[str, Any]
    status: str
    found_at: datetime
    reviewed_at: datetime | None
    reviewer: str | None
    note: str
    deducted_ms: int | None
    deducted_kind: str | None


def _views(rows: Sequence[tuple[Flag, User]]) -> list[FlagView]:
    reviewer_ids = sorted({f.reviewer_id for f, _ in rows if f.reviewer_id})
    reviewers = dict(
        rows_of(select(User.id, User.username).where(User.id.in_(reviewer_ids)))
        if reviewer_ids
        else []
    )
    kinds = dict(
        rows_of(
            select(TakenBack.flag_id, TakenBack.kind).where(
                TakenBack.flag_id.in_([f.id for f, _ in rows])
            )
        )
        if rows
        else []
    )
    return [
        FlagView(
            flag.id,
            flag.user_id,
            owner.username,
            owner.display_name,
            flag.rule,
            flag.year,
            flag.day,
            flag.figure_ms,
            dict(flag.evidence),
            flag.status,
            flag.found_at,
            flag.reviewed_at,
            reviewers.get(flag.reviewer_id) if flag.reviewer_id else None,
            flag.note,
            flag.deducted_ms,
            kinds.get(flag.id),
        )
        for flag, owner in rows
    ]


def review_queue(
    principal: Principal, status: str | None, year: int | None, limit: int, offset: int
) -> tuple[list[FlagView], int]:
    """Flags of the people the caller administers (open first, oldest first) and how many."""
    scope = admin_scope(principal)
    if principal.role != "admin":
        fail("forbidden")
    query = select(Flag, User).join(User, User.id == Flag.user_id).where(scope.members())
    if status:
        query = query.where(Flag.status == status)
    if year:
        query = query.where(Flag.year == year)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(Flag.status != "open", Flag.day, Flag.id).limit(limit).offset(offset)
    ).all()
    return _views([tuple(row) for row in rows]), total


def open_count(principal: Principal) -> int:
    """How many flags wait for the caller's review."""
    if principal.role != "admin":
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Flag)
            .join(User, User.id == Flag.user_id)
            .where(admin_scope(principal).members(), Flag.status == "open")
        )
        or 0
    )


def my_flags(principal: Principal, year: int | None) -> list[FlagView]:
    """The caller's own flags, newest first: their status and any deduction with its reason."""
    query = (
        select(Flag, User).join(User, User.id == Flag.user_id).where(Flag.user_id == principal.id)
    )
    if year:
        query = query.where(Flag.year == year)
    rows = db.session.execute(query.order_by(Flag.day.desc(), Flag.id.desc())).all()
    return _views([tuple(row) for row in rows])


def _flag_in_scope(principal: Principal, flag_id: int) -> Flag:
    flag = db.session.scalar(select(Flag).where(Flag.id == flag_id).with_for_update())
    if flag is None or principal.role != "admin" or not admin_scope(principal).covers(flag.user_id):
        fail("flag_not_found")
    return flag


def get_flag(principal: Principal, flag_id: int) -> FlagView:
    """One flag: for the person it is about, or an admin over them."""
    row = db.session.execute(
        select(Flag, User).join(User, User.id == Flag.user_id).where(Flag.id == flag_id)
    ).first()
    if row is None:
        fail("flag_not_found")
    flag = row[0]
    own = flag.user_id == principal.id
    if not own and not (principal.role == "admin" and admin_scope(principal).covers(flag.user_id)):
        fail("flag_not_found")
    return _views([tuple(row)])[0]


def _default_kind(flag: Flag) -> str:
    """The kind a deduction takes from: live time, or the later claim of an overlap."""
    if flag.rule != "overlapping_claims":
        return "online"
    sources = [s for s in flag.evidence.get("sources", []) if str(s).startswith("record:")]
    if sources:
        record = db.session.get(LearningRecord, int(str(sources[-1]).split(":")[1]))
        if record is not None:
            return RECORD_KIND[record.kind]
    return "online"


def decide(
    principal: Principal,
    flag_id: int,
    decision: str,
    note: str,
    hours: float | None = None,
    kind: str | None = None,
) -> FlagView:
    """Dismiss a flag, or deduct a stated amount (at most the flag's figure) with a reason the
    person sees. Audited; a decided flag cannot be decided again."""
    with transaction():
        flag = _flag_in_scope(principal, flag_id)
        if flag.user_id == principal.id:
            fail("own_flag")
        if flag.status != "open":
            fail("flag_decided")
        if not note.strip():
            fail("bad_payload", _("Give the reason: the person sees it."))
        flag.status = "dismissed" if decision == "dismiss" else "deducted"
        flag.reviewer_id = principal.id
        flag.reviewed_at = clock.now()
        flag.note = note.strip()
        detail: dict[str, Any] = {"rule": flag.rule, "user_id": flag.user_id, "note": flag.note}
        if decision == "deduct":
            ms = hours_to_ms(hours or 0)
            if ms <= 0 or ms > flag.figure_ms:
                fail(
                    "bad_payload",
                    _("Deduct more than nothing and at most the flag's figure."),
                )
            kind = kind or _default_kind(flag)
            if kind not in KINDS:
                fail("bad_payload")
            flag.deducted_ms = ms
            day = min(flag.day, date(flag.year, 12, 31))
            db.session.add(
                TakenBack(
                    user_id=flag.user_id,
                    year=flag.year,
                    day=day,
                    on_day=flag.day,
                    kind=kind,
                    subject=None,
                    ms=ms,
                    reason=DEDUCTION,
                    source=f"flag:{flag.id}",
                    against=flag.note[:500],
                    flag_id=flag.id,
                )
            )
            detail |= {"deducted_ms": ms, "kind": kind}
            notify(
                flag.user_id,
                "flag_deducted",
                flag_id=flag.id,
                rule=flag.rule,
                day=flag.day,
                year=flag.year,
                deducted_ms=ms,
                note=flag.note,
            )
        log_action(principal.id, f"flag.{decision}", "flag", flag.id, **detail)
        db.session.flush()
        row = db.session.execute(
            select(Flag, User).join(User, User.id == Flag.user_id).where(Flag.id == flag.id)
        ).one()
        return _views([tuple(row)])[0]

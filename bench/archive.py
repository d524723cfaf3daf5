"""Archive benchmark: an employee's archive and a unit report on years of generated history.

Generates an organisation straight into a fresh database with bulk Core inserts (a unit tree,
N employees, courseware, and per employee and year: viewing sessions with their ledger rows and
running totals, self-reported records, training participations), then times `build_archive`,
`archive_document`, `unit_report` and the two HTTP endpoints in-process. It is a script, not a
test: nothing in it asserts a time. Run `python bench/archive.py --help`; results and how to
read them: docs/benchmarks.md (the archive and unit reports).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from pg_schema import private_schema  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth import Principal, issue_token  # noqa: E402
from tracker.core.calendar import credit_day  # noqa: E402
from tracker.core.rules import MS_PER_HOUR, RuleSet  # noqa: E402
from tracker.exports.document import archive_document  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import (  # noqa: E402
    Base,
    Courseware,
    ItemProgress,
    LearningRecord,
    OnlineYearTotal,
    SessionCredit,
    Training,
    TrainingParticipant,
    Unit,
    User,
    WatchSession,
)
from tracker.services.accounts import save_user  # noqa: E402
from tracker.services.archive import build_archive  # noqa: E402
from tracker.services.reports import unit_report  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN = "bench-admin"
PASSWORD = "bench-password-0"
INSTITUTES = 10
DEPARTMENTS = 5  # per institute
COURSEWARE = 200
CHUNK = 500  # employees generated and inserted per transaction
SLOTS = 12  # session start hours per day, 08:00..19:00 local: sessions never overlap
INTERVAL_S = 15  # the server's heartbeat interval the sessions were recorded with
OTHER_RULES = "changzhou-2011"  # the last institute's rule set; the rest use the default

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕"
CATEGORIES = ("专题培训", "岗位培训", "学术报告", "安全教育", "管理培训", "外语培训")
TRAINING_TYPES = ("training", "lecture", "conference", "seminar", "other")
PLACES = ("兰州", "北京", "西安", "成都", "线上", "所内报告厅")
ORGANIZERS = ("人事处", "科技处", "研究生部", "继续教育中心", "兰州分院", "外单位")


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="PostgreSQL URL (a private schema is created in it and dropped afterwards), "
        "'sqlite' for a fresh temporary SQLite file, or a sqlite:/// URL of a new file "
        f"(default {DEFAULT_URL})",
    )
    parser.add_argument("--employees", type=int, default=5000, help="default 5000")
    parser.add_argument("--years", type=int, default=5, help="full years of history (default 5)")
    parser.add_argument("--samples", type=int, default=50, help="employees timed (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="unit report runs (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--core-inserts",
        action="store_true",
        help="PostgreSQL: load the history with Core insert() executemany instead of COPY "
        "(same rows, about 4 times slower)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the archive and report queries to stderr",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one unit report to stderr"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the schema / file and print where it is"
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help="measure the database at --database-url as it is (one kept with --keep; for a "
        "kept schema add ?options=-csearch_path%%3D<schema>); generate nothing",
    )
    args = parser.parse_args(argv)
    if args.employees < 1 or args.years < 1 or args.samples < 1 or args.repeat < 1:
        parser.error("--employees, --years, --samples and --repeat must be positive")
    if args.years > 10:
        parser.error("--years: the archive covers at most 10 years")
    return args


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- database


@contextlib.contextmanager
def database_url(given: str, keep: bool) -> Iterator[str]:
    """The URL to use: a private schema of a PostgreSQL database, or a fresh SQLite file."""
    if given.startswith("postgresql"):
        with private_schema(given, "bench", keep) as url:
            yield url
    elif given == "sqlite":
        workdir = Path(tempfile.mkdtemp(prefix="bench-archive-"))
        try:
            yield f"sqlite:///{workdir / 'bench.db'}"
        finally:
            if keep:
                log(f"kept {workdir / 'bench.db'}")
            else:
                for path in workdir.iterdir():
                    path.unlink()
                workdir.rmdir()
    else:
        yield given


def make_app(url: str, media_dir: str) -> Flask:
    """The app on `url`; creating it migrates the schema."""
    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "TESTING": False,
            "ASYNC_MODE": "threading",
            "MEDIA_DIR": media_dir,
            "ARGON2_TIME_COST": 1,  # one admin is created; its hash strength is not measured
            "ARGON2_MEMORY_KIB": 1024,
        }
    )


# ---------------------------------------------------------------- data generation


@dataclass
class Org:
    """What the generator needs to know about what it already inserted."""

    admin_id: int
    top_unit: int
    institutes: list[int]
    departments: list[int]
    other_rules_units: set[int]
    courseware: list[tuple[int, str, int]]  # id, kind, cap_ms
    trainings: dict[int, list[tuple[int, date, float]]] = field(default_factory=dict)


@dataclass
class Person:
    """One employee's rule set, tastes and running totals while their history is generated."""

    user_id: int
    rules: RuleSet
    favourites: list[tuple[int, str, int]]
    progress: dict[int, int] = field(default_factory=dict)  # courseware -> credited ms
    totals: dict[int, list[int]] = field(default_factory=dict)  # year -> [raw, effective] ms


class Generator:
    """Realistic rows for `employees` people over `years`, inserted in bulk."""

    def __init__(self, args: argparse.Namespace, app: Flask, years: list[int]) -> None:
        self.args, self.app, self.years = args, app, years
        self.rng = random.Random(args.seed)
        self.tz: tzinfo = app.extensions["tracker.timezone"]
        rule_sets: dict[str, RuleSet] = app.extensions["tracker.rule_sets"]
        self.default_rules = rule_sets[app.config["RULE_SET"]]
        self.other_rules = rule_sets[OTHER_RULES]
        with app.app_context():
            postgres = db.engine.dialect.name == "postgresql"
        self.copy = postgres and not args.core_inserts
        self.insert_s: dict[str, float] = defaultdict(float)
        self.superuser = False

    def insert(self, connection: sa.Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` (dicts with the same keys) in bulk, in the connection's transaction."""
        if not rows:
            return
        started = time.perf_counter()
        if self.copy:
            # PostgreSQL: COPY through the same connection. Core's executemany sends one INSERT
            # per row (psycopg pipeline): ~12,000 rows/s here, 8 minutes for 5,000 people.
            columns = list(rows[0])
            values = itemgetter(*columns)
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
        else:
            connection.execute(sa.insert(table), rows)
        self.insert_s[table.name] += time.perf_counter() - started

    # -- the organisation

    def organisation(self, admin_id: int) -> Org:
        rng = self.rng
        with db.engine.begin() as c:
            top = c.execute(sa.insert(Unit).values(name="兰州分院").returning(Unit.id)).scalar_one()
            institutes, departments, other = [], [], set()
            for i in range(INSTITUTES):
                rules = OTHER_RULES if i == INSTITUTES - 1 else None
                institute = c.execute(
                    sa.insert(Unit)
                    .values(name=f"研究所{i + 1:02d}", parent_id=top, rule_set_id=rules)
                    .returning(Unit.id)
                ).scalar_one()
                institutes.append(institute)
                kids = [
                    {"name": f"研究所{i + 1:02d}-部门{d + 1}", "parent_id": institute}
                    for d in range(DEPARTMENTS)
                ]
                self.insert(c, Unit.__table__, kids)
                ids = c.scalars(sa.select(Unit.id).where(Unit.parent_id == institute)).all()
                departments += ids
                if rules:
                    other |= {institute, *ids}
            now = datetime.now(UTC)
            items = [
                {
                    "title": f"课件 {n + 1:03d}",
                    "description": "",
                    "kind": rng.choices(("video", "document"), (85, 15))[0],
                    "hours_limit": rng.choice((2, 3, 5, 8, 10, 15, 20, 30)),
                    "subject": rng.choice(("public", "professional", "professional", None)),
                    "source_url": "",
                    "published": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(COURSEWARE)
            ]
            self.insert(c, Courseware.__table__, items)
            courseware = [
                (row.id, row.kind, round(float(row.hours_limit) * MS_PER_HOUR))
                for row in c.execute(
                    sa.select(Courseware.id, Courseware.kind, Courseware.hours_limit)
                )
            ]
        return Org(admin_id, top, institutes, departments, other, courseware)

    def trainings(self, org: Org) -> None:
        """Each year's trainings, shared by the people who attend them (about 40 each)."""
        rng = self.rng
        per_year = max(30, round(self.args.employees * 10 / 40))
        with db.engine.begin() as c:
            for year in self.years:
                rows = []
                for n in range(per_year):
                    start = date(year, 1, 1) + timedelta(days=rng.randrange(360))
                    days = rng.choices((0.5, 1, 1.5, 2, 3), (50, 30, 8, 8, 4))[0]
                    end = start + timedelta(days=math.ceil(days) - 1)
                    filed = datetime(end.year, end.month, end.day, 10, tzinfo=UTC)
                    rows.append(
                        {
                            "title": f"{year} 年培训 {n + 1:04d}",
                            "category": rng.choice(CATEGORIES),
                            "training_type": rng.choice(TRAINING_TYPES),
                            "organizer": rng.choice(ORGANIZERS),
                            "unit_id": rng.choice(org.institutes),
                            "location": rng.choice(PLACES),
                            "start_date": start,
                            "end_date": end,
                            "days": days,
                            "hours_ms": round(days * self.default_rules.hours_per_day)
                            * MS_PER_HOUR,
                            "rule_set_id": self.default_rules.id,
                            "subject": rng.choice(("public", "professional", None)),
                            "enrolment_open": False,
                            "audience": "全体职工",
                            "capacity": 60,
                            "budget": rng.randrange(1000, 50000),
                            "actual_spend": rng.randrange(1000, 50000),
                            "purpose": "",
                            "content": "",
                            "department": rng.choice(ORGANIZERS),
                            "contact": "联系人",
                            "email": "training@example.org",
                            "phone": "0931-0000000",
                            "filed_at": filed + timedelta(days=rng.randrange(15)),
                            "created_by": org.admin_id,
                            "created_at": filed - timedelta(days=30),
                            "updated_at": filed,
                        }
                    )
                self.insert(c, Training.__table__, rows)
                org.trainings[year] = [
                    (r.id, r.end_date, float(r.days))
                    for r in c.execute(
                        sa.select(Training.id, Training.end_date, Training.days).where(
                            Training.title.like(f"{year} 年培训 %")
                        )
                    )
                ]

    def employees(self, org: Org) -> list[Person]:
        """The employees' users rows."""
        rng, total = self.rng, self.args.employees
        people: list[Person] = []
        for first in range(0, total, CHUNK):
            rows = []
            for n in range(first, min(first + CHUNK, total)):
                unit = rng.choice(org.institutes if rng.random() < 0.1 else org.departments)
                rows.append(
                    {
                        "username": f"emp{n + 1:05d}",
                        "password_hash": "!bench: no login",
                        "display_name": rng.choice(SURNAMES)
                        + rng.choice(GIVEN)
                        + rng.choice(GIVEN),
                        "role": "leader" if rng.random() < 0.04 else "learner",
                        "unit_id": unit,
                        "active": rng.random() < 0.98,
                        "token_version": 0,
                        "created_at": datetime(self.years[0] - 1, 12, 1, tzinfo=UTC),
                    }
                )
            with db.engine.begin() as c:
                self.insert(c, User.__table__, rows)
                for user_id, unit_id in c.execute(
                    sa.select(User.id, User.unit_id)
                    .where(User.username.in_([r["username"] for r in rows]))
                    .order_by(User.id)
                ):
                    other = unit_id in org.other_rules_units
                    rules = self.other_rules if other else self.default_rules
                    people.append(Person(user_id, rules, rng.sample(org.courseware, 25)))
        return people

    def history(self, org: Org, people: list[Person]) -> None:
        """Year by year, a chunk of people at a time, each batch in time order: the tables grow
        as they would in production (a year's rows together, one person's spread out)."""
        started = time.monotonic()
        with self.fast_load():
            self.years_of_history(org, people, started)

    @contextlib.contextmanager
    def fast_load(self) -> Iterator[None]:
        """PostgreSQL: load the history tables without their secondary indexes (built again
        afterwards, from their own definitions) and, for a superuser, without foreign-key
        triggers (the rows are consistent by construction): what a bulk load does."""
        if not self.copy:
            yield
            return
        tables = [
            m.__tablename__
            for m in (WatchSession, SessionCredit, LearningRecord, TrainingParticipant)
        ]
        with db.engine.begin() as c:
            self.superuser = c.scalar(
                sa.text("select rolsuper from pg_roles where rolname = current_user")
            )
            indexes = c.execute(
                sa.text(
                    "select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                    "from pg_index i join pg_class t on t.oid = i.indrelid "
                    "join pg_namespace n on n.oid = t.relnamespace "
                    "where n.nspname = current_schema() and t.relname = any(:tables) "
                    "and not i.indisprimary and not i.indisunique"
                ),
                {"tables": tables},
            ).all()
            for name, _ in indexes:
                c.exec_driver_sql(f"DROP INDEX {name}")
        yield
        started = time.monotonic()
        with db.engine.begin() as c:
            for _, definition in indexes:
                c.exec_driver_sql(definition)
        self.insert_s["(indexes rebuilt)"] = time.monotonic() - started
        self.superuser = False

    def years_of_history(self, org: Org, people: list[Person], started: float) -> None:
        for year in self.years:
            for first in range(0, len(people), CHUNK):
                rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
                for person in people[first : first + CHUNK]:
                    self.online(rows, org, person, year)
                    self.records(rows, org, person.user_id, year)
                    self.participations(rows, org, person.user_id, year, person.rules)
                rows["watch_sessions"].sort(key=itemgetter("opened_at"))
                order = {row["id"]: n for n, row in enumerate(rows["watch_sessions"])}
                rows["session_credits"].sort(key=lambda r: (order[r["session_id"]], r["year"]))
                rows["learning_records"].sort(key=itemgetter("created_at"))
                rows["training_participants"].sort(key=itemgetter("enrolled_at"))
                with db.engine.begin() as c:
                    if self.superuser:
                        c.exec_driver_sql("SET LOCAL session_replication_role = replica")
                    for model in (WatchSession, SessionCredit, LearningRecord, TrainingParticipant):
                        table = model.__table__
                        self.insert(c, table, rows[table.name])
            log(f"  {year}: {len(people)} employees ({time.monotonic() - started:.0f} s)")

    def running_totals(self, people: list[Person]) -> None:
        """The running totals, as they stand after the last year."""
        with db.engine.begin() as c:
            self.insert(
                c,
                ItemProgress.__table__,
                [
                    {"user_id": p.user_id, "courseware_id": item, "credited_ms": ms}
                    for p in people
                    for item, ms in p.progress.items()
                ],
            )
            self.insert(
                c,
                OnlineYearTotal.__table__,
                [
                    {"user_id": p.user_id, "year": year, "raw_ms": raw, "effective_ms": effective}
                    for p in people
                    for year, (raw, effective) in sorted(p.totals.items())
                ],
            )

    def online(
        self, rows: dict[str, list[dict[str, Any]]], org: Org, person: Person, year: int
    ) -> None:
        """A year of sessions, credited the way the player does: item cap, then year cap."""
        rng, tz, user_id = self.rng, self.tz, person.user_id
        group = person.rules.cap_group("online")
        year_cap = group.cap_ms if group else None
        progress, totals = person.progress, person.totals
        sessions, credits = rows["watch_sessions"], rows["session_credits"]

        def session(
            item: tuple[int, str, int],
            opened: datetime,
            live_ms: int,
            midnight: datetime | None = None,
        ) -> None:
            courseware_id, kind, cap_ms = item
            wall_ms = live_ms + int(rng.random() * 240_000)  # paused or buffering: not live
            last_beat = opened + timedelta(milliseconds=wall_ms)
            luck = rng.random()
            if luck < 0.80:
                reason, ended = "closed", last_beat
            elif luck < 0.92:  # lapsed: ended when the user's next open noticed
                reason = "expired"
                ended = last_beat + timedelta(seconds=2 * INTERVAL_S + int(rng.random() * 600))
            else:
                reason = "superseded"
                ended = last_beat + timedelta(seconds=1 + int(rng.random() * INTERVAL_S))
            sid = f"{rng.getrandbits(128):032x}"
            totals.setdefault(year, [0, 0])
            parts = [(year, live_ms)]
            if midnight is not None:
                # across New Year, split like `split_by_year`: the newest part after midnight
                after = min(live_ms, int((last_beat - midnight).total_seconds() * 1000))
                parts = [(year, live_ms - after), (year + 1, after)]
            room = max(0, cap_ms - progress.get(courseware_id, 0))
            progress.setdefault(courseware_id, 0)
            session_raw = session_effective = 0
            for part_year, ms in parts:
                raw = min(ms, room)
                if not raw:
                    continue
                room -= raw
                total = totals.setdefault(part_year, [0, 0])
                effective = raw if year_cap is None else min(raw, max(0, year_cap - total[1]))
                total[0] += raw
                total[1] += effective
                progress[courseware_id] += raw
                session_raw += raw
                session_effective += effective
                credits.append(
                    {
                        "session_id": sid,
                        "year": part_year,
                        "user_id": user_id,
                        "courseware_id": courseware_id,
                        "day": credit_day(opened, part_year, tz),
                        "raw_ms": raw,
                        "effective_ms": effective,
                    }
                )
            sessions.append(
                {
                    "id": sid,
                    "user_id": user_id,
                    "courseware_id": courseware_id,
                    "opened_at": opened,
                    "last_beat_at": last_beat,
                    "last_seq": live_ms // (INTERVAL_S * 1000),
                    "last_position": live_ms / 1000 if kind == "video" else None,
                    "was_live": False,
                    "socket_id": sid[:20],
                    "ended_at": ended,
                    "end_reason": reason,
                    "live_ms": live_ms,
                    "raw_ms": session_raw,
                    "effective_ms": session_effective,
                }
            )

        # this year's interests: mostly favourites, some new items
        pool = rng.sample(person.favourites, 15) + rng.sample(org.courseware, 15)
        days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        first = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)  # whole days from here
        for slot in sorted(rng.sample(range(days * SLOTS), rng.randint(60, 150))):
            day, hour = divmod(slot, SLOTS)
            opened = first + timedelta(days=day, hours=8 + hour, minutes=rng.random() * 4)
            live_ms = (3 + int(rng.random() * 48)) * 60_000  # 3..50 min
            session(rng.choice(pool), opened, live_ms)
        if year != self.years[-1] and rng.random() < 0.03:
            # watching into the New Year: one session, two ledger rows
            opened = datetime(year, 12, 31, 23, 30, tzinfo=tz).astimezone(UTC)
            midnight = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
            session(rng.choice(pool), opened, 58 * 60_000, midnight)

    def records(
        self, rows: dict[str, list[dict[str, Any]]], org: Org, user_id: int, year: int
    ) -> None:
        rng = self.rng
        for _ in range(rng.randint(3, 10)):
            kind = rng.choices(("external_training", "self_study", "external_online"), (4, 4, 2))[0]
            start = date(year, 1, 1) + timedelta(days=rng.randrange(360))
            end = start + timedelta(days=rng.randrange(5) if kind == "external_training" else 0)
            claimed = rng.randint(2, 32) * MS_PER_HOUR // 2
            status = rng.choices(("approved", "pending", "rejected"), (75, 10, 15))[0]
            filed = datetime(end.year, end.month, end.day, 9, tzinfo=UTC) + timedelta(
                days=rng.randrange(1, 20)
            )
            reviewed = status != "pending"
            rows["learning_records"].append(
                {
                    "user_id": user_id,
                    "kind": kind,
                    "title": f"{kind} {start.isoformat()}",
                    "organizer": rng.choice(ORGANIZERS) if kind != "self_study" else "",
                    "location": rng.choice(PLACES) if kind == "external_training" else "",
                    "content": "",
                    "subject": rng.choice(("public", "professional", None)),
                    "start_date": start,
                    "end_date": end,
                    "claimed_ms": claimed,
                    "status": status,
                    "approved_ms": (
                        max(MS_PER_HOUR // 2, claimed - rng.choice((0, 0, 0, MS_PER_HOUR)))
                        if status == "approved"
                        else None
                    ),
                    "reviewer_id": org.admin_id if reviewed else None,
                    "reviewed_at": filed + timedelta(days=rng.randrange(1, 10))
                    if reviewed
                    else None,
                    "review_note": "" if status != "rejected" else "材料不全",
                    "created_at": filed,
                }
            )

    def participations(
        self,
        rows: dict[str, list[dict[str, Any]]],
        org: Org,
        user_id: int,
        year: int,
        rules: RuleSet,
    ) -> None:
        rng = self.rng
        confirmed, enrolled = rng.randint(5, 15), rng.choice((0, 0, 1, 2))
        chosen = rng.sample(org.trainings[year], confirmed + enrolled)
        for n, (training_id, end, days) in enumerate(chosen):
            at = datetime(end.year, end.month, end.day, 18, tzinfo=UTC)
            row = {
                "training_id": training_id,
                "user_id": user_id,
                "status": "approved",
                "enrolled_at": at - timedelta(days=rng.randrange(3, 30)),
                "absent_fraction": None,
                "assessment": None,
                "credited_ms": 0,
                "confirmed_by": None,
                "confirmed_at": None,
            }
            if n < confirmed:
                absent = rng.choices((0.0, 0.1, 0.3), (90, 6, 4))[0]
                assessment = "failed" if rng.random() < 0.03 else "passed"
                hours = rules.training_hours(days)
                row.update(
                    status="confirmed",
                    absent_fraction=absent,
                    assessment=assessment,
                    credited_ms=rules.offline_credit_ms(hours, absent, assessment != "failed"),
                    confirmed_by=org.admin_id,
                    confirmed_at=at + timedelta(days=rng.randrange(1, 15)),
                )
            rows["training_participants"].append(row)


def generate(
    args: argparse.Namespace, app: Flask, years: list[int]
) -> tuple[Org, str, dict[str, Any]]:
    """Insert the data set; the organisation, the admin's bearer token, and what it took."""
    started = time.monotonic()
    gen = Generator(args, app, years)
    with app.app_context():
        principal = save_user(ADMIN, PASSWORD, "admin", display_name="Bench admin")
        token = issue_token(principal)
        org = gen.organisation(principal.id)
        gen.trainings(org)
        people = gen.employees(org)
        gen.history(org, people)
        gen.running_totals(people)
        loaded = time.monotonic()
        # What autovacuum does soon after such a load (statistics, visibility map, hint bits);
        # without it the first queries would pay for it and plans would be guesses.
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql(f"VACUUM (ANALYZE) {tables}" if postgres else "ANALYZE")
        db.session.remove()
    done = time.monotonic()
    return (
        org,
        token,
        {
            "generation_s": done - started,
            "load_s": loaded - started,
            "insert_s": {name: round(s, 1) for name, s in gen.insert_s.items()},
            "vacuum_analyze_s": done - loaded,
        },
    )


def existing(app: Flask) -> tuple[Org, str, list[int], int]:
    """An already generated database (`--keep`, then `--existing`): its organisation, a token
    for its admin, its years and its number of employees."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == ADMIN))
        if admin is None:
            raise SystemExit(f"--existing: no user {ADMIN!r}; generate with --keep first")
        token = issue_token(Principal.of(admin))
        top = db.session.scalar(sa.select(Unit.id).where(Unit.parent_id.is_(None)))
        institutes = db.session.scalars(
            sa.select(Unit.id).where(Unit.parent_id == top).order_by(Unit.id)
        ).all()
        first, last = db.session.execute(
            sa.select(sa.func.min(OnlineYearTotal.year), sa.func.max(OnlineYearTotal.year))
        ).one()
        people = db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.role != "admin")
        )
        org = Org(admin.id, top, list(institutes), [], set(), [])
        db.session.remove()
    return org, token, list(range(first, last + 1)), people


# ---------------------------------------------------------------- measurement


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def figures(values_s: list[float], unit: str) -> dict[str, Any]:
    scale = 1000 if unit == "ms" else 1
    values = [v * scale for v in values_s]
    return {
        "unit": unit,
        "n": len(values),
        "p50": statistics.median(values),
        "p95": percentile(values, 95),
        "max": max(values),
    }


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def per_request(app: Flask, call: Callable[[], Any]) -> tuple[float, Any]:
    """Time `call` in its own app context, like one request (a fresh database session)."""
    with app.app_context():
        try:
            return timed(call)
        finally:
            db.session.remove()


def bench_admin(org: Org) -> Principal:
    """The benchmark's admin, who may read every archive."""
    return Principal(org.admin_id, ADMIN, "admin", "Bench admin", 0)


def measure(
    args: argparse.Namespace, app: Flask, org: Org, token: str, years: list[int]
) -> dict[str, Any]:
    admin = bench_admin(org)
    rng = random.Random(args.seed + 1)
    with app.app_context():
        active = db.session.scalars(
            sa.select(User.id).where(User.active.is_(True), User.role != "admin").order_by(User.id)
        ).all()
    sample = rng.sample(active, min(args.samples, len(active)))
    last = years[-1]
    one_year = (f"{last}-01", f"{last}-12")
    all_years = (f"{years[0]}-01", f"{last}-12")
    institute = org.institutes[0]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, Any] = {}

    # warm-up: first query of each kind, imports, template of the statements
    for user_id in sample[:2]:
        per_request(app, lambda u=user_id: archive_document(build_archive(admin, u, *all_years)))
        client.get(f"/api/v1/archive?user_id={user_id}", headers=headers)

    def archives(name: str, period: tuple[str, str], document: bool) -> None:
        times, items = [], []
        for user_id in sample:

            def call(u: int = user_id) -> Any:
                archive = build_archive(admin, u, *period)
                return archive_document(archive) if document else archive

            took, result = per_request(app, call)
            times.append(took)
            items.append(len(result["items"] if document else result.items))
        results[name] = figures(times, "ms") | {"items_p50": statistics.median(items)}
        log(f"  {name}: p50 {results[name]['p50']:.1f} ms")

    def http_archives(name: str, period: tuple[str, str]) -> None:
        times = []
        for user_id in sample:
            url = f"/api/v1/archive?user_id={user_id}&from={period[0]}&to={period[1]}"
            took, reply = timed(lambda url=url: client.get(url, headers=headers))
            if reply.status_code != 200:
                raise RuntimeError(f"{url}: {reply.status_code} {reply.get_data(as_text=True)}")
            times.append(took)
        results[name] = figures(times, "ms")
        log(f"  {name}: p50 {results[name]['p50']:.1f} ms")

    def reports(name: str, unit_id: int) -> None:
        times, members = [], 0
        for _ in range(args.repeat):
            took, report = per_request(app, lambda: unit_report(unit_id, last))
            times.append(took)
            members = len(report.rows)
        results[name] = figures(times, "s") | {"members": members}
        log(f"  {name}: p50 {results[name]['p50']:.2f} s")

    def http_reports(name: str, unit_id: int) -> None:
        times, size = [], 0
        for _ in range(args.repeat):
            url = f"/api/v1/reports/units/{unit_id}?year={last}"
            took, reply = timed(lambda url=url: client.get(url, headers=headers))
            if reply.status_code != 200:
                raise RuntimeError(f"{url}: {reply.status_code} {reply.get_data(as_text=True)}")
            times.append(took)
            size = len(reply.get_data())
        results[name] = figures(times, "s") | {"bytes": size}
        log(f"  {name}: p50 {results[name]['p50']:.2f} s")

    log(f"timing {len(sample)} employees' archives")
    archives("build_archive 1 year", one_year, document=False)
    archives(f"build_archive {len(years)} years", all_years, document=False)
    archives("archive_document 1 year", one_year, document=True)
    archives(f"archive_document {len(years)} years", all_years, document=True)
    http_archives("GET /archive 1 year", one_year)
    http_archives(f"GET /archive {len(years)} years", all_years)
    log(f"timing unit reports ({args.repeat} runs each)")
    reports("unit_report top unit", org.top_unit)
    reports("unit_report institute", institute)
    http_reports("GET /reports/units top", org.top_unit)
    http_reports("GET /reports/units institute", institute)

    if args.explain:
        explain(app, admin, sample[0], one_year, all_years, [org.top_unit, institute], last)
    if args.profile:
        profile(app, org.top_unit, last)
    return results


def captured_statements(app: Flask, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SQL statements (with parameters) that `call` runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            call()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
            db.session.remove()
    return seen


def explain(
    app: Flask,
    admin: Principal,
    user_id: int,
    one: tuple[str, str],
    five: tuple[str, str],
    units: list[int],
    year: int,
) -> None:
    cases = {
        f"build_archive({user_id}, {one})": lambda: build_archive(admin, user_id, *one),
        f"build_archive({user_id}, {five})": lambda: build_archive(admin, user_id, *five),
    }
    for unit in units:
        cases[f"unit_report({unit}, {year})"] = lambda u=unit: unit_report(u, year)
    with app.app_context():
        dialect = db.engine.dialect.name
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    for title, call in cases.items():
        for statement, parameters in captured_statements(app, call):
            with app.app_context(), db.engine.connect() as c:
                plan = c.exec_driver_sql(prefix + statement, parameters).all()
                db.session.remove()
            print(f"\n=== {title}\n{statement}\n--- {parameters}", file=sys.stderr)
            for row in plan:
                print("  " + " | ".join(str(v) for v in row), file=sys.stderr)


def profile(app: Flask, unit: int, year: int) -> None:
    profiler = cProfile.Profile()
    with app.app_context():
        profiler.enable()
        unit_report(unit, year)
        profiler.disable()
        db.session.remove()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(out.getvalue(), file=sys.stderr)


def volumes(app: Flask) -> dict[str, Any]:
    with app.app_context():
        counts = {
            table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in Base.metadata.sorted_tables
        }
        size = None
        if db.engine.dialect.name == "postgresql":
            size = db.session.execute(
                sa.text(
                    "select sum(pg_total_relation_size(c.oid)) from pg_class c "
                    "join pg_namespace n on n.oid = c.relnamespace "
                    "where n.nspname = current_schema() and c.relkind = 'r'"
                )
            ).scalar()
            size = int(size or 0)
            version = db.session.execute(sa.text("show server_version")).scalar()
            server = "PostgreSQL " + version.split()[0]
        else:
            server = "SQLite " + db.session.execute(sa.text("select sqlite_version()")).scalar()
        db.session.remove()
    return {"rows": {k: v for k, v in counts.items() if v}, "bytes": size, "server": server}


# ---------------------------------------------------------------- output


def render(result: dict[str, Any]) -> str:
    data = result["data"]
    lines = [
        f"database  {data['server']}, {result['employees']} employees x "
        f"{result['years']} years ({result['first_year']}-{result['last_year']}), "
        f"seed {result['seed']}",
        "rows      "
        + ", ".join(f"{name} {n:,}" for name, n in data["rows"].items())
        + (f"; {data['bytes'] / 2**20:,.0f} MiB with indexes" if data["bytes"] else ""),
        (
            f"generated {data['generation_s']:.0f} s (load {data['load_s']:.0f} s, of which "
            f"inserts {sum(data['insert_s'].values()):.0f} s; vacuum/analyze "
            f"{data['vacuum_analyze_s']:.0f} s)"
            if data["generation_s"]
            else "generated earlier (--existing)"
        ),
        f"machine   {result['cpus']} cores, load average {result['load_before']} before, "
        f"{result['load_after']} after; Python speed {result['python_speed_before_s']} s before, "
        f"{result['python_speed_after_s']} s after (10**7 squares summed; smaller is faster)",
        "",
        f"{'measurement':38} {'n':>3} {'p50':>9} {'p95':>9} {'max':>9}  note",
    ]
    for name, f in result["timings"].items():
        note = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:g}"
            for k, v in f.items()
            if k not in {"unit", "n", "p50", "p95", "max"}
        )
        digits = 1 if f["unit"] == "ms" else 2
        cells = " ".join(f"{f[k]:>6.{digits}f} {f['unit']:<2}" for k in ("p50", "p95", "max"))
        lines.append(f"{name:38} {f['n']:>3} {cells}  {note}")
    return "\n".join(lines)


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def python_speed() -> float:
    """Seconds this machine takes right now for a fixed pure-Python loop (10**7 squares
    summed): shared machines vary by half from hour to hour, and this tells runs apart."""
    started = time.perf_counter()
    sum(i * i for i in range(10**7))
    return round(time.perf_counter() - started, 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    this_year = datetime.now(UTC).year
    years = list(range(this_year - args.years, this_year))
    result: dict[str, Any] = {
        "seed": args.seed,
        "samples": args.samples,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_before": load(),
        "python_speed_before_s": python_speed(),
    }
    place = (
        contextlib.nullcontext(args.database_url)
        if args.existing
        else database_url(args.database_url, args.keep)
    )
    with place as url, tempfile.TemporaryDirectory(prefix="bench-media-") as media:
        app = make_app(url, media)
        result["database"] = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        try:
            if args.existing:
                org, token, years, people = existing(app)
                took: dict[str, Any] = {"generation_s": None}
            else:
                people = args.employees
                log(f"generating {people} employees x {len(years)} years ({years[0]}-{years[-1]})")
                org, token, took = generate(args, app, years)
                log(f"generated in {took['generation_s']:.0f} s: {took}")
            result |= {
                "employees": people,
                "years": len(years),
                "first_year": years[0],
                "last_year": years[-1],
            }
            result["data"] = volumes(app) | took
            result["timings"] = measure(args, app, org, token, years)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    result["load_after"] = load()
    result["python_speed_after_s"] = python_speed()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

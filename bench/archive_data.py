"""The archive benchmark's data: an organisation with years of history, generated straight into
the database with bulk inserts and credited by the core's own rules (see docs/benchmarks.md,
the data)."""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tracker.auth import Principal, issue_token
from tracker.core.calendar import credit_day
from tracker.core.crediting import Standing, allocate
from tracker.core.rules import MS_PER_HOUR, RuleSet, hours_to_ms
from tracker.extensions import db
from tracker.models import (
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
from tracker.services.accounts import save_user

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


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


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
            # per row (psycopg pipeline), several times slower (docs/benchmarks.md).
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
                (row.id, row.kind, hours_to_ms(float(row.hours_limit)))
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
                            "hours_ms": hours_to_ms(self.default_rules.training_hours(days)),
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
                        "username_key": f"emp{n + 1:05d}",
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

        def session(item: tuple[int, str, int], opened: datetime, live_ms: int) -> None:
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
            # The session's live time as one interval ending at its last heartbeat, credited by
            # the core as the player credits it (split at New Year, item cap, then year cap).
            standing = Standing(
                item_credited_ms=progress.get(courseware_id, 0),
                item_cap_ms=cap_ms,
                year_effective_ms=MappingProxyType({y: t[1] for y, t in totals.items()}),
                year_cap_ms=year_cap,
            )
            credit = allocate(live_ms, last_beat, standing, tz)
            progress[courseware_id] = standing.item_credited_ms + credit.raw_ms
            for part in credit.parts:
                total = totals.setdefault(part.year, [0, 0])
                total[0] += part.raw_ms
                total[1] += part.effective_ms
                credits.append(
                    {
                        "session_id": sid,
                        "year": part.year,
                        "user_id": user_id,
                        "courseware_id": courseware_id,
                        "day": credit_day(opened, part.year, tz),
                        "raw_ms": part.raw_ms,
                        "effective_ms": part.effective_ms,
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
                    "raw_ms": credit.raw_ms,
                    "effective_ms": credit.effective_ms,
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
            session(rng.choice(pool), opened, 58 * 60_000)

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

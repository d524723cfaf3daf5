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
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from archive_data import ADMIN, Org, existing, generate, log  # noqa: E402
from flask import Flask  # noqa: E402
from pg_schema import private_schema  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth import Principal  # noqa: E402
from tracker.exports.document import archive_document  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Base, User  # noqa: E402
from tracker.services.archive import build_archive  # noqa: E402
from tracker.services.reports import unit_report  # noqa: E402
from tracker.services.scope import ORGANISATION  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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
        "(same rows, several times slower)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the archive and report queries to stderr",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one unit report to stderr"
    )
    add_place_options(parser, "measure the database at --database-url as it is; generate nothing")
    args = parser.parse_args(argv)
    if args.employees < 1 or args.years < 1 or args.samples < 1 or args.repeat < 1:
        parser.error("--employees, --years, --samples and --repeat must be positive")
    if args.years > 10:
        parser.error("--years: the archive covers at most 10 years")
    return args


def add_place_options(parser: argparse.ArgumentParser, existing: str) -> None:
    """`--keep` and `--existing`: measure the same generated data again after a change."""
    parser.add_argument(
        "--keep", action="store_true", help="keep the schema / file and print where it is"
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help=f"{existing} (one kept with --keep; for a kept schema add "
        "?options=-csearch_path%%3D<schema>)",
    )


# ---------------------------------------------------------------- database


def place(args: argparse.Namespace) -> contextlib.AbstractContextManager[str]:
    """The database URL the options name: an existing one, or a fresh one to generate into."""
    if args.existing:
        return contextlib.nullcontext(args.database_url)
    return database_url(args.database_url, args.keep)


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
            took, report = per_request(app, lambda: unit_report(ORGANISATION, unit_id, last))
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
        cases[f"unit_report({unit}, {year})"] = lambda u=unit: unit_report(ORGANISATION, u, year)
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
        unit_report(ORGANISATION, unit, year)
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
    with place(args) as url, tempfile.TemporaryDirectory(prefix="bench-media-") as media:
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

"""The flag scan at scale: a full re-scan of one year of an organisation (flags for review and
time claimed twice), on the archive benchmark's generated data (docs/benchmarks.md).

    .venv/bin/python bench/flags.py                       # 5,000 employees, PostgreSQL
    .venv/bin/python bench/flags.py --employees 500 --database-url sqlite
    .venv/bin/python bench/flags.py --keep                  # prints "kept schema bench_…"
    .venv/bin/python bench/flags.py --existing --database-url "$PG?options=-csearch_path%3Dbench_…"

It generates the data set of `bench/archive.py` (one year of history by default), then times
`services.flags.scan` for the last year: the first run (every flag new) and a second one (the
nightly case: the same findings found again). A script, not a test: it asserts no time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from archive import DEFAULT_URL, add_place_options, load, make_app, place, python_speed
from archive_data import existing, generate, log

from tracker.extensions import db
from tracker.models import Flag, SessionCredit, TakenBack, User, WatchSession
from tracker.services import transaction
from tracker.services.flags import scan


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"default {DEFAULT_URL}")
    parser.add_argument("--employees", type=int, default=5000, help="default 5000")
    parser.add_argument("--years", type=int, default=1, help="years of history (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the second scan to stderr"
    )
    add_place_options(
        parser,
        "scan the database at --database-url as it is, its flags and set-asides cleared first",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.years <= 10 or args.employees < 1:
        parser.error("--employees must be positive and --years between 1 and 10")
    args.core_inserts = False
    return args


def bare(result: dict[str, Any], year: int) -> None:
    """The baseline: what any scan in Python must at least do, reading the year's credited
    sessions (person, span, credited time, day, item) 500 people at a time with plain
    SQLAlchemy Core and doing nothing with them. The scan's CPU is compared with it."""
    ws, sc = WatchSession, SessionCredit
    ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += len(
            db.session.execute(
                sa.select(
                    ws.id,
                    ws.user_id,
                    ws.opened_at,
                    ws.last_beat_at,
                    sc.raw_ms,
                    sc.day,
                    ws.courseware_id,
                )
                .join(sc, sc.session_id == ws.id)
                .where(ws.user_id.between(chunk[0], chunk[-1]), sc.year == year, sc.raw_ms > 0)
                .order_by(ws.user_id, ws.opened_at)
            ).all()
        )
    result["bare_read_s"] = round(time.perf_counter() - started, 2)
    result["bare_read_app_cpu_s"] = round(time.process_time() - cpu, 2)
    result["bare_rows"] = rows
    db.session.remove()


def ratios(result: dict[str, Any]) -> None:
    """The bare read's CPU as a share of each scan's (1.0: the scan costs no more than it)."""
    for run_name in ("first_scan", "second_scan"):
        result[f"{run_name}_ratio"] = round(
            result["bare_read_app_cpu_s"] / max(result[f"{run_name}_app_cpu_s"], 0.01), 2
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, then scan the last year twice."""
    this_year = datetime.now(UTC).year
    years = list(range(this_year - args.years, this_year))
    result: dict[str, Any] = {
        "employees": args.employees,
        "year": years[-1],
        "load": load(),
        "python_speed_before_s": python_speed(),
    }
    with place(args) as url, tempfile.TemporaryDirectory() as media:
        app = make_app(url, media)
        result["database"] = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        try:
            if args.existing:
                _, _, years, result["employees"] = existing(app)
                years = years[-args.years :]
                result["year"] = years[-1]
                with app.app_context(), transaction():
                    db.session.execute(sa.delete(TakenBack))
                    db.session.execute(sa.delete(Flag))
            else:
                log(f"generating {args.employees} employees x {len(years)} years")
                _, _, took = generate(args, app, years)
                result["generation_s"] = round(took["generation_s"], 1)
            with app.app_context():
                result["sessions"] = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(SessionCredit)
                    .where(SessionCredit.year == years[-1])
                )
                result["sessions_total"] = db.session.scalar(
                    sa.select(sa.func.count()).select_from(WatchSession)
                )
                bare(result, years[-1])
                for run_name in ("first_scan", "second_scan"):
                    started, cpu = time.perf_counter(), time.process_time()
                    profiler = (
                        cProfile.Profile() if args.profile and run_name == "second_scan" else None
                    )
                    if profiler:
                        profiler.enable()
                    found = scan(years[-1])
                    if profiler:
                        profiler.disable()
                        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumtime").print_stats(
                            30
                        )
                    result[f"{run_name}_s"] = round(time.perf_counter() - started, 2)
                    # The app's own CPU: on a shared machine the wall time waits for it too.
                    result[f"{run_name}_app_cpu_s"] = round(time.process_time() - cpu, 2)
                    result[f"{run_name}_flags_open"] = found.flags_open
                    db.session.remove()
                result["flags"] = dict(
                    db.session.execute(
                        sa.select(Flag.rule, sa.func.count())
                        .group_by(Flag.rule)
                        .order_by(Flag.rule)
                    ).all()
                )
                result["taken_back_by_reason"] = dict(
                    db.session.execute(
                        sa.select(TakenBack.reason, sa.func.count())
                        .group_by(TakenBack.reason)
                        .order_by(TakenBack.reason)
                    ).all()
                )
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    result["load_after"] = load()
    result["python_speed_after_s"] = python_speed()
    ratios(result)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Realistic learners, and a few who cheat, for measuring the heuristics' false positives.

    .venv/bin/python bench/learners.py --learners 1000 --seed 1

Each simulated learner has a year of player sessions in their own habits: a preferred time of
day (lunch, after work, late evening, weekends), sessions of varied length, pauses, tab
switches, seeks, a browser's heartbeats over a real network (15 s apart, spread by tens of
milliseconds, now and then a stall), some catching up before the year's end, some sharing an
office PC one after another. Their sessions go through the same rhythm sums the server keeps
(`core.heuristics.next_rhythm`) and the same heuristics the scan runs. The cheats: a script
sending perfect heartbeats, a player left running overnight, one person watching for a
colleague on one machine, a year's hours crammed into December. Results: docs/heuristics.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.core import heuristics
from tracker.core.heuristics import Finding, Rhythm, Watch, next_rhythm
from tracker.core.rules import HeuristicRules

TZ = ZoneInfo("Asia/Shanghai")
BEAT_MS = 15_000
HABITS = {  # hour a session starts (local), and how likely each habit is
    "lunch": ((12.0, 13.0), 0.25),
    "after_work": ((17.5, 19.5), 0.3),
    "evening": ((19.5, 22.5), 0.3),
    "late": ((22.0, 23.5), 0.05),
    "weekend": ((9.0, 16.0), 0.1),
}


@dataclass
class Learner:
    """One person's year: sessions, and credited time per day (this year and the years before)."""

    user_id: int
    habit: str
    watches: list[Watch] = field(default_factory=list)
    days: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    cheat: str | None = None


def _beats(
    rng: random.Random, start: datetime, minutes: float, robotic: bool
) -> tuple[datetime, int, Rhythm]:
    """One session's heartbeats: its end, its credited time and its rhythm."""
    rhythm, at, credited = Rhythm(), start, 0
    live, was_live = True, False
    end = start + timedelta(minutes=minutes)
    while at < end:
        if robotic:
            gap = BEAT_MS + round(rng.gauss(0, 3))
        else:
            gap = BEAT_MS + round(rng.gauss(0, 60))  # timers and networks wobble
            if rng.random() < 0.01:
                gap += rng.randint(200, 3000)  # a stall: garbage collection, a busy tab
            # A pause or tab switch now and then; back after a while.
            if live and rng.random() < 1 / 40:
                live = False
            elif not live and rng.random() < 1 / 6:
                live = True
        at += timedelta(milliseconds=gap)
        moved = gap / 1000 if live else 0.0
        if live and not robotic and rng.random() < 1 / 200:
            moved += rng.uniform(-120, 120)  # a seek back to hear it again, or ahead
        rhythm = next_rhythm(rhythm, gap, live, was_live, moved, 1.0)
        if live and was_live:
            credited += gap
        was_live = live
    return at, credited, rhythm


def _session(
    rng: random.Random,
    person: Learner,
    start: datetime,
    minutes: float,
    device: str,
    robotic: bool = False,
) -> None:
    end, credited, rhythm = _beats(rng, start, minutes, robotic)
    ref = f"session:{person.user_id}:{len(person.watches)}"
    person.watches.append(
        Watch(
            ref,
            person.user_id,
            start,
            end,
            credited,
            rhythm.beats,
            rhythm.gap_sd_ms,
            rhythm.longest_live_ms,
            rhythm.breaks,
            None,
            device,
        )
    )
    person.days[start.astimezone(TZ).date()] += credited


def _start(rng: random.Random, day: date, habit: str) -> datetime:
    (low, high), _ = HABITS[habit]
    hour = rng.uniform(low, high)
    return datetime.combine(day, time(0), TZ) + timedelta(hours=hour)


def _history(rng: random.Random, person: Learner, year: int, catch_up: float) -> None:
    """Earlier years' credited time per day (only the daily totals matter to the rules)."""
    for earlier in (year - 1, year - 2):
        day = date(earlier, 1, 1)
        while day.year == earlier:
            late = (date(earlier, 12, 31) - day).days < 42
            if rng.random() < 0.15 * (catch_up if late else 1.0):
                person.days[day] += round(rng.uniform(0.5, 1.5) * 3_600_000)
            day += timedelta(days=1)


def ordinary(rng: random.Random, user_id: int, year: int, shared_pc: str | None) -> Learner:
    """A learner with their own habits over a whole year."""
    habits = list(HABITS)
    habit = rng.choices(habits, weights=[w for _, w in HABITS.values()])[0]
    person = Learner(user_id, habit)
    device = shared_pc or f"device-{user_id}"
    catch_up = rng.choice((1.0, 1.0, 1.5, 2.5))  # some always learn late in the year
    _history(rng, person, year, catch_up)
    day = date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        if (habit == "weekend") == weekend:
            late = (date(year, 12, 31) - day).days < 42
            if rng.random() < 0.25 * (catch_up if late else 1.0):
                minutes = min(180, max(5, rng.lognormvariate(3.6, 0.6)))
                start = _start(rng, day, habit)
                if shared_pc:  # colleagues at one PC take turns: each in their own hours
                    start = datetime.combine(day, time(9 + 3 * (user_id % 3)), TZ)
                    minutes = min(minutes, 150)
                _session(rng, person, start, minutes, device)
        day += timedelta(days=1)
    return person


def cheats(rng: random.Random, first_id: int, year: int) -> Iterator[Learner]:
    """One of each pattern the flags are meant to find."""
    day = date(year, 5, 12)
    script = Learner(first_id, "evening", cheat="robotic")
    _session(rng, script, _start(rng, day, "after_work"), 6 * 60, "device-s", robotic=True)
    yield script
    overnight = Learner(first_id + 1, "late", cheat="night")
    start = datetime.combine(day, time(22, 30), TZ)
    _session(rng, overnight, start, 9 * 60, "device-n")
    yield overnight
    proxy, colleague = (
        Learner(first_id + 2, "lunch", cheat="shared_client"),
        Learner(first_id + 3, "lunch", cheat="shared_client"),
    )
    start = datetime.combine(day, time(14), TZ)
    _session(rng, proxy, start, 90, "device-p")
    _session(rng, colleague, start + timedelta(minutes=2), 85, "device-p")
    yield proxy
    yield colleague
    crammer = Learner(first_id + 4, "evening", cheat="year_end_burst")
    for n in range(20):
        start = datetime.combine(date(year, 12, 5) + timedelta(days=n), time(19), TZ)
        _session(rng, crammer, start, 150, "device-c")
    yield crammer


def population(learners: int, seed: int, year: int = 2026) -> list[Learner]:
    """`learners` ordinary learners (one in twenty at a shared office PC) and the cheats."""
    rng = random.Random(seed)
    people = []
    for user_id in range(1, learners + 1):
        shared = f"office-pc-{user_id // 3}" if user_id % 20 < 3 and user_id > 3 else None
        people.append(ordinary(rng, user_id, year, shared))
    people.extend(cheats(rng, learners + 1, year))
    return people


def flags_of(people: list[Learner], rules: HeuristicRules, year: int = 2026) -> dict[int, set[str]]:
    """Which rules flag whom, as the scan would."""
    found: list[Finding] = []
    everyone = [w for p in people for w in p.watches]
    found += heuristics.long_days(everyone, rules, TZ)
    found += heuristics.nights(everyone, rules, TZ)
    found += heuristics.robotic(everyone, rules, TZ)
    found += heuristics.shared_clients(everyone, rules, TZ)
    for person in people:
        earlier = dict.fromkeys((year - 1, year - 2), 0)
        for day, ms in person.days.items():
            if day.year < year and (date(day.year, 12, 31) - day).days < rules.burst_days:
                earlier[day.year] += ms
        burst = heuristics.year_end_burst(person.user_id, year, person.days, earlier, rules)
        if burst:
            found.append(burst)
    flagged: dict[int, set[str]] = defaultdict(set)
    for finding in found:
        flagged[finding.user_id].add(finding.rule)
    return flagged


def measure(learners: int, seed: int, rules: HeuristicRules | None = None) -> dict:
    """False-positive rate per rule over ordinary learners, and which cheats were caught."""
    rules = rules or HeuristicRules()
    people = population(learners, seed)
    flagged = flags_of(people, rules)
    ordinary_people = [p for p in people if p.cheat is None]
    per_rule: dict[str, int] = defaultdict(int)
    for person in ordinary_people:
        for rule in flagged.get(person.user_id, ()):
            per_rule[rule] += 1
    anyone = sum(1 for p in ordinary_people if flagged.get(p.user_id))
    return {
        "learners": len(ordinary_people),
        "sessions": sum(len(p.watches) for p in ordinary_people),
        "hours_per_learner": round(
            sum(w.credited_ms for p in ordinary_people for w in p.watches)
            / 3_600_000
            / len(ordinary_people),
            1,
        ),
        "false_positive_rate": anyone / len(ordinary_people),
        "false_positives_by_rule": dict(sorted(per_rule.items())),
        "cheats_caught": {
            p.cheat: sorted(flagged.get(p.user_id, ())) for p in people if p.cheat is not None
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--jitter-ms", type=int, default=None, help="robotic_jitter_ms to try (default: 25)"
    )
    args = parser.parse_args(argv)
    rules = HeuristicRules()
    if args.jitter_ms is not None:
        rules = replace(rules, robotic_jitter_ms=args.jitter_ms)
    print(json.dumps(measure(args.learners, args.seed, rules), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rule sets: targets, per-year caps and offline crediting rules as frozen values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import cached_property
from types import MappingProxyType

MS_PER_HOUR = 3_600_000
MS_PER_MINUTE = 60_000

KINDS = ("online", "external_online", "offline", "self_study")
SUBJECTS = ("public", "professional")
# The archive kind each self-reported kind counts as: an external training is offline learning.
RECORD_KIND: Mapping[str, str] = MappingProxyType(
    {
        "external_training": "offline",
        "self_study": "self_study",
        "external_online": "external_online",
    }
)


def hours_to_ms(hours: float) -> int:
    """Convert decimal hours to whole milliseconds."""
    return round(hours * MS_PER_HOUR)


def whole_minutes(ms: float) -> int:
    """`ms` cut to whole minutes, towards zero: the one rounding of a duration people read.

    Cut, not rounded: a figure never shows more than was done, so 99 h 59 min 59.9 s of a
    100 h target reads "99 h 59 min", 1 min missing, never "100 h" and still not reached.
    """
    minutes = int(abs(ms) // MS_PER_MINUTE)
    return (-minutes if ms < 0 else minutes) * MS_PER_MINUTE


@dataclass(frozen=True)
class CapGroup:
    """At most `cap_ms` of the listed kinds count as effective per calendar year."""

    name: str
    kinds: frozenset[str]
    cap_ms: int


# Which source keeps its time first when one day holds more than the rule set allows.
KEEP_FIRST = ("offline", "online", "external_online", "self_study")


@dataclass(frozen=True)
class OverlapRules:
    """How the same clock time claimed by two sources is resolved (docs/heuristics.md)."""

    daily_ceiling_ms: int = 12 * MS_PER_HOUR  # all sources together on one local day
    training_day_starts: time = time(8, 30)  # a training day's hours start here
    # Live time inside a credited training's hours: "training" keeps the training (the live
    # time is set aside), "live" keeps the live time, "flag" keeps both and flags it.
    live_during_training: str = "training"
    # Two self-reported claims on the same days: "earlier" (the later claim's share of the
    # shared days is set aside when they are of the same kind), or "flag" for a reviewer.
    overlapping_claims: str = "flag"
    keep_first: tuple[str, ...] = KEEP_FIRST


@dataclass(frozen=True)
class HeuristicRules:
    """Thresholds of the flags raised for a reviewer (docs/heuristics.md)."""

    long_day_ms: int = 10 * MS_PER_HOUR  # live time on one local day above this
    night_starts: time = time(0, 0)
    night_ends: time = time(5, 0)
    night_ms: int = 2 * MS_PER_HOUR  # live time inside the night window of one day
    robotic_stretch_ms: int = 2 * MS_PER_HOUR  # unbroken live stretch of one session
    robotic_jitter_ms: int = 25  # standard deviation of the heartbeat gaps at most this
    robotic_min_beats: int = 120
    shared_client_ms: int = 10 * 60_000  # two accounts live at once from one client this long
    shared_client_by: tuple[str, ...] = ("device",)  # "device" and/or "address"
    burst_days: int = 42  # the year's last days compared with the person's usual pace
    burst_factor: float = 3.0
    burst_min_ms: int = 20 * MS_PER_HOUR


@dataclass(frozen=True)
class RuleSet:
    """One organisation's continuing-education rules."""

    id: str
    title: str
    hours_per_day: float
    target_ms: int
    leader_target_ms: int
    caps: tuple[CapGroup, ...] = ()
    subject_minimums_ms: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    absence_voids_at: float | None = None
    failed_assessment_voids: bool = False
    filing_deadline_days: int | None = None
    # Online time of an item of these subjects that has an exam counts once the exam is passed.
    exam_required_subjects: frozenset[str] = frozenset()
    overlaps: OverlapRules = OverlapRules()
    heuristics: HeuristicRules = HeuristicRules()

    def target_for(self, role: str) -> int:
        """The yearly target in ms for a user of `role`."""
        return self.leader_target_ms if role == "leader" else self.target_ms

    def cap_group(self, kind: str) -> CapGroup | None:
        """The cap group that limits `kind`, if any."""
        return self.cap_groups.get(kind)

    @cached_property
    def cap_groups(self) -> Mapping[str, CapGroup]:
        """The cap group of each kind that has one."""
        return MappingProxyType({kind: group for group in self.caps for kind in group.kinds})

    def training_hours(self, days: float) -> float:
        """Hours a training of `days` days is worth (half days allowed)."""
        return days * self.hours_per_day

    def offline_credit_ms(self, hours: float, absent_fraction: float, passed: bool) -> int:
        """What one attendee of an offline training is credited."""
        if self.offline_void(absent_fraction, passed) is not None:
            return 0
        return hours_to_ms(hours)

    def offline_void(self, absent_fraction: float, passed: bool) -> str | None:
        """Why an attendee earns no hours ("assessment_failed" or "absence"), or None."""
        if self.failed_assessment_voids and not passed:
            return "assessment_failed"
        if self.absence_voids_at is not None and absent_fraction >= self.absence_voids_at:
            return "absence"
        return None

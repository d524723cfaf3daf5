"""Rule sets: targets, per-year caps and offline crediting rules as frozen values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

MS_PER_HOUR = 3_600_000

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


@dataclass(frozen=True)
class CapGroup:
    """At most `cap_ms` of the listed kinds count as effective per calendar year."""

    name: str
    kinds: frozenset[str]
    cap_ms: int


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
        if self.failed_assessment_voids and not passed:
            return 0
        if self.absence_voids_at is not None and absent_fraction >= self.absence_voids_at:
            return 0
        return hours_to_ms(hours)

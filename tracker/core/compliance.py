"""Compliance: effective time against the yearly target and the subject minimums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tracker.core.rules import RuleSet


@dataclass(frozen=True)
class Compliance:
    """Effective time against a target and subject minimums, over one year or several."""

    target_ms: int
    effective_ms: int
    shortfalls: Mapping[str, int]  # per subject with a minimum: effective time still missing
    compliant: bool

    @property
    def remaining_ms(self) -> int:
        """How much more effective time the target needs (0 once it is reached)."""
        return missing_ms(self.target_ms, self.effective_ms)


def missing_ms(goal_ms: int, done_ms: int) -> int:
    """What `done_ms` still lacks of `goal_ms`, exactly (0 once it is reached)."""
    return max(0, goal_ms - done_ms)


def subject_shortfalls(by_subject: Mapping[str, int], rules: RuleSet) -> Mapping[str, int]:
    """Per subject with a minimum in `rules`, the effective time still missing (0 if met)."""
    return MappingProxyType(
        {
            subject: missing_ms(minimum, by_subject.get(subject, 0))
            for subject, minimum in rules.subject_minimums_ms.items()
        }
    )


def year_compliance(
    rules: RuleSet, role: str, effective_ms: int, by_subject: Mapping[str, int]
) -> Compliance:
    """One calendar year: compliant when the role's target and every subject minimum are met."""
    target = rules.target_for(role)
    shortfalls = subject_shortfalls(by_subject, rules)
    met = effective_ms >= target and not any(shortfalls.values())
    return Compliance(target, effective_ms, shortfalls, met)


def over_years(years: Iterable[Compliance]) -> Compliance:
    """Several calendar years: targets, time and shortfalls add up; compliant if every year is."""
    years = list(years)
    shortfalls: dict[str, int] = {}
    for year in years:
        for subject, missing in year.shortfalls.items():
            shortfalls[subject] = shortfalls.get(subject, 0) + missing
    return Compliance(
        sum(year.target_ms for year in years),
        sum(year.effective_ms for year in years),
        MappingProxyType(shortfalls),
        all(year.compliant for year in years),
    )

"""Loading and validating rule-set files from `rules/` into core `RuleSet` values."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tracker.core.rules import CapGroup, RuleSet, hours_to_ms

Kind = Literal["online", "external_online", "offline", "self_study"]
Subject = Literal["public", "professional"]
Hours = Annotated[float, Field(gt=0, le=10_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Target(_Strict):
    hours: Hours
    leader_hours: Hours


class _Cap(_Strict):
    name: str = Field(min_length=1)
    kinds: list[Kind] = Field(min_length=1)
    hours: Hours


class _Offline(_Strict):
    absence_voids_at: float | None = Field(default=None, gt=0, le=1)
    failed_assessment_voids: bool = False
    filing_deadline_days: int | None = Field(default=None, ge=0)


class _Minimums(_Strict):
    public: Hours | None = None
    professional: Hours | None = None


class _Exams(_Strict):
    # Subjects whose online items with an exam count only once the exam is passed.
    pass_required_for: list[Subject] = []


class RuleSetFile(_Strict):
    """The schema of one `rules/*.toml` file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    hours_per_day: Hours
    target: _Target
    caps: list[_Cap] = []
    offline: _Offline = _Offline()
    subject_minimums: _Minimums = _Minimums()
    exams: _Exams = _Exams()

    @model_validator(mode="after")
    def _each_kind_capped_once(self) -> RuleSetFile:
        seen: set[str] = set()
        for cap in self.caps:
            twice = seen.intersection(cap.kinds)
            if twice:
                raise ValueError(f"kind {sorted(twice)[0]!r} is in more than one cap")
            seen.update(cap.kinds)
        return self

    def to_rule_set(self) -> RuleSet:
        """The core value this file describes."""
        minimums = {
            subject: hours_to_ms(hours)
            for subject, hours in self.subject_minimums.model_dump().items()
            if hours is not None
        }
        return RuleSet(
            id=self.id,
            title=self.title,
            hours_per_day=self.hours_per_day,
            target_ms=hours_to_ms(self.target.hours),
            leader_target_ms=hours_to_ms(self.target.leader_hours),
            caps=tuple(
                CapGroup(cap.name, frozenset(cap.kinds), hours_to_ms(cap.hours))
                for cap in self.caps
            ),
            subject_minimums_ms=MappingProxyType(minimums),
            absence_voids_at=self.offline.absence_voids_at,
            failed_assessment_voids=self.offline.failed_assessment_voids,
            filing_deadline_days=self.offline.filing_deadline_days,
            exam_required_subjects=frozenset(self.exams.pass_required_for),
        )


class RuleSetError(ValueError):
    """A rule-set file that cannot be used, with the file and the reason."""


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or '(file)'}: {item['msg']}"
        for item in error.errors()
    )


def load_rule_set(path: Path) -> RuleSet:
    """Parse and validate one rule-set file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        parsed = RuleSetFile.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"{path.name}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise RuleSetError(f"{path.name}: {_describe(exc)}") from exc
    if parsed.id != path.stem:
        raise RuleSetError(f"{path.name}: id {parsed.id!r} does not match the file name")
    return parsed.to_rule_set()


def load_rule_sets(directory: Path) -> dict[str, RuleSet]:
    """Load every `*.toml` rule set in `directory`, keyed by id."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise RuleSetError(f"{directory}: no rule-set files (*.toml) found")
    return {rule_set.id: rule_set for rule_set in map(load_rule_set, files)}

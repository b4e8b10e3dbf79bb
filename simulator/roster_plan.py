"""Roster plans: skill groups, shift patterns, meal windows, labour rules and shrinkage.

A plan names where the demand comes from (a scenario, or per-group requirement files) and
how people may work. Every error names the file, line and field, e.g.
``plan.yaml:14: patterns[1].meal.window: window ends after the shift``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator

from callcenter.config.schema import Language, Name
from callcenter.config.yaml_source import (
    SourceError,
    SourceIssue,
    SourceMap,
    dotted,
    load_yaml_or_raise,
    validate_mapping,
)
from ivr_flows.strict_model import STRICT

MINUTES_PER_DAY = 1440
Hours = Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)]
Percent = Annotated[float, Field(ge=0, lt=100, allow_inf_nan=False)]


def clock_minutes(text: str) -> int:
    """``"08:30"`` -> 510; ``"24:00"`` is the end of the day."""
    hours, sep, minutes = str(text).partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return value


class _Model(BaseModel):
    model_config = STRICT


class Meal(_Model):
    """An unpaid meal of ``minutes`` starting inside ``window`` (hours after the shift starts)."""

    minutes: Annotated[int, Field(gt=0, le=180)]
    window: tuple[float, float]

    @field_validator("window")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] <= value[1]:
            raise ValueError("expected [earliest, latest] hours after the shift start, "
                             "0 < earliest <= latest")
        return value


class Pattern(_Model):
    """Shifts of ``length_hours`` (meal included) starting at each of ``starts`` (HH:MM)
    or every ``every_minutes`` from ``first`` to ``last``."""

    name: str
    length_hours: Hours
    starts: list[str] = []
    first: str | None = None
    last: str | None = None
    every_minutes: Annotated[int, Field(gt=0, le=MINUTES_PER_DAY)] = 30
    meal: Meal | None = None
    cost_per_hour: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0

    @field_validator("starts")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        for text in value:
            clock_minutes(text)
        return value

    @field_validator("first", "last")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            clock_minutes(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Pattern:
        if bool(self.starts) == (self.first is not None):
            raise ValueError("give either starts or first/last")
        if (self.first is None) != (self.last is None):
            raise ValueError("first and last go together")
        if self.first is not None and clock_minutes(self.last) < clock_minutes(self.first):
            raise ValueError("last must not be before first")
        if self.meal is not None and self.meal.window[1] * 60 + self.meal.minutes > self.length_hours * 60:
            raise ValueError("meal window ends after the shift")
        return self

    def start_minutes(self) -> list[int]:
        if self.starts:
            return sorted({clock_minutes(s) % MINUTES_PER_DAY for s in self.starts})
        first, last = clock_minutes(self.first or ""), clock_minutes(self.last or "")
        return list(range(first, last + 1, self.every_minutes))


class Labour(_Model):
    """Labour rules: shift lengths allowed, the part-time share, night pay, days per week."""

    min_shift_hours: Hours = 4
    max_shift_hours: Hours = 10
    part_time_below_hours: Hours = 6
    max_part_time_share: Annotated[float, Field(ge=0, le=1)] = 0.3
    night_hours: tuple[str, str] = ("22:00", "06:00")
    night_premium: Annotated[float, Field(ge=0, le=5)] = 0.0
    meal_required_over_hours: Hours = 6
    days_per_week: Annotated[int, Field(ge=1, le=7)] = 5

    @field_validator("night_hours")
    @classmethod
    def _clock(cls, value: tuple[str, str]) -> tuple[str, str]:
        clock_minutes(value[0]), clock_minutes(value[1])
        return value


class Shrinkage(_Model):
    """Time a scheduled person is not on the phones: percentages of the paid time
    (absence, training, ...) and minutes per shift (short breaks, briefings)."""

    percent: dict[str, Percent] = {}
    minutes_per_shift: dict[str, Annotated[float, Field(ge=0, le=240)]] = {}

    @model_validator(mode="after")
    def _total(self) -> Shrinkage:
        if sum(self.percent.values()) >= 90:
            raise ValueError("percentages add up to 90 % or more")
        return self

    @property
    def fraction(self) -> float:
        return sum(self.percent.values()) / 100.0

    @property
    def minutes(self) -> float:
        return sum(self.minutes_per_shift.values())


class Group(_Model):
    """People with ``skills`` who take the calls of ``languages`` (on ``lines``: all if empty).
    Outside ``open`` (HH:MM to HH:MM) the group is not staffed and ``fallback`` takes its calls."""

    name: Name
    languages: Annotated[list[Language], Field(min_length=1)]
    lines: list[str] = []
    skills: dict[str, Annotated[int, Field(ge=1, le=5)]]
    open: tuple[str, str] | None = None
    fallback: str | None = None
    requirements: str | None = None  # file: staff --profile --json, or numbers per hour/interval

    @model_validator(mode="after")
    def _open(self) -> Group:
        if self.open is not None:
            start, end = clock_minutes(self.open[0]), clock_minutes(self.open[1])
            if end <= start:
                raise ValueError("open: the end must be after the start")
            if self.fallback is None:
                raise ValueError("a group with open hours needs a fallback group for the rest")
        return self


class Plan(_Model):
    """A roster plan (see the module docstring)."""

    scenario: str | None = None
    days: Annotated[int, Field(ge=1, le=7)] = 1
    interval_minutes: Annotated[int, Field(ge=15, le=60)] = 30
    target: str | None = None  # SECONDS:FRACTION; default: the center's service level
    groups: Annotated[list[Group], Field(min_length=1)]
    patterns: Annotated[list[Pattern], Field(min_length=1)]
    labour: Labour = Labour()
    shrinkage: Shrinkage = Shrinkage()
    time_limit_seconds: Annotated[float, Field(gt=0, le=3600)] = 30
    mip_gap: Annotated[float, Field(ge=0, le=0.5)] = 0.01  # stop within this share of the optimum

    @field_validator("interval_minutes")
    @classmethod
    def _divides_day(cls, value: int) -> int:
        if MINUTES_PER_DAY % value:
            raise ValueError("must divide a day (15, 20, 30 or 60)")
        return value


class PlanError(SourceError):
    """The plan is invalid; ``issues`` lists every problem found."""


@dataclass(frozen=True, slots=True)
class LoadedPlan:
    plan: Plan
    source: SourceMap
    path: Path

    def issue(self, loc: tuple[Any, ...], message: str) -> SourceIssue:
        return SourceIssue(self.source.locate(loc), dotted(loc), message)

    def resolve(self, name: str) -> Path:
        """A file named in the plan, relative to the plan's folder."""
        path = Path(name)
        return path if path.is_absolute() else self.path.parent / path


def _cross_check(loaded: LoadedPlan) -> list[SourceIssue]:
    plan, issues = loaded.plan, []
    names = [g.name for g in plan.groups]
    for i, group in enumerate(plan.groups):
        if names.count(group.name) > 1:
            issues.append(loaded.issue(("groups", i, "name"), f"duplicate group {group.name!r}"))
        if group.fallback is not None and group.fallback not in names:
            issues.append(loaded.issue(("groups", i, "fallback"),
                                       f"unknown group {group.fallback!r}; groups: {', '.join(names)}"))
        if group.fallback == group.name:
            issues.append(loaded.issue(("groups", i, "fallback"), "a group cannot fall back to itself"))
        if group.requirements is None and plan.scenario is None:
            issues.append(loaded.issue(("groups", i, "requirements"),
                                       "give the plan a scenario or the group a requirements file"))
    rules = plan.labour
    for i, pattern in enumerate(plan.patterns):
        if not rules.min_shift_hours <= pattern.length_hours <= rules.max_shift_hours:
            issues.append(loaded.issue(
                ("patterns", i, "length_hours"),
                f"{pattern.length_hours:g} h is outside the labour rules' "
                f"{rules.min_shift_hours:g}-{rules.max_shift_hours:g} h"))
        if pattern.meal is None and pattern.length_hours > rules.meal_required_over_hours:
            issues.append(loaded.issue(
                ("patterns", i, "meal"),
                f"shifts over {rules.meal_required_over_hours:g} h need a meal break (labour rules)"))
        off_grid = [m for m in pattern.start_minutes() if m % plan.interval_minutes]
        if off_grid:
            issues.append(loaded.issue(
                ("patterns", i, "starts" if pattern.starts else "first"),
                f"starts must fall on the {plan.interval_minutes}-minute grid"))
        if (pattern.length_hours * 60) % plan.interval_minutes:
            issues.append(loaded.issue(("patterns", i, "length_hours"),
                                       f"must be a multiple of {plan.interval_minutes} minutes"))
    return issues


def load_plan(path: str | Path) -> LoadedPlan:
    """Load and validate a roster plan file."""
    path = Path(path)
    data, source = load_yaml_or_raise(path, PlanError)
    return parse_plan(data, source, path)


def parse_plan(data: Any, source: SourceMap, path: Path) -> LoadedPlan:
    plan = validate_mapping(Plan, data, source, PlanError)
    loaded = LoadedPlan(plan, source, path)
    issues = _cross_check(loaded)
    if issues:
        raise PlanError(issues)
    return loaded

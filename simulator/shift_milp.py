"""The cheapest roster covering a requirement: an integer program solved by HiGHS (scipy's milp).

One column per (day, pattern, start, meal start); its value is the number of people working
that shift. A person counts in an interval for the share of it they work (not on their meal),
times the productive share left after shrinkage. The horizon is cyclic: a shift starting at
22:00 on the last day covers the first morning. Constraints: coverage per interval, and the
labour rules' part-time share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.roster_plan import MINUTES_PER_DAY, Labour, Pattern, Plan, Shrinkage, clock_minutes


@dataclass(frozen=True, slots=True)
class Column:
    """One kind of shift: the pattern, its start (minutes from the horizon's start) and meal."""

    pattern: Pattern
    start: int
    meal_start: int | None  # minutes from the horizon's start
    cost: float
    paid_hours: float
    productive: float  # share of a working minute spent on the phones

    @property
    def length(self) -> int:
        return round(self.pattern.length_hours * 60)

    @property
    def meal_minutes(self) -> int:
        return self.pattern.meal.minutes if self.pattern.meal else 0

    def working_minutes(self, horizon: int) -> list[tuple[int, int]]:
        """Minutes worked as ``[start, stop)`` pieces inside ``[0, horizon)`` (wrapping)."""
        pieces = []
        cuts = [(self.start, self.start + self.length)]
        if self.meal_start is not None:
            meal_end = self.meal_start + self.meal_minutes
            cuts = [(self.start, self.meal_start), (meal_end, self.start + self.length)]
        for a, b in cuts:
            a, b = a % horizon, a % horizon + (b - a)
            for lo, hi in ((a, min(b, horizon)), (0, b - horizon)):
                if hi > lo:
                    pieces.append((lo, hi))
        return pieces


def _night_share(start: int, length: int, labour: Labour) -> float:
    lo, hi = (clock_minutes(t) for t in labour.night_hours)
    night = 0
    for minute in range(start, start + length, 15):
        clock = minute % MINUTES_PER_DAY
        inside = (lo <= clock or clock < hi) if lo > hi else lo <= clock < hi
        night += inside
    return night / max(1, math.ceil(length / 15))


def columns(plan: Plan) -> list[Column]:
    """Every shift a person may work over the plan's days."""
    out = []
    step = plan.interval_minutes
    shrink: Shrinkage = plan.shrinkage
    for day in range(plan.days):
        for pattern in plan.patterns:
            length = round(pattern.length_hours * 60)
            meal = pattern.meal
            offsets: list[int | None] = [None]
            if meal is not None:
                lo, hi = round(meal.window[0] * 60), round(meal.window[1] * 60)
                offsets = list(range(lo - lo % step + (step if lo % step else 0), hi + 1, step)) or [lo]
            work = length - (meal.minutes if meal else 0)
            productive = (1 - shrink.fraction) * max(0.0, 1 - shrink.minutes / work)
            paid = work / 60
            for start in pattern.start_minutes():
                begin = day * MINUTES_PER_DAY + start
                premium = 1 + plan.labour.night_premium * _night_share(start, length, plan.labour)
                for offset in offsets:
                    meal_start = None if offset is None else begin + offset
                    out.append(Column(pattern, begin, meal_start, paid * pattern.cost_per_hour * premium,
                                      paid, productive))
    return out


def coverage_matrix(cols: list[Column], intervals: int, step: int) -> np.ndarray:
    """Agents on the phones per interval (rows) for one person on each column."""
    horizon = intervals * step
    matrix = np.zeros((intervals, len(cols)))
    for j, col in enumerate(cols):
        for lo, hi in col.working_minutes(horizon):
            for t in range(lo // step, math.ceil(hi / step)):
                a, b = max(lo, t * step), min(hi, (t + 1) * step)
                matrix[t, j] += (b - a) / step * col.productive
    return matrix


class RosterInfeasible(ValueError):
    """No combination of the allowed shifts covers the requirement."""


@dataclass(frozen=True, slots=True)
class Solution:
    counts: list[tuple[Column, int]]  # columns with people on them
    cost: float
    people: int
    scheduled: list[float]  # agents on the phones per interval
    optimal: bool  # proven within the plan's mip_gap of the cheapest
    bound: float  # no roster costs less than this


def solve(plan: Plan, required: list[int], cols: list[Column] | None = None) -> Solution:
    """The cheapest integer roster meeting ``required`` agents in every interval."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    step = plan.interval_minutes
    cols = cols if cols is not None else columns(plan)
    need = np.asarray(required, dtype=float)
    matrix = coverage_matrix(cols, len(required), step)
    if not need.any():
        return Solution([], 0.0, 0, [0.0] * len(required), True, 0.0)
    gap = np.flatnonzero((need > 0) & (matrix.sum(axis=1) == 0))
    if gap.size:
        minute = int(gap[0]) * step % MINUTES_PER_DAY
        raise RosterInfeasible(f"no shift pattern works at {minute // 60:02d}:{minute % 60:02d}, "
                               f"where {int(need[gap[0]])} agents are needed")
    cost = np.array([c.cost for c in cols])
    constraints = [LinearConstraint(matrix, lb=need, ub=np.inf)]
    rules = plan.labour
    part_time = np.array([1.0 if c.pattern.length_hours < rules.part_time_below_hours else 0.0
                          for c in cols])
    if part_time.any() and rules.max_part_time_share < 1:
        constraints.append(LinearConstraint(part_time - rules.max_part_time_share, ub=0.0))
    result = milp(cost, integrality=np.ones(len(cols)), bounds=Bounds(0, np.inf),
                  constraints=constraints,
                  options={"time_limit": plan.time_limit_seconds, "mip_rel_gap": plan.mip_gap})
    if result.x is None:
        why = ("no roster meets the requirement within the labour rules (the part-time share?)"
               if result.status == 2 else f"the solver found no roster: {result.message}")
        raise RosterInfeasible(why)
    x = np.round(result.x).astype(int)
    counts = [(c, int(n)) for c, n in zip(cols, x, strict=True) if n > 0]
    bound = getattr(result, "mip_dual_bound", None)
    return Solution(counts, float(cost @ x), int(x.sum()), (matrix @ x).tolist(),
                    result.status == 0, float(bound) if bound is not None else float(cost @ x))


def naive(plan: Plan, required: list[int], cols: list[Column] | None = None) -> Solution:
    """A roster at the peak's level: the same patterns covering the peak requirement in every
    interval from the first to the last one that needs anybody."""
    busy = [t for t, n in enumerate(required) if n > 0]
    if not busy:
        return solve(plan, required, cols)
    peak = max(required)
    return solve(plan, [peak if busy[0] <= t <= busy[-1] else 0 for t in range(len(required))],
                 cols)

"""A solved roster as a scenario the simulator runs, and its service level per interval.

Shrinkage is played, not assumed: the percentage share of scheduled people is left out
(spread over the group's shifts by largest remainder), meals are breaks at their start, and
the minutes per shift are two staggered breaks, one in each half of the shift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from simulator.engine import HOUR, RunResult
from simulator.metrics import threshold_seconds
from simulator.replications import half_width, run_replications
from simulator.roster_demand import Demand
from simulator.roster_plan import MINUTES_PER_DAY, LoadedPlan
from simulator.scenario import LoadedScenario, Scenario
from simulator.shift_milp import Column, Solution


def present(solution: Solution, absent_share: float) -> list[tuple[Column, int]]:
    """People at work per column once ``absent_share`` of the scheduled are away."""
    exact = [(col, n * (1 - absent_share)) for col, n in solution.counts]
    total = round(sum(v for _, v in exact))
    floors = [math.floor(v) for _, v in exact]
    order = sorted(range(len(exact)), key=lambda i: floors[i] - exact[i][1])
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return [(col, n) for (col, _), n in zip(exact, floors, strict=True) if n > 0]


def clock(minute: int) -> str:
    minute %= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def staff_groups(loaded: LoadedPlan, solutions: dict[str, Solution]) -> list[dict]:
    """Scenario ``staffing`` entries (plain data) for the solved roster."""
    plan = loaded.plan
    horizon = plan.days * MINUTES_PER_DAY
    short = plan.shrinkage.minutes
    out = []
    for group in plan.groups:
        for col, count in present(solutions[group.name], plan.shrinkage.fraction):
            start, end = col.start, col.start + col.length
            day = f"d{col.start // MINUTES_PER_DAY + 1}-" if plan.days > 1 else ""
            name = f"{group.name}-{col.pattern.name}-{day}{clock(start).replace(':', '')}"
            shifts = [(start, min(end, horizon))] + ([(0, end - horizon)] if end > horizon else [])
            breaks = []
            if col.meal_start is not None:
                name += f"-m{clock(col.meal_start).replace(':', '')}"
                breaks.append({"start_hour": (col.meal_start % horizon) / 60,
                               "minutes": col.meal_minutes})
            if short > 0:
                for share in (0.25, 0.75):
                    at = (start + round(col.length * share) - 30) % horizon
                    breaks.append({"start_hour": at / 60, "minutes": short / 2,
                                   "stagger_minutes": 60})
            out.append({
                "name": name, "count": count, "skills": dict(group.skills),
                "shifts": [{"start_hour": a / 60, "end_hour": b / 60} for a, b in shifts],
                "breaks": breaks,
            })
    return out


def roster_scenario(loaded: LoadedPlan, demand: Demand, solutions: dict[str, Solution]) -> dict:
    """The demand scenario with the roster as its staffing, as plain data for YAML."""
    assert demand.scenario is not None
    base = demand.scenario
    data = base.scenario.model_dump(mode="json", exclude_none=True, exclude={"staffing"})
    if data["center"] != "default" and not Path(data["center"]).is_absolute():
        data["center"] = str((base.path / data["center"]).resolve())
    data["duration_hours"] = loaded.plan.days * 24
    data["warmup_hours"] = min(data.get("warmup_hours", 0.0), data["duration_hours"] / 2)
    data["staffing"] = staff_groups(loaded, solutions)
    return data


def loaded_scenario(data: dict, demand: Demand) -> LoadedScenario:
    assert demand.scenario is not None
    return LoadedScenario(Scenario.model_validate(data), demand.scenario.config,
                          demand.scenario.path, demand.scenario.ivr)


def interval_counts(result: RunResult, owners: list[list[str]], groups: list[str], step: int,
                    threshold: float, window: tuple[float, float]) -> dict[str, list[tuple[int, int]]]:
    """(offered, answered within the threshold) per group and interval of one run."""
    intervals = len(owners[0]) if owners else 0
    counts = {g: [[0, 0] for _ in range(intervals)] for g in groups}
    ended = set()
    for record in result.records:
        ended.add(record.call_id)
        if not window[0] <= record.arrived_at < window[1]:
            continue
        t = min(int(record.arrived_at // (step * 60)), intervals - 1)
        cell = counts[owners[result.stream_of_call[record.call_id]][t]][t]
        cell[0] += 1
        cell[1] += record.outcome == "answered" and record.sl_wait <= threshold
    for call_id, arrived in enumerate(result.arrival_of_call):  # still waiting at the end
        if call_id not in ended and window[0] <= arrived < window[1]:
            t = min(int(arrived // (step * 60)), intervals - 1)
            counts[owners[result.stream_of_call[call_id]][t]][t][0] += 1
    return {g: [tuple(c) for c in cells] for g, cells in counts.items()}


@dataclass(frozen=True, slots=True)
class IntervalSL:
    """Simulated service level of one group in one interval over the replications."""

    offered: float  # mean calls offered per replication
    service_level: float | None
    ci95: float | None


@dataclass(frozen=True, slots=True)
class Verification:
    replications: int
    groups: dict[str, list[IntervalSL]]
    overall: list[IntervalSL]
    day: dict[str, IntervalSL]  # whole horizon per group, and "all"
    calls: int


def _combine(per_rep: list[list[tuple[int, int]]]) -> tuple[list[IntervalSL], IntervalSL]:
    intervals = len(per_rep[0])
    rows = []
    for t in range(intervals):
        cells = [rep[t] for rep in per_rep]
        rows.append(_sl(cells))
    totals = [(sum(c[0] for c in rep), sum(c[1] for c in rep)) for rep in per_rep]
    return rows, _sl(totals)


def _sl(cells: list[tuple[int, int]]) -> IntervalSL:
    values = [w / o for o, w in cells if o]
    offered = sum(o for o, _ in cells) / len(cells)
    if not values:
        return IntervalSL(offered, None, None)
    return IntervalSL(offered, sum(values) / len(values), half_width(values))


def verify(loaded: LoadedPlan, demand: Demand, scenario: LoadedScenario, replications: int,
           seed: int, jobs: int) -> Verification:
    """Simulate the roster ``replications`` times through the production ACD."""
    groups = [g.name for g in loaded.plan.groups]
    sc = scenario.scenario
    window = (sc.warmup_hours * HOUR, sc.duration_hours * HOUR)
    reduce = partial(interval_counts, owners=demand.owners, groups=groups,
                     step=demand.interval_minutes, threshold=threshold_seconds(scenario),
                     window=window)
    reps = run_replications(scenario, replications, seed, jobs, reduce=reduce)
    per_group, day = {}, {}
    for g in groups:
        per_group[g], day[g] = _combine([r.reduced[g] for r in reps])
    merged = [[(sum(r.reduced[g][t][0] for g in groups), sum(r.reduced[g][t][1] for g in groups))
               for t in range(demand.intervals)] for r in reps]
    overall, day["all"] = _combine(merged)
    return Verification(replications, per_group, overall, day, sum(r.calls for r in reps))

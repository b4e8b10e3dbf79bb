"""Agents required per interval and skill group: Erlang A on a scenario's arrivals, or files.

A scenario's streams go to the group whose languages (and lines) they match; outside a
group's open hours its calls count against its fallback group. Busy time per call is the
handle time plus ring time and wrap-up, as the simulator plays it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import yaml

from ivr_flows.yaml_limits import YamlLimitError, check_limits, read_text
from simulator.roster_plan import MINUTES_PER_DAY, LoadedPlan, PlanError, clock_minutes
from simulator.scenario import LoadedScenario, load_scenario
from simulator.staffing import Target, required_agents


@dataclass(frozen=True, slots=True)
class GroupDemand:
    """One skill group's load and required agents per interval of the horizon."""

    name: str
    calls_per_hour: list[float]
    required: list[int]
    open: list[bool]  # the group is staffed in this interval


@dataclass(frozen=True, slots=True)
class Demand:
    interval_minutes: int
    days: int
    target: Target
    groups: dict[str, GroupDemand]
    scenario: LoadedScenario | None
    owners: list[list[str]]  # per scenario stream and interval: the group taking its calls

    @property
    def intervals(self) -> int:
        return self.days * MINUTES_PER_DAY // self.interval_minutes


def plan_target(loaded: LoadedPlan, scenario: LoadedScenario | None) -> Target:
    plan = loaded.plan
    if plan.target is not None:
        try:
            return Target.parse(plan.target)
        except ValueError as exc:
            raise PlanError([loaded.issue(("target",), str(exc))]) from None
    if scenario is None:
        return Target(15.0, 0.8)
    policy = scenario.config.service_level
    override = scenario.scenario.service_level
    threshold = override.threshold_seconds if override is not None else policy.threshold_seconds
    return Target(threshold, policy.target)


def _open_mask(loaded: LoadedPlan, index: int, intervals: int) -> list[bool]:
    group = loaded.plan.groups[index]
    step = loaded.plan.interval_minutes
    if group.open is None:
        return [True] * intervals
    start, end = clock_minutes(group.open[0]), clock_minutes(group.open[1])
    return [start <= (t * step) % MINUTES_PER_DAY < end for t in range(intervals)]


def _owner(loaded: LoadedPlan, masks: dict[str, list[bool]], name: str, t: int) -> str:
    """The group that takes ``name``'s calls in interval ``t`` (following fallbacks)."""
    seen = [name]
    groups = {g.name: g for g in loaded.plan.groups}
    while not masks[name][t]:
        name = groups[name].fallback or name
        if name in seen:
            index = next(i for i, g in enumerate(loaded.plan.groups) if g.name == seen[0])
            raise PlanError([loaded.issue(("groups", index, "fallback"),
                                          f"fallbacks {' -> '.join([*seen, name])} are all closed "
                                          f"at interval {t}")])
        seen.append(name)
    return name


def _scenario_load(loaded: LoadedPlan, scenario: LoadedScenario, intervals: int,
                   masks: dict[str, list[bool]], owners: list[list[str]],
                   ) -> dict[str, list[tuple[float, float, float]]]:
    """Per group and interval: (calls per hour, busy seconds per call, patience seconds);
    fills ``owners`` with the group taking each stream's calls per interval."""
    plan, sc = loaded.plan, scenario.scenario
    wrap = sc.wrap_up_seconds if sc.wrap_up_seconds is not None else (
        scenario.config.defaults.wrap_up_seconds)
    extra = wrap + sc.ring_time.mean + 0.0
    sums = {g.name: [[0.0, 0.0, 0.0] for _ in range(intervals)] for g in plan.groups}
    for s, arrival in enumerate(sc.arrivals):
        matches = [g.name for g in plan.groups if arrival.language in g.languages
                   and (not g.lines or arrival.line in g.lines)]
        if len(matches) != 1:
            where = "no group" if not matches else f"groups {', '.join(matches)}"
            raise PlanError([loaded.issue(("groups",), f"scenario stream {arrival.label(s)!r} "
                                          f"({arrival.line}, {arrival.language}) matches {where}; "
                                          f"it must match exactly one")])
        rates = arrival.hourly_rates()
        busy = (arrival.handle_time or sc.handle_time).mean + extra
        patience = (arrival.patience or sc.patience).mean
        owners.append([_owner(loaded, masks, matches[0], t) for t in range(intervals)])
        for t in range(intervals):
            rate = rates[(t * plan.interval_minutes // 60) % 24]
            if rate <= 0:
                continue
            cell = sums[owners[-1][t]][t]
            cell[0] += rate
            cell[1] += rate * busy
            cell[2] += rate * patience
    return {name: [(r, b / r if r else 0.0, p / r if r else math.inf) for r, b, p in cells]
            for name, cells in sums.items()}


def _file_requirements(loaded: LoadedPlan, index: int, intervals: int) -> list[int]:
    group = loaded.plan.groups[index]
    path = loaded.resolve(group.requirements or "")
    loc = ("groups", index, "requirements")
    try:
        text = read_text(path)
        check_limits(text, str(path))
        data = yaml.safe_load(text)  # JSON is YAML too
    except OSError as exc:
        raise PlanError([loaded.issue(loc, f"cannot read {path}: {exc.strerror or exc}")]) from None
    except YamlLimitError as exc:
        raise PlanError([loaded.issue(loc, str(exc))]) from None
    except yaml.YAMLError:
        raise PlanError([loaded.issue(loc, f"{path}: not JSON or YAML")]) from None
    if isinstance(data, dict) and isinstance(data.get("hours"), list):  # staff --profile --json
        # staff never answers fewer than one agent; an hour without calls needs nobody here
        data = [(0 if h.get("calls") == 0 else h.get("agents")) if isinstance(h, dict) else None
                for h in data["hours"]]
    elif isinstance(data, dict):
        data = data.get("required")
    per_day = MINUTES_PER_DAY // loaded.plan.interval_minutes
    if not isinstance(data, list) or len(data) not in (24, per_day, intervals):
        raise PlanError([loaded.issue(loc, f"{path}: expected a list of 24 hourly, {per_day} "
                                      f"per-interval or {intervals} values, or staff --json output")])
    values = []
    for i, value in enumerate(data):
        if not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
            raise PlanError([loaded.issue(loc, f"{path}: value {i}: expected a number >= 0, "
                                          f"got {value!r}")])
        values.append(math.ceil(value))
    if len(values) == 24:
        values = [values[(t * loaded.plan.interval_minutes // 60) % 24] for t in range(per_day)]
    return [values[t % len(values)] for t in range(intervals)]


def plan_demand(loaded: LoadedPlan) -> Demand:
    """Required agents per interval for every group of the plan."""
    plan = loaded.plan
    scenario = None
    if plan.scenario is not None:
        try:
            scenario = load_scenario(loaded.resolve(plan.scenario) if plan.scenario.endswith(
                (".yaml", ".yml")) else plan.scenario)
        except ValueError as exc:
            first = str(exc).splitlines()[0]
            raise PlanError([loaded.issue(("scenario",), f"invalid scenario: {first}")]) from None
    target = plan_target(loaded, scenario)
    intervals = plan.days * MINUTES_PER_DAY // plan.interval_minutes
    masks = {g.name: _open_mask(loaded, i, intervals) for i, g in enumerate(plan.groups)}
    owners: list[list[str]] = []
    load = _scenario_load(loaded, scenario, intervals, masks, owners) if scenario else {}
    groups = {}
    for i, group in enumerate(plan.groups):
        if group.requirements is not None:
            required = _file_requirements(loaded, i, intervals)
            rates = [0.0] * intervals
        else:
            cells = load[group.name]
            rates = [c[0] for c in cells]
            required = [_agents(c, target) for c in cells]
        required = [r if masks[group.name][t] else 0 for t, r in enumerate(required)]
        groups[group.name] = GroupDemand(group.name, rates, required, masks[group.name])
    return Demand(plan.interval_minutes, plan.days, target, groups, scenario, owners)


def _agents(cell: tuple[float, float, float], target: Target) -> int:
    rate, busy, patience = cell
    if rate <= 0:
        return 0
    if math.isinf(patience):
        return required_agents(rate, busy, target, model="erlang-c").agents
    return required_agents(rate, busy, target, patience, "erlang-a").agents

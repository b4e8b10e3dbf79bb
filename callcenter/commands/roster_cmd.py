"""``callcenter roster``: the cheapest shift roster covering the required agents, checked by simulation."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import click


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


def resolve_plan(name: str) -> Path:
    """A path as given, or a shipped plan's name (``jinan-day``)."""
    path = Path(name)
    shipped = Path(str(resources.files("simulator") / "plans")) / f"{name}.yaml"
    return shipped if not path.exists() and shipped.exists() else path


def _write_yaml(path: str, data: dict, comment: str) -> None:
    import yaml

    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# {comment}\n")
        yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True, width=100)


@click.command("roster")
@click.argument("plan_path", metavar="PLAN")
@click.option("--replications", type=click.IntRange(0, 1000), default=8, show_default=True,
              help="Simulated runs to check the roster (0: no check).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes for the check (default: CPU count).")
@click.option("--scenario-out", type=click.Path(dir_okay=False),
              help="Write the roster as a scenario `callcenter simulate` runs.")
@click.option("--agents-out", type=click.Path(dir_okay=False),
              help="Write the roster as the agents section of a hotline config, with shifts.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Write required vs rostered agents and simulated SL per interval (PNG).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write figures as JSON.")
@click.option("--intervals/--no-intervals", default=True, show_default=True,
              help="Print the per-interval table.")
def roster(plan_path: str, replications: int, seed: int, jobs: int | None,
           scenario_out: str | None, agents_out: str | None, plot_path: str | None,
           json_path: str | None, intervals: bool) -> None:
    """Build the cheapest roster for PLAN (a YAML file, or a shipped plan such as jinan-day):
    agents needed per interval and skill group (Erlang A on the plan's scenario, or files),
    shifts with meals and shrinkage as an integer program (HiGHS), then simulate it."""
    from simulator.roster_check import loaded_scenario, roster_scenario, verify
    from simulator.roster_demand import plan_demand
    from simulator.roster_plan import PlanError, load_plan
    from simulator.roster_report import (
        Rostered,
        agents_config,
        interval_table,
        plot_roster,
        summary_table,
    )
    from simulator.shift_milp import RosterInfeasible, columns, naive, solve

    try:
        loaded = load_plan(resolve_plan(plan_path))
        demand = plan_demand(loaded)
    except PlanError as exc:
        more = len(exc.issues) - 1
        _fail(str(exc.issues[0]) + (f" (and {more} more)" if more > 0 else ""))
    if scenario_out and demand.scenario is None:
        _fail("--scenario-out needs a plan with a scenario")
    cols = columns(loaded.plan)
    solutions, naives = {}, {}
    for i, group in enumerate(loaded.plan.groups):
        need = demand.groups[group.name]
        try:
            solutions[group.name] = solve(loaded.plan, need.required, cols)
            naives[group.name] = naive(loaded.plan, need.required, cols)
        except RosterInfeasible as exc:
            _fail(f"{loaded.issue(('groups', i), '').origin}: groups[{i}] ({group.name}): {exc}")
    out = Rostered(demand, solutions, naives)
    data = roster_scenario(loaded, demand, solutions) if demand.scenario is not None else None
    check = None
    if data is not None and replications > 0:
        scenario = loaded_scenario(data, demand)
        check = verify(loaded, demand, scenario, replications, seed,
                       jobs or min(os.cpu_count() or 1, replications))
    target = demand.target
    need = (f"target {target.fraction:.0%} within {target.threshold_seconds:g} s"
            if demand.scenario is not None else "requirements from the groups' files")
    click.echo(f"roster for {plan_path}: {need}; shrinkage {loaded.plan.shrinkage.fraction:.0%} "
               f"+ {loaded.plan.shrinkage.minutes:g} min per shift"
               + (f"; checked by {check.replications} simulated runs ({check.calls} calls)"
                  if check else ""))
    cost = sum(s.cost for s in solutions.values())
    bound = sum(s.bound for s in solutions.values())
    click.echo(f"solver (HiGHS): cost {cost:,.1f}, at most {cost / bound - 1 if bound else 0:.1%} "
               f"above the cheapest possible ({bound:,.1f})"
               + ("" if all(s.optimal for s in solutions.values())
                  else "; stopped by the time limit"))
    click.echo(summary_table(out, check))
    if intervals:
        click.echo("")
        click.echo(interval_table(out, check))
    if scenario_out and data is not None:
        _write_yaml(scenario_out, data, f"roster for {plan_path}: callcenter simulate {scenario_out}")
    if agents_out:
        _write_yaml(agents_out, agents_config(loaded, out),
                    f"roster for {plan_path}: the agents section of a hotline config")
    if plot_path:
        plot_roster(out, check, plot_path, f"roster for {os.path.basename(plan_path)}")
    if json_path:
        _write_json(json_path, out, check)


def _write_json(path: str, out, check) -> None:
    from dataclasses import asdict

    groups = {}
    for name, sol in out.solutions.items():
        groups[name] = {
            "required": out.demand.groups[name].required,
            "scheduled": [round(v, 3) for v in sol.scheduled],
            "people": sol.people, "cost": round(sol.cost, 2),
            "naive_people": out.naive[name].people, "naive_cost": round(out.naive[name].cost, 2),
            "shifts": [{"pattern": c.pattern.name, "start_minute": c.start,
                        "meal_start_minute": c.meal_start, "people": n} for c, n in sol.counts],
            "simulated": [asdict(v) for v in check.groups[name]] if check else None,
        }
    doc = {"interval_minutes": out.demand.interval_minutes, "days": out.demand.days,
           "target": asdict(out.demand.target), "groups": groups,
           "simulated_overall": [asdict(v) for v in check.overall] if check else None}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)

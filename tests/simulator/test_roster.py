"""Rosters: the integer program, shrinkage, labour rules, plan errors and the simulated check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from callcenter.commands.roster_cmd import roster
from callcenter.commands.simulate_cmd import simulate
from callcenter.config import load_config
from callcenter.config.loader import default_config_path
from simulator.roster_check import present
from simulator.roster_demand import plan_demand
from simulator.roster_plan import Plan, PlanError, load_plan
from simulator.shift_milp import RosterInfeasible, columns, solve
from simulator.staffing import Target, required_agents

SCENARIO = {
    "duration_hours": 24,
    "arrivals": [
        {"name": "zh", "line": "12345", "language": "zh",
         "per_hour": [0] * 8 + [60, 120, 120, 90, 60, 90, 120, 90, 60, 30] + [0] * 6},
        {"name": "en", "line": "12345", "language": "en",
         "per_hour": [0] * 8 + [4] * 10 + [0] * 6},
    ],
    "handle_time": {"distribution": "exponential", "mean_seconds": 180},
    "patience": {"distribution": "exponential", "mean_seconds": 120},
    "wrap_up_seconds": 0,
}

PLAN = {
    "scenario": "day.yaml",
    "target": "20:0.8",
    "groups": [
        {"name": "mandarin", "languages": ["zh"], "skills": {"zh": 4, "general": 3}},
        {"name": "english", "languages": ["en"], "skills": {"en": 5}},
    ],
    "patterns": [
        {"name": "full", "length_hours": 9, "first": "06:00", "last": "12:00",
         "meal": {"minutes": 60, "window": [3, 5]}},
        {"name": "short", "length_hours": 4, "first": "08:00", "last": "14:00"},
    ],
    "labour": {"max_part_time_share": 0.25},
    "shrinkage": {"percent": {"absence": 10}},
}


def write_plan(tmp_path: Path, plan: dict, scenario: dict = SCENARIO) -> Path:
    (tmp_path / "day.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def simple_plan(**changes) -> Plan:
    data = {"groups": [{"name": "g", "languages": ["zh"], "skills": {"zh": 3},
                        "requirements": "x"}],
            "patterns": [{"name": "eight", "length_hours": 8, "starts": ["08:00"]}],
            "labour": {"meal_required_over_hours": 10}, **changes}
    return Plan.model_validate(data)


def hours(pairs: dict[tuple[int, int], int]) -> list[int]:
    """48 half-hour requirements from {(first_hour, end_hour): agents}."""
    need = [0] * 48
    for (a, b), n in pairs.items():
        for t in range(2 * a, 2 * b):
            need[t] = n
    return need


def test_flat_day_shift_needs_exactly_the_requirement() -> None:
    plan = simple_plan()
    sol = solve(plan, hours({(8, 16): 3}))
    assert sol.people == 3 and sol.cost == pytest.approx(24.0) and sol.optimal


def test_shrinkage_percent_and_minutes_raise_the_people_needed() -> None:
    # 25 % away and 48 of 480 minutes in breaks: 0.75 * 0.9 = 0.675 productive -> 3 / 0.675.
    plan = simple_plan(shrinkage={"percent": {"absence": 15, "training": 10},
                                  "minutes_per_shift": {"breaks": 48}})
    sol = solve(plan, hours({(8, 16): 3}))
    assert sol.people == 5 and min(sol.scheduled[16:32]) >= 3


def test_meals_are_staggered_so_coverage_never_dips() -> None:
    plan = simple_plan(patterns=[{"name": "nine", "length_hours": 9, "starts": ["08:00"],
                                  "meal": {"minutes": 60, "window": [3, 5]}}])
    sol = solve(plan, hours({(8, 17): 4}))
    # Every person leaves for an hour: 4 must stay on each of the meal slots, so 5 or more
    # people with meals spread over the window.
    assert sol.people >= 5 and min(sol.scheduled[16:34]) >= 4
    assert len({c.meal_start for c, _ in sol.counts}) >= 2


def test_part_time_share_is_a_hard_labour_rule() -> None:
    patterns = [{"name": "eight", "length_hours": 8, "first": "06:00", "last": "12:00"},
                {"name": "four", "length_hours": 4, "first": "06:00", "last": "16:00"}]
    need = hours({(10, 14): 8, (8, 10): 1, (14, 16): 1})
    free = solve(simple_plan(patterns=patterns, labour={"max_part_time_share": 1}), need)
    capped = solve(simple_plan(patterns=patterns, labour={"max_part_time_share": 0.2}), need)
    part = sum(n for c, n in capped.counts if c.pattern.length_hours < 6)
    assert part <= 0.2 * capped.people
    assert free.cost < capped.cost  # the rule binds here: part-timers are cheaper for a peak


def test_night_shift_wraps_around_midnight() -> None:
    plan = simple_plan(patterns=[{"name": "night", "length_hours": 8, "starts": ["22:00"]}])
    sol = solve(plan, hours({(0, 6): 2}) [:44] + [2] * 4)
    assert sol.people == 2 and sol.scheduled[0] == 2 and sol.scheduled[11] == 2


def test_an_uncoverable_interval_is_named() -> None:
    with pytest.raises(RosterInfeasible, match="no shift pattern works at 03:00"):
        solve(simple_plan(), hours({(3, 4): 1}))


def test_naive_peak_roster_costs_more_and_present_keeps_totals() -> None:
    plan = simple_plan(patterns=[{"name": "eight", "length_hours": 8, "first": "06:00",
                                  "last": "12:00"}])
    cols = columns(plan)
    sol = solve(plan, hours({(8, 10): 2, (10, 14): 6, (14, 18): 2}), cols)
    peak = solve(plan, hours({(8, 18): 6}), cols)
    assert peak.cost > sol.cost
    kept = present(sol, 0.1)
    assert sum(n for _, n in kept) == round(sol.people * 0.9)


def test_requirements_from_the_scenario_are_erlang_a_per_interval(tmp_path: Path) -> None:
    demand = plan_demand(load_plan(write_plan(tmp_path, PLAN)))
    zh = demand.groups["mandarin"]
    assert zh.required[:16] == [0] * 16
    expected = required_agents(120, 180, Target(20, 0.8), 120, "erlang-a").agents
    assert zh.required[18] == zh.required[19] == expected
    assert demand.groups["english"].required[16] >= 1


@pytest.mark.parametrize("change, message", [
    (lambda p: p["patterns"][0].update(first="25:00"), "patterns[0].first"),
    (lambda p: p["patterns"][1].update(length_hours=3), "patterns[1].length_hours: 3 h is outside"),
    (lambda p: p["patterns"][0]["meal"].update(window=[3, 9]), "meal window ends after the shift"),
    (lambda p: p["groups"][1].update(open=["08:00", "18:00"]), "needs a fallback group"),
    (lambda p: p["groups"][1].update(languages=["zh"]), "matches groups mandarin, english"),
    (lambda p: p.update(interval_minutes=25), "interval_minutes: must divide a day"),
])
def test_bad_plans_exit_2_with_file_line_field(tmp_path: Path, change, message) -> None:
    plan = json.loads(json.dumps(PLAN))
    change(plan)
    result = CliRunner().invoke(roster, [str(write_plan(tmp_path, plan)), "--replications", "0"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "plan.yaml:" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_plan_errors_locate_the_line(tmp_path: Path) -> None:
    plan = json.loads(json.dumps(PLAN))
    plan["patterns"][0]["first"] = "6 o'clock"
    path = write_plan(tmp_path, plan)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "6 o'clock" in text)
    assert str(info.value.issues[0]).startswith(f"{path}:{line}: patterns[0].first")


def test_roster_end_to_end_simulates_and_writes_scenario_agents_and_plot(tmp_path: Path) -> None:
    out = {k: tmp_path / n for k, n in
           (("scenario", "r.yaml"), ("agents", "agents.yaml"), ("png", "r.png"), ("json", "r.json"))}
    result = CliRunner().invoke(roster, [
        str(write_plan(tmp_path, PLAN)), "--replications", "3", "--jobs", "1", "--seed", "2",
        "--scenario-out", str(out["scenario"]), "--agents-out", str(out["agents"]),
        "--plot", str(out["png"]), "--json", str(out["json"])])
    assert result.exit_code == 0, result.output
    assert "mandarin" in result.output and "naive cost" in result.output
    data = json.loads(out["json"].read_text())
    zh = data["groups"]["mandarin"]
    assert all(s >= r - 1e-9 for s, r in zip(zh["scheduled"], zh["required"], strict=True))
    assert zh["naive_cost"] > zh["cost"]
    busy = [v for v in zh["simulated"] if v["offered"] >= 20]
    assert busy and all(v["service_level"] >= 0.6 for v in busy)
    assert all(v["service_level"] is None for v in zh["simulated"][:16])  # no calls at night
    assert out["png"].read_bytes()[:4] == b"\x89PNG"

    # The scenario runs as is, with the people present after 10 % absence.
    people = sum(g["people"] for g in data["groups"].values())
    scenario = yaml.safe_load(out["scenario"].read_text())
    assert sum(g["count"] for g in scenario["staffing"]) == round(0.9 * zh["people"]) + round(
        0.9 * data["groups"]["english"]["people"])
    sim = CliRunner().invoke(simulate, [str(out["scenario"]), "--no-progress"])
    assert sim.exit_code == 0, sim.output

    # The agents section loads into a hotline config beside the center's own file.
    folder = tmp_path / "center"
    folder.mkdir()
    shutil.copy(default_config_path(), folder / "hotline.yaml")
    shutil.copy(out["agents"], folder / "zz-roster.yaml")
    config = load_config(folder)
    rostered = [a for a in config.agents if a.id.startswith(("mandarin-", "english-"))]
    assert len(rostered) == people
    assert all(a.shifts and a.shifts[0].start for a in rostered)


def test_requirements_from_staff_profile_json(tmp_path: Path) -> None:
    from callcenter.commands.staff_cmd import staff

    profile = tmp_path / "volumes.txt"
    profile.write_text("\n".join(["0"] * 8 + ["200"] * 10 + ["0"] * 6))
    made = CliRunner().invoke(staff, ["--profile", str(profile), "--aht", "180", "--patience",
                                      "120", "--target", "20:0.8", "--json"])
    assert made.exit_code == 0, made.output
    (tmp_path / "req.json").write_text(made.output)
    plan = {"groups": [{"name": "all", "languages": ["zh"], "skills": {"zh": 4},
                        "requirements": "req.json"}],
            "patterns": [{"name": "day", "length_hours": 5, "first": "08:00", "last": "13:00"}],
            "labour": {"max_part_time_share": 1}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    demand = plan_demand(load_plan(path))
    agents = json.loads(made.output)["hours"][8]["agents"]
    assert demand.groups["all"].required[16:36] == [agents] * 20
    result = CliRunner().invoke(roster, [str(path), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "requirements from the groups' files" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["groups"]["all"]["people"] == 2 * agents
    refused = CliRunner().invoke(roster, [str(path), "--scenario-out", str(tmp_path / "s.yaml")])
    assert refused.exit_code == 2 and "needs a plan with a scenario" in refused.output
    path.write_text(yaml.safe_dump({**plan, "labour": {"max_part_time_share": 0.5}}))
    rules = CliRunner().invoke(roster, [str(path)])
    assert rules.exit_code == 2 and "within the labour rules" in rules.output

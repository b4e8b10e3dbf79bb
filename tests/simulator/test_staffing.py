"""Staffing search and the ``callcenter staff`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from callcenter.commands.staff_cmd import staff
from simulator.erlang import queue_metrics
from simulator.staffing import Target, load_profile, required_agents


def test_domain_fact_erlang_a_needs_fewer_agents_than_erlang_c() -> None:
    target = Target(15, 0.95)
    a = required_agents(1000, 300, target, patience=120, model="erlang-a")
    c = required_agents(1000, 300, target, model="erlang-c")
    assert (a.agents, c.agents) == (93, 97)


@pytest.mark.parametrize("model", ["erlang-a", "erlang-c"])
def test_required_agents_is_the_minimum(model: str) -> None:
    target = Target(20, 0.8)
    m = required_agents(450, 240, target, patience=90, model=model)  # type: ignore[arg-type]
    patience = 90 if model == "erlang-a" else None
    below = queue_metrics(450 / 3600, 240, m.agents - 1, 20, patience)
    assert m.service_level >= 0.8
    assert not (below.stable and below.service_level >= 0.8)


def test_target_parsing() -> None:
    assert Target.parse("15:0.95") == Target(15, 0.95)
    assert Target.parse("20:80%") == Target(20, 0.8)
    for bad in ("15", "x:0.9", "15:1.5", "-1:0.5"):
        with pytest.raises(ValueError):
            Target.parse(bad)


def test_profile_formats(tmp_path: Path) -> None:
    plain = tmp_path / "p.txt"
    plain.write_text("\n".join(str(10 * h) for h in range(24)) + "\n")
    yml = tmp_path / "p.yaml"
    yml.write_text(json.dumps({"per_hour": [10 * h for h in range(24)]}))
    assert load_profile(plain) == load_profile(yml) == [10.0 * h for h in range(24)]
    short = tmp_path / "short.yaml"
    short.write_text(json.dumps(list(range(23))))
    with pytest.raises(ValueError, match="24 hourly volumes, got 23"):
        load_profile(short)


def test_staff_command_single_json() -> None:
    result = CliRunner().invoke(staff, ["--calls-per-hour", "1000", "--aht", "300",
                                        "--patience", "120", "--target", "15:0.95", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["agents"] == 93 and data["model"] == "erlang-a"
    assert data["service_level"] >= 0.95 and 0 < data["abandon_rate"] < 0.05


def test_staff_command_profile_table(tmp_path: Path) -> None:
    profile = tmp_path / "day.txt"
    volumes = [50] * 8 + [900] * 4 + [400] * 12
    profile.write_text("\n".join(map(str, volumes)))
    result = CliRunner().invoke(staff, ["--profile", str(profile), "--aht", "300",
                                        "--model", "erlang-c", "--target", "20:0.8", "--json"])
    assert result.exit_code == 0, result.output
    agents = [h["agents"] for h in json.loads(result.output)["hours"]]
    assert len(agents) == 24 and agents[0] < agents[10] and agents[8] == agents[11]


@pytest.mark.parametrize(
    "args",
    [["--calls-per-hour", "-5", "--aht", "300"],
     ["--calls-per-hour", "100", "--aht", "300", "--target", "15"],
     ["--calls-per-hour", "100", "--aht", "300", "--model", "erlang-a"],
     ["--aht", "300"]],
)
def test_staff_command_bad_input_exits_2(args: list[str]) -> None:
    result = CliRunner().invoke(staff, args)
    assert result.exit_code == 2
    assert "Error" in result.output


def test_staff_counts_the_service_level_by_the_configs_definition(tmp_path: Path) -> None:
    from tests.operations.test_report_cli import config_with

    args = ["--calls-per-hour", "1000", "--aht", "300", "--patience", "60", "--target",
            "15:0.9", "--json"]
    shipped = json.loads(CliRunner().invoke(staff, args).output)
    assert shipped["service_level_definition"] == (
        "service level = answered within 15 s / (answered + overflowed + abandoned); wait "
        "measured from queue entry")
    config = config_with(tmp_path, "abandons_in_denominator: true",
                         "abandons_in_denominator: false")
    result = CliRunner().invoke(staff, [*args, "--config", config])
    assert result.exit_code == 0, result.output
    answered_only = json.loads(result.output)
    assert answered_only["service_level_definition"].startswith(
        "service level = answered within 15 s / (answered + overflowed);")
    # abandons left out: the same agents reach a higher figure, so fewer are needed
    m = queue_metrics(1000 / 3600, 300, answered_only["agents"], 15, 60)
    assert answered_only["service_level"] == pytest.approx(
        m.service_level / (1 - m.abandon_rate), abs=1e-6)
    assert answered_only["agents"] < shipped["agents"]
    text = CliRunner().invoke(staff, args[:-1]).output
    assert "definition       service level = answered within 15 s / (answered + overflowed" \
           " + abandoned)" in text

"""``staff`` and ``simulate`` on numbers and paths a person can mistype: one line, exit 2."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from callcenter.commands.simulate_cmd import simulate
from callcenter.commands.staff_cmd import staff


def one_line_exit_2(result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("args, expected", [
    (["--aht", "inf"], "--aht: inf is not a finite number"),
    (["--aht", "nan"], "--aht: nan is not a number"),
    (["--aht", "300", "--patience", "nan"], "--patience: nan is not a number"),
    (["--aht", "300", "--patience", "-inf"], "--patience: -inf is not a finite number"),
    (["--aht", "1e300"], "above 100,000 erlangs"),
    (["--aht", "300", "--calls-per-hour", "nan"], "--calls-per-hour: nan is not a number"),
])
def test_staff_refuses_numbers_it_cannot_use(args, expected):
    if "--calls-per-hour" not in args:
        args = ["--calls-per-hour", "100", *args]
    one_line_exit_2(CliRunner().invoke(staff, args), expected)


def test_staff_json_with_callers_who_never_give_up_is_json():
    result = CliRunner().invoke(staff, ["--calls-per-hour", "100", "--aht", "300",
                                        "--patience", "inf", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert data["patience_seconds"] is None and data["abandon_rate"] == 0
    erlang_c = json.loads(CliRunner().invoke(staff, ["--calls-per-hour", "100", "--aht", "300",
                                                     "--json"]).output)
    assert data["agents"] == erlang_c["agents"]  # never giving up is Erlang C
    assert all(not isinstance(v, float) or math.isfinite(v) for v in data.values())


@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if the simulation starts: mistakes must be found before it."""
    import simulator.replications

    def refuse(*args, **kwargs):
        pytest.fail("the simulation ran before the mistake was reported")

    monkeypatch.setattr(simulator.replications, "run_replications", refuse)


@pytest.mark.parametrize("args, expected", [
    (["--seed", "-1"], "--seed: must be 0 or more, got -1"),
    (["--json", "{tmp}/missing/figures.json"], "--json: folder {tmp}/missing does not exist"),
    (["--records", "{tmp}/missing/calls.csv"], "--records: folder {tmp}/missing does not exist"),
    (["--plot", "{tmp}"], "--plot: {tmp} is a folder, not a file"),
    (["--duration-hours", "nan"], "--duration-hours: nan is not a number"),
])
def test_simulate_reports_mistakes_before_simulating(tmp_path, no_simulation, args, expected):
    args = [arg.format(tmp=tmp_path) for arg in args]
    result = CliRunner().invoke(simulate, ["mmc-plus-m", *args, "--no-progress"])
    one_line_exit_2(result, expected.format(tmp=tmp_path))


def test_simulate_stops_on_a_queue_nobody_can_serve(tmp_path, no_simulation):
    path = tmp_path / "nobody.yaml"
    path.write_text('duration_hours: 1\n'
                    'arrivals: [{line: "12345", language: ru, calls_per_hour: 10}]\n'
                    'staffing: [{count: 3, skills: {zh: 5, general: 5}}]\n', encoding="utf-8")
    result = CliRunner().invoke(simulate, [str(path), "--no-progress"])
    one_line_exit_2(result, f"{path}:3: queues[ru-general]: no agent has the skills ru>=4")

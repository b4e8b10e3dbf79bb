"""The day chart's data: offered calls and service level by hour, per queue, with intervals."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from callcenter.commands.simulate_cmd import PLOT_REPLICATIONS, simulate
from simulator.plot import plot_hourly
from simulator.replications import combine, run_replications
from simulator.scenario import scenario_from_dict

SCENARIO = {
    "duration_hours": 3,
    "arrivals": [
        {"line": "12345", "language": "zh", "per_hour": [240, 60, 120] + [0] * 21},
        {"line": "12345", "language": "en", "calls_per_hour": 20},
    ],
    "handle_time": {"distribution": "exponential", "mean_seconds": 120},
    "patience": {"distribution": "exponential", "mean_seconds": 60},
    "staffing": [{"count": 6, "skills": {"zh": 3, "general": 2}},
                 {"count": 1, "skills": {"en": 5}}],
}


def test_hourly_figures_per_queue_add_up_and_carry_intervals(tmp_path: Path) -> None:
    loaded = scenario_from_dict(SCENARIO)
    combined = combine([r.summary for r in run_replications(loaded, 4, seed=3)])
    queues = combined["hourly_queues"]
    assert set(queues) == {"zh-general", "en-general"}
    for h, hour in enumerate(combined["hourly"]):
        assert sum(q[h]["offered"] for q in queues.values()) == hour["offered"]
        assert hour["ci95"]["service_level"] is not None and hour["ci95"]["offered"] > 0
    zh = queues["zh-general"]
    # 240 calls/h on 6 agents in the first hour, 60 in the second: the chart must show it.
    assert zh[0]["offered"] > 3 * zh[1]["offered"]
    assert zh[0]["service_level"] < zh[1]["service_level"]
    png = tmp_path / "day.png"
    plot_hourly(combined, png, "test", target=0.8, threshold=15)
    assert png.stat().st_size > 20_000


def test_plot_runs_replications_by_default_so_the_chart_has_intervals(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    out = tmp_path / "o.json"
    result = CliRunner().invoke(simulate, [str(path), "--plot", str(tmp_path / "p.png"),
                                           "--json", str(out), "--jobs", "2", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{PLOT_REPLICATIONS} replication(s)")
    assert json.loads(out.read_text())["hourly"][0]["ci95"]["service_level"] is not None
    single = CliRunner().invoke(simulate, [str(path), "--json", str(out), "--no-progress"])
    assert single.output.startswith("1 replication(s)")
    assert "ci95" not in json.loads(out.read_text())["hourly"][0]

"""``callcenter simulate`` end to end: table, JSON, CSV records, PNG plot, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from callcenter.commands.simulate_cmd import simulate

SCENARIO = {
    "duration_hours": 2,
    "warmup_hours": 0.25,
    "service_level": {"threshold_seconds": 15},
    "arrivals": [
        {"name": "zh", "line": "12345", "language": "zh", "calls_per_hour": 150},
        {"name": "en", "line": "12345", "language": "en", "calls_per_hour": 12},
        {"name": "consumer", "line": "12315", "language": "zh", "calls_per_hour": 12},
    ],
    "handle_time": {"distribution": "lognormal", "mean_seconds": 200, "sd_seconds": 100},
    "patience": {"distribution": "exponential", "mean_seconds": 90},
    "ring_time": {"distribution": "fixed", "mean_seconds": 2},
    "staffing": [{"count": 9, "skills": {"zh": 3, "general": 2}},
                 {"count": 2, "skills": {"zh": 3, "consumer": 3}},
                 {"count": 1, "skills": {"en": 5}}],
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(*args: str):
    return CliRunner().invoke(simulate, [*args, "--no-progress"])


def test_writes_json_csv_and_png(tmp_path: Path) -> None:
    out_json, out_csv, out_png = tmp_path / "o.json", tmp_path / "r.csv", tmp_path / "p.png"
    result = run(str(write(tmp_path, SCENARIO)), "--seed", "5", "--json", str(out_json),
                 "--records", str(out_csv), "--plot", str(out_png), "--replications", "1")
    assert result.exit_code == 0, result.output
    assert "queue zh-general" in result.output and "overall" in result.output
    data = json.loads(out_json.read_text())
    overall = data["overall"]
    assert overall["offered"] == overall["answered"] + overall["abandoned"] + overall["overflowed"]
    assert overall["service_level"] == overall["answered_within_threshold"] / overall["offered"]
    assert set(data["lines"]) == {"12345", "12315"} and set(data["languages"]) == {"zh", "en"}
    assert data["queues"]["en-general"]["offered"] == data["languages"]["en"]["offered"]
    ivr = data["ivr"]["overall"]  # every caller walked the line's flow before the queue
    assert ivr["callers"] == ivr["enqueued"] + ivr["abandoned"] >= overall["offered"]
    assert data["ivr"]["prompts"].startswith("estimate") and ivr["ivr_seconds"] > 3
    assert "IVR (the lines' flows walked; prompt durations: estimate" in result.output
    for group in [overall, *data["queues"].values()]:
        assert 0 <= group["occupancy"] <= 1 and group["asa_seconds"] >= 2 - 1e-6
    rows = list(csv.DictReader(out_csv.open()))
    assert list(rows[0]) == ["replication", "arrival_time", "line", "language", "queue",
                             "wait_time", "answered", "abandoned", "handle_time", "agent"]
    in_window = [r for r in rows if 900 <= float(r["arrival_time"]) < 7200]
    assert len(in_window) == overall["offered"]
    assert sum(int(r["answered"]) for r in in_window) == overall["answered"]
    assert all(r["agent"] for r in rows if r["answered"] == "1")
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data["hourly"]) == 2


def test_seed_makes_runs_reproducible(tmp_path: Path) -> None:
    path = str(write(tmp_path, SCENARIO))
    outputs = []
    for seed in ("9", "9", "10"):
        target = tmp_path / f"o{len(outputs)}.json"
        assert run(path, "--seed", seed, "--json", str(target)).exit_code == 0
        outputs.append(json.loads(target.read_text()))
    strip = [{k: v for k, v in o.items() if k != "wall_seconds"} for o in outputs]
    assert strip[0] == strip[1] and strip[0]["overall"] != strip[2]["overall"]


def test_replications_report_confidence_intervals(tmp_path: Path) -> None:
    out_json = tmp_path / "o.json"
    result = run(str(write(tmp_path, SCENARIO)), "--replications", "3", "--jobs", "2",
                 "--json", str(out_json))
    assert result.exit_code == 0, result.output
    data = json.loads(out_json.read_text())
    assert data["replications"] == 3
    ci = data["overall"]["ci95"]
    assert ci["service_level"] > 0 and ci["offered"] > 0
    assert "±" in result.output


def test_bad_scenario_exits_2_naming_the_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(SCENARIO))
    bad["arrivals"][1]["per_hour"] = [1] * 23
    del bad["arrivals"][1]["calls_per_hour"]
    result = run(str(write(tmp_path, bad)))
    assert result.exit_code == 2
    assert "arrivals[1].per_hour: expected 24 hourly rates, got 23" in result.output
    missing = run(str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_results_do_not_depend_on_the_number_of_processes(tmp_path: Path) -> None:
    path = str(write(tmp_path, SCENARIO))
    results = []
    for jobs in ("1", "2"):
        target = tmp_path / f"jobs{jobs}.json"
        assert run(path, "--replications", "2", "--jobs", jobs, "--seed", "4",
                   "--json", str(target)).exit_code == 0
        results.append(json.loads(target.read_text()))
    assert results[0]["overall"] == results[1]["overall"]
    assert results[0]["queues"] == results[1]["queues"]

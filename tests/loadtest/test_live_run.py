"""A short live run against an in-process engine: real SIP calls over loopback UDP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from callcenter.commands.loadtest_cmd import loadtest
from callcenter.records import RecordStore

SCENARIO = {
    "center": "default", "duration_hours": 1,
    "service_level": {"threshold_seconds": 15},
    "arrivals": [
        {"name": "mandarin", "line": "12345", "language": "zh", "calls_per_hour": 720},
        {"name": "english", "line": "12345", "language": "en", "calls_per_hour": 240},
    ],
    "handle_time": {"distribution": "fixed", "mean_seconds": 3},
    "patience": {"distribution": "exponential", "mean_seconds": 6},
    "ring_time": {"distribution": "fixed", "mean_seconds": 0.5},
    "wrap_up_seconds": 1, "no_answer_ready_seconds": 1,
    "staffing": [{"name": "zh", "count": 1, "skills": {"zh": 4, "general": 3}},
                 {"name": "en", "count": 1, "skills": {"en": 5, "zh": 4, "general": 3}}],
}


@pytest.mark.sip
@pytest.mark.slow
@pytest.mark.timeout(90)
def test_live_run_every_call_recorded_once_callers_match_records(all_prompts, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "callcenter12345"
    cache.mkdir(parents=True)
    (cache / "prompts").symlink_to(all_prompts)
    scenario = tmp_path / "small.yaml"
    scenario.write_text(json.dumps(SCENARIO))  # JSON is YAML
    db = f"sqlite:///{tmp_path}/records.db"
    out, png = tmp_path / "out.json", tmp_path / "out.png"
    result = CliRunner().invoke(loadtest, [
        str(scenario), "--in-process", "--duration-minutes", "0.25", "--seed", "6",
        "--db", db, "--replications", "3", "--drain-seconds", "25", "--no-progress",
        "--json", str(out), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "simulator mean" in result.output and "engine records" in result.output
    figures = json.loads(out.read_text())
    calls, callers, records = figures["calls"], figures["callers"], figures["records"]
    assert len(calls) == 7 and {c["language"] for c in calls} == {"zh", "en"}
    assert callers["sip_failures"] == 0 and callers["no_audio"] == 0, callers["failures"]
    # Every call placed has exactly one record, with the outcome its caller saw.
    with RecordStore.open(db, create=False) as store:
        rows = store.calls()
    assert sorted(r.call_id for r in rows) == sorted(c["call_id"] for c in calls)
    by_id = {r.call_id: r for r in rows}
    for call in calls:
        row = by_id[call["call_id"]]
        assert row.outcome == call["outcome"], (call, row)
        assert row.language == call["language"]  # the English keys reached the IVR
        if call["outcome"] == "answered":
            assert abs(row.wait - call["wait"]) < 0.5
    assert {c["outcome"] for c in calls} <= {"answered", "abandoned"}
    for key in ("offered", "answered", "abandoned", "answered_within_threshold"):
        assert callers[key] == records[key], key
    assert records["missing_records"] == records["duplicate_records"] == 0
    assert figures["engine"] == {"mode": "in-process", "stuck_calls": 0, "open_sip_legs": 0}
    assert figures["seats"]["calls_taken"] == callers["answered"] > 0
    assert figures["prediction"]["replications"] == 3 and figures["samples"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text", ["duration_hours: -1\narrivals: []\n", "not: [valid"])
def test_invalid_scenario_exits_2(tmp_path, text):
    path = Path(tmp_path) / "bad.yaml"
    path.write_text(text)
    result = CliRunner().invoke(loadtest, [str(path), "--in-process"])
    assert result.exit_code == 2
    assert "invalid scenario" in result.output

"""A fault run: seats in their own processes, a third of them SIGKILLed mid-run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import callcenter
from callcenter.commands.loadtest_cmd import loadtest
from callcenter.records import RecordStore

RING_TIMEOUT = 4  # seconds the engine rings a (dead) seat before offering the call elsewhere
SCENARIO = {
    "center": "center.yaml", "duration_hours": 1,
    "service_level": {"threshold_seconds": 15},
    "arrivals": [{"name": "mandarin", "line": "12345", "language": "zh",
                  "calls_per_hour": 1800}],
    "handle_time": {"distribution": "fixed", "mean_seconds": 6},
    "patience": {"distribution": "none"},
    "ring_time": {"distribution": "fixed", "mean_seconds": 0.5},
    "wrap_up_seconds": 1, "no_answer_ready_seconds": 1,
    "staffing": [{"name": "zh", "count": 6, "skills": {"zh": 4, "general": 3}}],
}


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def center_config(folder: Path) -> Path:
    """The shipped center with a short ring timeout, so re-offers happen within the test."""
    shipped = Path(callcenter.__file__).parent / "data" / "hotline.yaml"
    text = shipped.read_text(encoding="utf-8")
    assert "  ring_timeout_seconds: 12\n" in text
    path = folder / "center.yaml"
    path.write_text(text.replace("  ring_timeout_seconds: 12\n",
                                 f"  ring_timeout_seconds: {RING_TIMEOUT}\n"), encoding="utf-8")
    return path


@pytest.mark.sip
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_killed_seat_processes_lose_no_call(all_prompts, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "callcenter12345"
    cache.mkdir(parents=True)
    (cache / "prompts").symlink_to(all_prompts)
    center_config(tmp_path)
    scenario = tmp_path / "fault.yaml"
    scenario.write_text(json.dumps(SCENARIO))  # JSON is YAML
    db = f"sqlite:///{tmp_path}/records.db"
    out = tmp_path / "out.json"
    result = CliRunner().invoke(loadtest, [
        str(scenario), "--in-process", "--duration-minutes", "0.6", "--seed", "4",
        "--db", db, "--replications", "2", "--drain-seconds", "40", "--no-progress",
        "--seat-processes", "6", "--kill-fraction", "0.34", "--kill-after-minutes", "0.15",
        "--rtp-timeout", "3", "--json", str(out)])
    assert out.exists(), result.output
    figures = json.loads(out.read_text())
    calls, callers, records = figures["calls"], figures["callers"], figures["records"]
    # Two of six one-seat processes were SIGKILLed and are gone; their figures with them.
    assert len(figures["seat_pids"]) == 6 and len(figures["killed_pids"]) == 2
    assert not any(pid_exists(pid) for pid in figures["killed_pids"])
    assert not any(pid_exists(pid) for pid in figures["seat_pids"])
    killed = figures["killed_seats"]
    assert len(killed) == 2
    assert all(figures["seats"]["per_seat"][a] == "n/a" for a in killed)
    assert "killed seats died with them (n/a)" in result.output
    # Every placed call is in the engine's records exactly once, none left in the engine.
    with RecordStore.open(db, create=False) as store:
        rows = store.calls()
    assert len(calls) >= 10
    assert sorted(r.call_id for r in rows) == sorted(c["call_id"] for c in calls)
    assert records["missing_records"] == records["duplicate_records"] == 0
    assert figures["engine"] == {"mode": "in-process", "stuck_calls": 0, "open_sip_legs": 0}
    # Calls offered to dead seats went elsewhere; no caller was dropped; the center served on.
    assert callers["sip_failures"] == 0 and callers["no_audio"] == 0, callers["failures"]
    assert records["reoffered"] > 0
    assert callers["dropped"] == 0, callers["dropped_call_ids"]
    assert {c["outcome"] for c in calls} == {"answered"}  # patience: none
    assert callers["answered_after_kill"] > 0 and records["answered_after_kill"] > 0
    assert all(r.answered_at < figures["killed_at"] for r in rows if r.agent_id in killed)
    assert result.exit_code == 0, result.output

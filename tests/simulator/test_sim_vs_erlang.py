"""A single M/M/c+M queue simulated through the ACD agrees with Erlang A (and M/M/c with
Erlang C) within 3 standard errors over independent replications."""

from __future__ import annotations

import math

import pytest

from simulator.engine import simulate
from simulator.erlang import queue_metrics
from simulator.metrics import summarize
from simulator.scenario import scenario_from_dict

AGENTS = 20
AHT = 300.0
THRESHOLD = 20.0
REPLICATIONS = 8


def single_queue(calls_per_hour: float, patience: float | None) -> dict:
    return {
        "duration_hours": 30,
        "warmup_hours": 1,
        "service_level": {"threshold_seconds": THRESHOLD},
        "arrivals": [{"line": "12345", "language": "zh", "calls_per_hour": calls_per_hour}],
        "handle_time": {"distribution": "exponential", "mean_seconds": AHT},
        "patience": ({"distribution": "exponential", "mean_seconds": patience}
                     if patience else {"distribution": "none"}),
        "wrap_up_seconds": 0,
        "staffing": [{"count": AGENTS, "skills": {"zh": 3, "general": 2}}],
    }


def replicate(data: dict, seed: int) -> dict[str, list[float]]:
    loaded = scenario_from_dict(data)
    out: dict[str, list[float]] = {"service_level": [], "abandon_rate": [], "asa_seconds": [],
                                   "occupancy": []}
    for rep in range(REPLICATIONS):
        overall = summarize(simulate(loaded, seed=seed, replication=rep), loaded)["overall"]
        for name in out:
            out[name].append(overall[name])
    return out


def within_three_standard_errors(values: list[float], expected: float) -> tuple[bool, str]:
    n = len(values)
    mean = sum(values) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)
    return abs(mean - expected) <= 3 * se, f"mean {mean:.5f} expected {expected:.5f} se {se:.5f}"


@pytest.mark.parametrize(("calls_per_hour", "patience"), [(216.0, 120.0), (252.0, 90.0)])
def test_matches_erlang_a(calls_per_hour: float, patience: float) -> None:
    sims = replicate(single_queue(calls_per_hour, patience), seed=11)
    theory = queue_metrics(calls_per_hour / 3600, AHT, AGENTS, THRESHOLD, patience)
    assert theory.abandon_rate > 0.005  # the check has teeth: callers do abandon
    for name in ("service_level", "abandon_rate", "asa_seconds", "occupancy"):
        ok, detail = within_three_standard_errors(sims[name], getattr(theory, name))
        assert ok, f"{name}: {detail}"


def test_matches_erlang_c_without_patience() -> None:
    sims = replicate(single_queue(192.0, None), seed=12)
    theory = queue_metrics(192.0 / 3600, AHT, AGENTS, THRESHOLD, None)
    assert max(sims["abandon_rate"]) == 0.0
    for name in ("service_level", "asa_seconds"):
        ok, detail = within_three_standard_errors(sims[name], getattr(theory, name))
        assert ok, f"{name}: {detail}"


def test_erlang_a_and_c_differ_where_the_simulation_can_tell() -> None:
    # Guard against a vacuous comparison: at this load the two models are far apart,
    # so agreeing with Erlang A within 3 SE excludes Erlang C.
    a = queue_metrics(252 / 3600, AHT, AGENTS, THRESHOLD, 90.0)
    c = queue_metrics(252 / 3600, AHT, AGENTS, THRESHOLD, None)
    sims = replicate(single_queue(252.0, 90.0), seed=13)
    ok_c, _ = within_three_standard_errors(sims["asa_seconds"], c.asa_seconds)
    assert a.asa_seconds < 0.7 * c.asa_seconds and not ok_c


def test_flows_in_the_loop_reproduce_erlang_a_once_the_ivr_is_accounted_for(tmp_path) -> None:
    """Callers walk the 12315 greeting (a fixed time D) and may hang up during it; the service
    level clock starts at arrival. The queue is then Erlang A with the arrivals that outlast
    the IVR (rate x exp(-D / IVR patience)) and the threshold less D."""
    from simulator.scenario import shipped_scenarios

    center = shipped_scenarios()["mmc-plus-m"].parent / "centers" / "single-queue.yaml"
    text = center.read_text(encoding="utf-8").replace("  target: 0.95\n",
                                                      "  target: 0.95\n  clock_start: arrival\n")
    assert "clock_start: arrival" in text
    (tmp_path / "center.yaml").write_text(text, encoding="utf-8")
    rate, ivr_patience = 252.0, 60.0
    data = single_queue(rate, 90.0)
    data.update(center="center.yaml", service_level={"threshold_seconds": THRESHOLD + 100})
    data["arrivals"][0]["line"] = "12315"
    data["ivr"] = {"patience": {"distribution": "exponential", "mean_seconds": ivr_patience}}
    loaded = scenario_from_dict(data, base=tmp_path)
    ivr = loaded.ivr_setup()
    greeting = ivr.durations.seconds[("welcome_12315", "zh")]
    assert 3 < greeting < 100
    data["service_level"] = {"threshold_seconds": THRESHOLD + greeting}
    loaded = scenario_from_dict(data, base=tmp_path)
    sims: dict[str, list[float]] = {"service_level": [], "abandon_rate": [], "asa_seconds": [],
                                    "occupancy": [], "hung_up_in_ivr": []}
    for rep in range(REPLICATIONS):
        summary = summarize(simulate(loaded, seed=14, replication=rep), loaded)
        for name in ("service_level", "abandon_rate", "asa_seconds", "occupancy"):
            sims[name].append(summary["overall"][name])
        ivr_calls = summary["ivr"]["overall"]
        sims["hung_up_in_ivr"].append(ivr_calls["abandoned"] / ivr_calls["callers"])
    staying = math.exp(-greeting / ivr_patience)
    theory = queue_metrics(rate * staying / 3600, AHT, AGENTS, THRESHOLD, 90.0)
    ok, detail = within_three_standard_errors(sims["hung_up_in_ivr"], 1 - staying)
    assert ok, f"hung up in the IVR: {detail}"
    for name in ("service_level", "abandon_rate", "asa_seconds", "occupancy"):
        ok, detail = within_three_standard_errors(sims[name], getattr(theory, name))
        assert ok, f"{name}: {detail}"
    # and the threshold really moved: against the unshifted one the check fails
    unshifted = queue_metrics(rate * staying / 3600, AHT, AGENTS, THRESHOLD + greeting, 90.0)
    assert not within_three_standard_errors(sims["service_level"], unshifted.service_level)[0]

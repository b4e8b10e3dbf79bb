"""One service-level definition: the same calls give the same figure in the simulator's
statistics, the live engine's counters (/metrics, wallboard) and the daily report."""

from __future__ import annotations

import pytest

from callcenter.reports.figures import compute_figures
from simulator.engine import Simulation
from simulator.metrics import summarize
from simulator.scenario import LoadedScenario, scenario_from_dict


def scenario(**policy) -> LoadedScenario:
    """A short, busy hour (many abandons, some of them short) under the given policy."""
    loaded = scenario_from_dict({
        "duration_hours": 1,
        "arrivals": [{"line": "12345", "language": "zh", "calls_per_hour": 240}],
        "handle_time": {"distribution": "exponential", "mean_seconds": 240},
        "patience": {"distribution": "exponential", "mean_seconds": 30},
        "staffing": [{"name": "zh", "count": 14, "skills": {"zh": 3, "general": 2}}],
    })
    sl = loaded.config.service_level.model_copy(update=policy)
    return LoadedScenario(loaded.scenario, loaded.config.model_copy(update={"service_level": sl}),
                          loaded.path)


@pytest.mark.parametrize("policy", [
    {"short_abandon_seconds": 5.0},
    {"abandons_in_denominator": False},
    {"abandons_in_denominator": True, "short_abandon_seconds": 0.0},
])
def test_simulated_and_live_statistics_give_the_same_service_level(policy):
    loaded = scenario(**policy)
    simulation = Simulation(loaded, seed=11)
    result = simulation.run()
    records = [r for r in result.records if r.queue == "zh-general"]
    assert result.unfinished == 0 and len(records) > 150
    abandons = [r for r in records if r.outcome == "abandoned"]
    assert any(r.sl_wait < 5 for r in abandons) and any(r.sl_wait >= 5 for r in abandons)

    simulated = summarize(result, loaded)["queues"]["zh-general"]["service_level"]
    now = max(r.ended_at for r in result.records) + 1
    live = simulation.acd.snapshot(now)["queues"]["zh-general"]["stats"]  # the ACD's own counters
    report = compute_figures(records, loaded.config.service_level.policy())
    assert simulated is not None and 0.2 < simulated < 0.95
    assert simulated == pytest.approx(live["service_level"], abs=1e-12)
    assert simulated == pytest.approx(report.service_level, abs=1e-12)
    assert live["service_level_definition"] == loaded.config.service_level.policy().describe()

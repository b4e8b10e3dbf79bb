"""How long a run waits after its last call for the calls in progress to finish."""

from __future__ import annotations

import math

from simulator.scenario import LoadedScenario


def drain_seconds(loaded: LoadedScenario) -> float:
    """Time allowed after the last call: long enough for a patient caller and a long call."""
    scenario = loaded.scenario
    patience = scenario.patience.mean
    longest = max([a.handle_time.mean for a in scenario.arrivals if a.handle_time]
                  + [scenario.handle_time.mean])
    wait = 120.0 if math.isinf(patience) else min(patience * 3, 600.0)
    return min(wait + 3 * longest + 30.0, 1800.0)

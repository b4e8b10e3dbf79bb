"""The simulator's prediction for the same scenario and duration as a live run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from simulator.ivr_setup import load_ivr
from simulator.replications import combine, run_replications
from simulator.scenario import LoadedScenario

KEYS = ("offered", "answered", "abandoned", "answered_within_threshold", "service_level",
        "connection_rate", "abandon_rate", "asa_seconds", "aht_seconds")


def predict(loaded: LoadedScenario, replications: int, seed: int, jobs: int) -> dict:
    """Mean figures with ``ci95`` (half-width for the mean) and ``range95``: the 2.5-97.5 %
    spread of single runs, which is what one live run of the same length should fall in."""
    reps = run_replications(loaded, replications, seed, jobs)
    out = dict(combine([r.summary for r in reps])["overall"])
    out["replications"] = replications
    ranges = {}
    for key in KEYS:
        values = [r.summary["overall"][key] for r in reps if r.summary["overall"][key] is not None]
        if values:
            lo, hi = np.percentile(values, [2.5, 97.5])
            ranges[key] = [float(lo), float(hi)]
    out["range95"] = ranges
    return out


def with_built_prompts(loaded: LoadedScenario, folder: Path) -> LoadedScenario:
    """``loaded`` with its simulated callers' prompts lasting what the audio built in ``folder``
    lasts: the prompts the in-process engine played to the live callers."""
    return dataclasses.replace(loaded, ivr=load_ivr(loaded.config, "audio", folder))


def in_range(prediction: dict, measured: dict, key: str) -> bool | None:
    """Whether a measured figure lies inside the single-run 95 % range (None if unknown)."""
    bounds, value = prediction.get("range95", {}).get(key), measured.get(key)
    if bounds is None or value is None:
        return None
    return bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9

"""Minimum staffing for a service-level target, by Erlang A or Erlang C, per hour or overall."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from acd.model import ServiceLevelPolicy
from ivr_flows.yaml_limits import check_limits, read_text
from simulator.erlang import QueueMetrics, queue_metrics

MAX_LOAD_ERLANGS = 100_000
"""Far above any center; beyond it the Erlang formulas overflow."""
Model = Literal["erlang-a", "erlang-c"]
MODELS: tuple[str, ...] = ("erlang-a", "erlang-c")


@dataclass(frozen=True, slots=True)
class Target:
    """``fraction`` of offered calls answered within ``threshold_seconds``."""

    threshold_seconds: float
    fraction: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse ``SECONDS:FRACTION`` such as ``15:0.95`` (``15:95%`` also accepted)."""
        seconds, sep, fraction = text.partition(":")
        if not sep:
            raise ValueError(f"target {text!r} must look like SECONDS:FRACTION, e.g. 15:0.95")
        try:
            threshold = float(seconds)
            share = float(fraction.rstrip("%")) / (100.0 if fraction.endswith("%") else 1.0)
        except ValueError:
            raise ValueError(f"target {text!r}: both parts must be numbers, e.g. 15:0.95") from None
        if not (threshold >= 0 and math.isfinite(threshold)):
            raise ValueError(f"target {text!r}: seconds must be >= 0")
        if not 0 < share < 1:
            raise ValueError(f"target {text!r}: fraction must be between 0 and 1 (exclusive)")
        return cls(threshold, share)


def counted(m: QueueMetrics, policy: ServiceLevelPolicy | None) -> QueueMetrics:
    """``m`` with its service level counted by ``policy``, the engine's definition (None:
    answered within the threshold / offered). Erlang's figures are fractions of offered calls
    and nothing overflows, so "answered + abandoned" is all offered calls; short abandons are
    not modelled (every abandon counts: the estimate errs towards more agents)."""
    if policy is None or policy.abandons_in_denominator:
        return m
    answered = 1.0 - m.abandon_rate
    return dataclasses.replace(m, service_level=min(m.service_level / answered, 1.0)
                               if answered > 0 else 0.0)


def _metrics(
    calls_per_hour: float, aht: float, agents: int, target: Target, patience: float | None,
    policy: ServiceLevelPolicy | None = None,
) -> QueueMetrics:
    m = queue_metrics(calls_per_hour / 3600.0, aht, agents, target.threshold_seconds, patience)
    return counted(m, policy)


def required_agents(
    calls_per_hour: float,
    aht: float,
    target: Target,
    patience: float | None = None,
    model: Model = "erlang-a",
    policy: ServiceLevelPolicy | None = None,
) -> QueueMetrics:
    """Fewest agents whose predicted service level (counted by ``policy``) meets ``target``
    (binary search).

    ``model="erlang-c"`` ignores patience; ``"erlang-a"`` needs it.
    """
    if calls_per_hour < 0 or not math.isfinite(calls_per_hour):
        raise ValueError(f"calls per hour must be >= 0, got {calls_per_hour}")
    if not (aht > 0 and math.isfinite(aht)):
        raise ValueError(f"handle time must be a finite number > 0, got {aht}")
    if calls_per_hour * aht / 3600.0 > MAX_LOAD_ERLANGS:
        raise ValueError(f"offered load {calls_per_hour:g} calls/h x {aht:g} s is above "
                         f"{MAX_LOAD_ERLANGS:,} erlangs")
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
    if model == "erlang-a" and not (patience is not None and patience > 0):  # NaN fails too
        raise ValueError("the erlang-a model needs a patience > 0 seconds")
    used_patience = patience if model == "erlang-a" else None

    def meets(agents: int) -> bool:
        m = _metrics(calls_per_hour, aht, agents, target, used_patience, policy)
        return m.stable and m.service_level >= target.fraction

    load = calls_per_hour * aht / 3600.0
    low, high = 0, max(1, math.ceil(load + 3 * math.sqrt(load) + 3))
    while not meets(high):
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        if meets(mid):
            high = mid
        else:
            low = mid
    return _metrics(calls_per_hour, aht, high, target, used_patience, policy)


def load_profile(path: str | Path) -> list[float]:
    """24 hourly call volumes from YAML (a list, or a mapping with ``per_hour``) or plain text
    with one number per line (``#`` comments allowed)."""
    text = read_text(path)  # YamlLimitError is a ValueError naming file and line
    try:
        check_limits(text, str(path))
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML or one number per line ({exc})") from None
    if isinstance(data, dict):
        if "per_hour" not in data:
            raise ValueError(f"{path}: a mapping needs a 'per_hour' list of 24 volumes")
        data = data["per_hour"]
    if isinstance(data, str) or data is None or isinstance(data, int | float):
        data = [line.split("#")[0].strip() for line in text.splitlines()]
        data = [line for line in data if line]
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of 24 hourly volumes")
    volumes: list[float] = []
    for index, value in enumerate(data):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: hour {index}: {value!r} is not a number") from None
        if number < 0 or not math.isfinite(number):
            raise ValueError(f"{path}: hour {index}: volume must be >= 0, got {value!r}")
        volumes.append(number)
    if len(volumes) != 24:
        raise ValueError(f"{path}: expected 24 hourly volumes, got {len(volumes)}")
    return volumes


def staff_profile(
    volumes: list[float],
    aht: float,
    target: Target,
    patience: float | None = None,
    model: Model = "erlang-a",
    policy: ServiceLevelPolicy | None = None,
) -> list[QueueMetrics]:
    """Required agents for each hour's volume (each hour treated as steady state)."""
    return [required_agents(v, aht, target, patience, model, policy) for v in volumes]

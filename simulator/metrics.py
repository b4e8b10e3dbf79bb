"""Figures of one simulated run, overall and per line, language and queue, plus by hour.

Calls count when they arrive inside ``[warmup, duration)``. The service level is the config's
definition (``ServiceLevelPolicy``, as the live engine and reports count it: calls still
waiting at the end are not counted); occupancy = (talk + wrap-up) / staffed time of
the agents able to serve the group's queues (breaks and off-shift time excluded).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import numpy as np

from acd.model import ServiceLevelPolicy
from simulator.engine import HOUR, RunResult
from simulator.ivr_walk import IVR_OUTCOMES
from simulator.roster import available_intervals
from simulator.scenario import LoadedScenario

FIGURES = (
    "offered", "answered", "abandoned", "overflowed", "unfinished", "answered_within_threshold",
    "service_level", "connection_rate", "abandon_rate", "asa_seconds", "aht_seconds",
    "occupancy",
)


def threshold_seconds(loaded: LoadedScenario) -> float:
    override = loaded.scenario.service_level
    if override is not None:
        return override.threshold_seconds
    return loaded.config.service_level.threshold_seconds


def service_level_policy(loaded: LoadedScenario) -> ServiceLevelPolicy:
    """The config's service-level definition, with the scenario's threshold if it sets one."""
    return dataclasses.replace(loaded.config.service_level.policy(),
                               threshold_seconds=threshold_seconds(loaded))


def _service_level(calls: _Calls, mask: np.ndarray, policy: ServiceLevelPolicy) -> float | None:
    return policy.ratio(int((calls.within & mask).sum()),
                        answered=int((calls.answered & mask).sum()),
                        abandoned=int((calls.abandoned & mask).sum()),
                        short_abandons=int((calls.short & mask).sum()),
                        overflowed=int((calls.overflowed & mask).sum()))


def _overlap(starts: np.ndarray, stops: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.minimum(stops, hi) - np.maximum(starts, lo), 0.0, None)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


class _Calls:
    """Per-call arrays of the calls that arrived inside the measuring window."""

    def __init__(self, result: RunResult, window: tuple[float, float],
                 policy: ServiceLevelPolicy) -> None:
        lo, hi = window
        rows = [r for r in result.records if lo <= r.arrived_at < hi]
        # Calls still waiting when the run stopped count as offered and not answered.
        ended = {r.call_id for r in result.records}
        walks = result.walks
        stuck = [
            (t, result.stream_routes[result.stream_of_call[call_id]][0],
             walks[call_id].arrived.language, walks[call_id].arrived.queue)
            for call_id, t in enumerate(result.arrival_of_call)
            if call_id not in ended and lo <= t < hi and walks[call_id].arrived is not None
        ] if result.unfinished else []
        self.arrival = np.array([r.arrived_at for r in rows] + [s[0] for s in stuck], dtype=float)
        self.line = np.array([r.line or "" for r in rows] + [s[1] for s in stuck], dtype=object)
        self.language = np.array([r.language or "" for r in rows] + [s[2] for s in stuck],
                                 dtype=object)
        self.queue = np.array([r.queue for r in rows] + [s[3] for s in stuck], dtype=object)
        outcome = np.array([r.outcome for r in rows] + ["unfinished"] * len(stuck), dtype=object)
        self.answered = outcome == "answered"
        self.abandoned = outcome == "abandoned"
        self.overflowed = outcome == "overflowed"
        self.unfinished = outcome == "unfinished"
        nan = [math.nan] * len(stuck)
        self.wait = np.array([r.wait for r in rows] + nan, dtype=float)
        self.talk = np.array([r.talk for r in rows] + nan, dtype=float)
        sl_wait = np.array([r.sl_wait for r in rows] + nan, dtype=float)
        self.within = self.answered & (sl_wait <= policy.threshold_seconds)
        self.short = self.abandoned & policy.is_short_abandon(sl_wait)
        self.policy = policy


class _Agents:
    """Staffed and busy seconds per agent inside a time range."""

    def __init__(self, result: RunResult) -> None:
        self.ids = [a.spec.agent_id for a in result.roster]
        self.index = {agent_id: i for i, agent_id in enumerate(self.ids)}
        self.skills = [a.spec.skills for a in result.roster]
        wrap = {a.spec.agent_id: a.spec.wrap_up_seconds for a in result.roster}
        starts, stops, owners = [], [], []
        for i, agent in enumerate(result.roster):
            for a, b in available_intervals(agent):
                starts.append(a)
                stops.append(b)
                owners.append(i)
        self.duty = (np.array(starts), np.array(stops), np.array(owners, dtype=int))
        answered = [r for r in result.records if r.outcome == "answered" and r.agent_id]
        b_starts = [r.answered_at for r in answered]
        b_stops = [r.ended_at + wrap[r.agent_id] for r in answered]
        self.busy = (
            np.array(b_starts, dtype=float),
            np.array(b_stops, dtype=float),
            np.array([self.index[r.agent_id] for r in answered], dtype=int),
        )

    def seconds(self, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """(staffed, busy) seconds per agent inside ``[lo, hi)``."""
        n = len(self.ids)
        staffed = np.bincount(self.duty[2], _overlap(self.duty[0], self.duty[1], lo, hi),
                              minlength=n) if len(self.duty[2]) else np.zeros(n)
        busy = np.bincount(self.busy[2], _overlap(self.busy[0], self.busy[1], lo, hi),
                           minlength=n) if len(self.busy[2]) else np.zeros(n)
        return staffed, busy

    def pool(self, requirements: Iterable[Mapping[str, int]]) -> np.ndarray:
        """Mask of agents meeting any of ``requirements``."""
        reqs = list(requirements)
        return np.array([
            any(all(skills.get(s, 0) >= level for s, level in req.items()) for req in reqs)
            for skills in self.skills
        ], dtype=bool)


def _group(calls: _Calls, mask: np.ndarray, occupancy: float | None) -> dict[str, float | None]:
    offered = int(mask.sum())
    answered = int((calls.answered & mask).sum())
    abandoned = int((calls.abandoned & mask).sum())
    within = int((calls.within & mask).sum())
    answered_mask = calls.answered & mask
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "overflowed": int((calls.overflowed & mask).sum()),
        "unfinished": int((calls.unfinished & mask).sum()),
        "answered_within_threshold": within,
        "service_level": _service_level(calls, mask, calls.policy),
        "connection_rate": _ratio(answered, offered),
        "abandon_rate": _ratio(abandoned, offered),
        "asa_seconds": float(calls.wait[answered_mask].mean()) if answered else None,
        "aht_seconds": float(calls.talk[answered_mask].mean()) if answered else None,
        "occupancy": occupancy,
    }


def summarize(result: RunResult, loaded: LoadedScenario) -> dict:
    """Figures of one run: ``overall``, ``lines``, ``languages``, ``queues`` and ``hourly``."""
    scenario = loaded.scenario
    lo, hi = scenario.warmup_hours * HOUR, scenario.duration_hours * HOUR
    calls = _Calls(result, (lo, hi), service_level_policy(loaded))
    agents = _Agents(result)
    staffed, busy = agents.seconds(lo, hi)
    requirements = {q.name: dict(q.requirements) for q in loaded.config.queues}

    def occupancy(queues: Iterable[str]) -> float | None:
        pool = agents.pool(requirements[q] for q in queues if q in requirements)
        return _ratio(float(busy[pool].sum()), float(staffed[pool].sum()))

    everyone = np.ones(len(calls.arrival), dtype=bool)
    out: dict = {
        "overall": _group(calls, everyone, _ratio(float(busy.sum()), float(staffed.sum()))),
        "lines": {}, "languages": {}, "queues": {},
    }
    for key, values in (("lines", calls.line), ("languages", calls.language),
                        ("queues", calls.queue)):
        for name in sorted(set(values.tolist())):
            mask = values == name
            queues = [name] if key == "queues" else sorted(set(calls.queue[mask].tolist()))
            out[key][name] = _group(calls, mask, occupancy(queues))
    out["ivr"] = ivr_summary(result, lo, hi)
    out["hourly"] = _hourly(calls, agents, result, lo, hi)
    out["hourly_queues"] = {
        name: _hourly_calls(calls, calls.queue == name, lo, hi)
        for name in sorted(set(calls.queue.tolist()))
    }
    return out


def _hourly_calls(calls: _Calls, mask: np.ndarray, lo: float, hi: float) -> list[dict]:
    """Offered, service level and abandon rate by hour of the calls in ``mask``."""
    hours = []
    for h in range(int(lo // HOUR), math.ceil(hi / HOUR)):
        in_hour = mask & (calls.arrival >= max(h * HOUR, lo)) & (calls.arrival < min((h + 1) * HOUR, hi))
        offered = int(in_hour.sum())
        hours.append({
            "hour": h,
            "offered": offered,
            "service_level": _service_level(calls, in_hour, calls.policy),
            "abandon_rate": _ratio(int((calls.abandoned & in_hour).sum()), offered),
        })
    return hours


def _hourly(calls: _Calls, agents: _Agents, result: RunResult, lo: float, hi: float) -> list:
    hours = []
    samples = np.array(result.samples, dtype=float).reshape(-1, 2)
    for h in range(int(lo // HOUR), math.ceil(hi / HOUR)):
        start, stop = max(h * HOUR, lo), min((h + 1) * HOUR, hi)
        mask = (calls.arrival >= start) & (calls.arrival < stop)
        offered = int(mask.sum())
        staffed, busy = agents.seconds(start, stop)
        in_hour = (samples[:, 0] >= start) & (samples[:, 0] < stop)
        hours.append({
            "hour": h,
            "offered": offered,
            "service_level": _service_level(calls, mask, calls.policy),
            "abandon_rate": _ratio(int((calls.abandoned & mask).sum()), offered),
            "occupancy": _ratio(float(busy.sum()), float(staffed.sum())),
            "agents_staffed": float(staffed.sum()) / (stop - start),
            "mean_waiting": float(samples[in_hour, 1].mean()) if in_hour.any() else 0.0,
            "max_waiting": int(samples[in_hour, 1].max()) if in_hour.any() else 0,
        })
    return hours


def _ivr_group(walks: list) -> dict[str, float | None]:
    counts = {outcome: 0 for outcome in IVR_OUTCOMES}
    for walk in walks:
        counts[walk.outcome] += 1
    queued = [w.seconds for w in walks if w.outcome == "enqueued"]
    return {"callers": len(walks), **counts,
            "ivr_seconds": sum(queued) / len(queued) if queued else None}


def ivr_summary(result: RunResult, lo: float, hi: float) -> dict:
    """The callers who arrived inside ``[lo, hi)`` by how their walk through the flow ended
    (``IVR_OUTCOMES``; only ``enqueued`` ones reach the ACD and its figures), overall and
    per line, with the mean time in the IVR of those who reached a queue."""
    by_line: dict[str, list] = {}
    for call_id, walk in enumerate(result.walks):
        if lo <= result.arrival_of_call[call_id] < hi:
            line = result.stream_routes[result.stream_of_call[call_id]][0]
            by_line.setdefault(line, []).append(walk)
    everyone = [w for walks in by_line.values() for w in walks]
    return {"prompts": result.prompts, "overall": _ivr_group(everyone),
            "lines": {line: _ivr_group(by_line[line]) for line in sorted(by_line)}}

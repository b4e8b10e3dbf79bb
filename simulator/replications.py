"""Independent replications (optionally over several processes) and their confidence intervals."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.engine import RunResult, simulate
from simulator.metrics import FIGURES, summarize
from simulator.scenario import LoadedScenario

RECORD_COLUMNS = (
    "replication", "arrival_time", "line", "language", "queue", "wait_time", "answered",
    "abandoned", "handle_time", "agent",
)


@dataclass(slots=True)
class Replication:
    """One replication's figures, its call rows (if asked for) and its speed."""

    index: int
    summary: dict
    rows: list[tuple] | None
    calls: int
    events: int
    seconds: float
    reduced: Any = None  # what ``reduce`` made of the run, if given


def run_one(loaded: LoadedScenario, seed: int, index: int, keep_rows: bool,
            progress: bool = False, reduce: Callable[[RunResult], Any] | None = None) -> Replication:
    import time

    started = time.perf_counter()
    result = simulate(loaded, seed=seed, replication=index, progress=progress)
    elapsed = time.perf_counter() - started
    rows = None
    if keep_rows:
        rows = [
            (index, round(r.arrived_at, 3), r.line, r.language, r.queue, round(r.wait, 3),
             int(r.outcome == "answered"), int(r.outcome == "abandoned"), round(r.talk, 3),
             r.agent_id or "")
            for r in sorted(result.records, key=lambda r: r.arrived_at)
        ]
    return Replication(index, summarize(result, loaded), rows, len(result.records),
                       result.events, elapsed, reduce(result) if reduce else None)


def _worker(args: tuple) -> Replication:
    return run_one(*args)


def run_replications(
    loaded: LoadedScenario,
    replications: int = 1,
    seed: int = 0,
    jobs: int = 1,
    keep_rows: bool = False,
    progress: bool = False,
    on_done: Callable[[Replication], None] | None = None,
    reduce: Callable[[RunResult], Any] | None = None,
) -> list[Replication]:
    """Run ``replications`` independent runs (seeded ``(seed, index)``) over ``jobs`` processes;
    ``reduce`` (picklable) turns each run into ``Replication.reduced``."""
    if replications < 1:
        raise ValueError("replications must be >= 1")
    tasks = [(loaded, seed, i, keep_rows, progress and replications == 1, reduce)
             for i in range(replications)]
    if jobs <= 1 or replications == 1:
        out = []
        for task in tasks:
            out.append(_worker(task))
            if on_done:
                on_done(out[-1])
        return out
    import multiprocessing  # only for several processes

    # Fork is fastest, but forking a process that runs other threads can deadlock.
    method = "fork" if threading.active_count() == 1 else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(min(jobs, replications)) as pool:
        out = []
        for rep in pool.imap(_worker, tasks):
            out.append(rep)
            if on_done:
                on_done(rep)
    return out


def half_width(values: list[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    # Student t's quantile (what scipy.stats.t.ppf returns) from scipy.special: a third of a
    # second to import where scipy.stats takes a second; only when there are intervals to compute.
    from scipy.special import stdtrit

    return float(stdtrit(n - 1, 0.975) * sd / math.sqrt(n))


def _combine_group(groups: list[dict]) -> dict:
    out: dict = {}
    ci: dict = {}
    for name in FIGURES:
        values = [g[name] for g in groups if g.get(name) is not None]
        out[name] = sum(values) / len(values) if values else None
        if len(groups) > 1:
            ci[name] = half_width(values)
    if len(groups) > 1:
        out["ci95"] = ci
    return out


def combine(summaries: list[dict]) -> dict:
    """Mean of every figure over replications; with 2+ replications each group also gets
    ``ci95``: the 95 % confidence half-width (Student t) of each figure."""
    out: dict = {"replications": len(summaries),
                 "overall": _combine_group([s["overall"] for s in summaries])}
    for key in ("lines", "languages", "queues"):
        names = sorted({name for s in summaries for name in s[key]})
        out[key] = {
            name: _combine_group([s[key][name] for s in summaries if name in s[key]])
            for name in names
        }
    out["ivr"] = _combine_ivr([s["ivr"] for s in summaries])
    out["hourly"] = _combine_hours([s["hourly"] for s in summaries])
    queues = sorted({q for s in summaries for q in s.get("hourly_queues", {})})
    out["hourly_queues"] = {
        q: _combine_hours([s["hourly_queues"][q] for s in summaries if q in s["hourly_queues"]])
        for q in queues
    }
    return out


def _combine_hours(runs: list[list[dict]]) -> list[dict]:
    """Hour by hour means over runs; with 2+ runs, ``ci95`` of the service level and offered."""
    hours = []
    for h, first in enumerate(runs[0]):
        entry: dict = {"hour": first["hour"]}
        for name in first:
            if name == "hour":
                continue
            values = [run[h][name] for run in runs if run[h][name] is not None]
            entry[name] = sum(values) / len(values) if values else None
            if len(runs) > 1 and name in ("service_level", "offered"):
                entry.setdefault("ci95", {})[name] = half_width(values)
        hours.append(entry)
    return hours


def _mean_figures(groups: list[dict]) -> dict:
    names = [name for name in groups[0]]
    out = {}
    for name in names:
        values = [g[name] for g in groups if g.get(name) is not None]
        out[name] = sum(values) / len(values) if values else None
    return out


def _combine_ivr(runs: list[dict]) -> dict:
    """Mean IVR outcomes per replication, overall and per line."""
    lines = sorted({line for run in runs for line in run["lines"]})
    return {"prompts": runs[0]["prompts"],
            "overall": _mean_figures([run["overall"] for run in runs]),
            "lines": {line: _mean_figures([run["lines"][line] for run in runs
                                           if line in run["lines"]]) for line in lines}}

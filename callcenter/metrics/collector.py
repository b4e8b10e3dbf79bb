"""The custom collector: every family is built at scrape time from one ``MetricsView``.

Names follow the Prometheus conventions: prefix ``callcenter_``, base units (seconds,
ratios), ``_total`` on counters, and no call id or phone number as a label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from acd.engine import ACD
from callcenter.metrics.calls import CallCounts, CallMetrics
from callcenter.records.rows import seat_state

_CALL_LABELS = ["line", "language", "queue"]


@dataclass(frozen=True, slots=True)
class MetricsView:
    """What one scrape reads: ``ACD.snapshot(now)`` and the call counters."""

    acd: Mapping[str, Any]
    calls: CallCounts


SnapshotProvider = Callable[[], MetricsView]


def acd_provider(acd: ACD, clock: Callable[[], float], calls: CallMetrics) -> SnapshotProvider:
    """A provider reading ``acd`` at ``clock()``. Call it on the thread that drives the ACD
    (serve ``/metrics`` from the engine's event loop)."""
    return lambda: MetricsView(acd.snapshot(clock()), calls.snapshot())


class CallCenterCollector:
    """Prometheus collector over a snapshot provider; register it on an own registry."""

    def __init__(self, provider: SnapshotProvider) -> None:
        self.provider = provider

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration time

    def collect(self) -> Iterator[Metric]:
        view = self.provider()
        yield from _call_families(view.calls)
        yield _wait_histogram(view.calls)
        yield from _queue_families(view.acd)


def _call_families(calls: CallCounts) -> Iterator[Metric]:
    series = (
        ("offered", "Calls offered to the ACD (counted when they leave it).", calls.offered()),
        ("answered", "Calls answered by an agent.", calls.outcomes.get("answered", {})),
        ("abandoned", "Calls the caller hung up before an answer.",
         calls.outcomes.get("abandoned", {})),
        ("overflowed", "Calls that left the queue to a message.",
         calls.outcomes.get("overflowed", {})),
    )
    for name, documentation, counts in series:
        family = CounterMetricFamily(f"callcenter_calls_{name}", documentation,
                                     labels=_CALL_LABELS)
        for key in sorted(counts):
            family.add_metric(list(key), counts[key])
        yield family
    arrived = CounterMetricFamily("callcenter_calls_arrived",
                                  "Calls that reached a line (answered by the engine).",
                                  labels=["line"])
    for line in sorted(calls.arrived):
        arrived.add_metric([line], calls.arrived[line])
    yield arrived
    ended = CounterMetricFamily(
        "callcenter_calls_ended", "Calls ended, by line and outcome: answered, abandoned, "
        "overflowed (in a queue), self_service, ivr_abandoned, ivr_transferred (in the IVR), "
        "lost (the engine stopped under them).", labels=["line", "outcome"])
    for key in sorted(calls.ended):
        ended.add_metric(list(key), calls.ended[key])
    yield ended


def _wait_histogram(calls: CallCounts) -> Metric:
    family = HistogramMetricFamily(
        "callcenter_wait_seconds", "Wait from queue entry to answer or hang-up, finished calls.",
        labels=["queue", "outcome"])
    bounds = [f"{b:g}" for b in calls.buckets] + ["+Inf"]
    for (queue, outcome) in sorted(calls.waits):
        histogram = calls.waits[(queue, outcome)]
        cumulative, running = [], 0
        for bound, n in zip(bounds, histogram.counts, strict=True):
            running += n
            cumulative.append((bound, running))
        family.add_metric([queue, outcome], cumulative, histogram.total)
    return family


def _queue_families(snapshot: Mapping[str, Any]) -> Iterator[Metric]:
    waiting = GaugeMetricFamily("callcenter_calls_waiting", "Calls waiting in the queue now.",
                                labels=["queue"])
    longest = GaugeMetricFamily("callcenter_longest_wait_seconds",
                                "Wait so far of the longest-waiting call in the queue.",
                                labels=["queue"])
    agents = GaugeMetricFamily("callcenter_agents",
                               "Agents serving the queue by seat state (an agent serving "
                               "several queues counts in each).", labels=["queue", "state"])
    service_level = GaugeMetricFamily(
        "callcenter_service_level_ratio",
        "Answered within the threshold / calls counted, since the engine started.",
        labels=["queue"])
    connection = GaugeMetricFamily("callcenter_connection_rate_ratio",
                                   "Answered / offered, since the engine started.",
                                   labels=["queue"])
    for queue, entry in sorted(snapshot.get("queues", {}).items()):
        waiting.add_metric([queue], entry["waiting"])
        longest.add_metric([queue], entry["longest_wait"])
        for state, n in sorted(entry["agents"].items()):
            agents.add_metric([queue, state], n)
        stats = entry.get("stats", {})
        if stats.get("service_level") is not None:
            service_level.add_metric([queue], stats["service_level"])
        if stats.get("connection_rate") is not None:
            connection.add_metric([queue], stats["connection_rate"])
    seats = GaugeMetricFamily("callcenter_agent_seats", "Agents by seat state, each counted once.",
                              labels=["state"])
    by_state: dict[str, int] = {}
    for agent in snapshot.get("agents", []):
        state = _seat_state(agent)
        by_state[state] = by_state.get(state, 0) + 1
    for state in sorted(by_state):
        seats.add_metric([state], by_state[state])
    yield from (waiting, longest, agents, service_level, connection, seats)


def _seat_state(agent: Mapping[str, Any]) -> str:
    return seat_state(agent["presence"], agent["activity"])

"""Prometheus metrics: counters kept from finished calls, gauges read from the core at scrape
time, all through one custom collector on a registry of the engine's own."""

from callcenter.metrics.calls import WAIT_BUCKETS, CallCounts, CallMetrics
from callcenter.metrics.collector import CallCenterCollector, MetricsView, SnapshotProvider, acd_provider
from callcenter.metrics.exposition import CONTENT_TYPE, make_metrics_app, new_registry, render_metrics

__all__ = [
    "CONTENT_TYPE",
    "WAIT_BUCKETS",
    "CallCenterCollector",
    "CallCounts",
    "CallMetrics",
    "MetricsView",
    "SnapshotProvider",
    "acd_provider",
    "make_metrics_app",
    "new_registry",
    "render_metrics",
]

"""A registry per engine (never the global one) and the ``/metrics`` text for the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, make_asgi_app

from callcenter.metrics.collector import CallCenterCollector, SnapshotProvider

CONTENT_TYPE = CONTENT_TYPE_LATEST


def new_registry(provider: SnapshotProvider) -> CollectorRegistry:
    """A fresh registry holding only the call-center collector over ``provider``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CallCenterCollector(provider))
    return registry


def render_metrics(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The exposition body and its content type, for a ``/metrics`` handler."""
    return generate_latest(registry), CONTENT_TYPE


def make_metrics_app(registry: CollectorRegistry) -> Callable[..., Any]:
    """An ASGI app serving ``registry``; it renders on the event loop, where the ACD lives."""
    return make_asgi_app(registry)

"""Prometheus figure of the FastAGI server's defence: connections refused because their peer is
not an Asterisk host the config lists (``asterisk.hosts``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric


class AgiGuardCollector:
    """Reads the refusals of a running :class:`~callcenter.asterisk.agi_server.AGIServer`."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("callcenter_agi_refused", "FastAGI connections closed unread: "
                                  "their peer is not in asterisk.hosts", value=self.server.refused)

"""Prometheus figures of the SMS sender: the SMPP link, what it submitted and heard back, and
the outbox by state (as the sender last counted it: a scrape never waits on the database)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

_COUNTERS = ("connects", "binds", "submitted", "accepted", "throttled", "refused", "receipts",
             "unknown_receipts")


class SmsCollector:
    """Reads a running :class:`~callcenter.sms.sender.SmsSender`."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("callcenter_sms_link_up", "1 while bound to the SMSC")
        up.add_metric([], 1.0 if self.sender.bound.is_set() else 0.0)
        yield up
        events = CounterMetricFamily("callcenter_sms_events", "SMPP link events by kind", labels=["kind"])
        for kind in _COUNTERS:
            events.add_metric([kind], self.sender.stats[kind])
        yield events
        outbox = GaugeMetricFamily("callcenter_sms_outbox", "SMS notices in the outbox by state",
                                   labels=["status"])
        for status in ("queued", "sent", "delivered", "failed"):
            outbox.add_metric([status], self.sender.outbox_counts.get(status, 0))
        yield outbox

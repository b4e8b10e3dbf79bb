"""Prometheus figures of the embedded SIP engine's defences: calls refused by admission
control, caller IDs not believed (from outside the trust domain), failed digest
authentications, and the sources and accounts blocked right now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


class SipGuardCollector:
    """Reads the counters of a running :class:`~callcenter.telephony.embedded.EmbeddedTelephony`."""

    def __init__(self, telephony: Any) -> None:
        self.telephony = telephony

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        control, registrar = self.telephony.control, self.telephony.registrar
        refused = CounterMetricFamily("callcenter_sip_refused", "New SIP requests answered 503",
                                      labels=["reason"])
        refused.add_metric(["max_calls"], control.refused)
        refused.add_metric(["source_rate"], self.telephony.endpoint.dropped_by_limit)
        yield refused
        yield CounterMetricFamily("callcenter_sip_identity_not_believed",
                                  "Calls whose caller ID came from outside the trust domain (never "
                                  "called back)", value=control.not_believed)
        failures = CounterMetricFamily("callcenter_sip_auth_failures",
                                       "Failed digest authentications", labels=["kind"])
        blocks = CounterMetricFamily("callcenter_sip_auth_blocks",
                                     "Sources and accounts blocked after failures",
                                     labels=["kind"])
        blocked = GaugeMetricFamily("callcenter_sip_auth_blocked",
                                    "Sources and accounts blocked now", labels=["kind"])
        now = registrar.clock()
        for lockout in (registrar.sources, registrar.accounts):
            failures.add_metric([lockout.kind], lockout.failures)
            blocks.add_metric([lockout.kind], lockout.blocks)
            blocked.add_metric([lockout.kind], lockout.blocked(now))
        yield from (failures, blocks, blocked)

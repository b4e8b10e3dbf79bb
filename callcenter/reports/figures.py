"""Call-center figures over a set of call records, by a service-level definition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from acd.model import ServiceLevelPolicy


class CallLike(Protocol):
    outcome: str
    wait: float
    talk: float
    arrived_at: float
    enqueued_at: float


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts and rates of a set of calls. Rates are None when nothing was counted.

    * ``connection_rate`` = answered / offered.
    * ``service_level`` = answered within the threshold / ``sl_denominator`` (answered +
      overflowed, plus abandons beyond the short-abandon cut-off when the policy counts them).
    * ``asa`` = mean wait of answered calls from queue entry; ``aht`` = mean talk time of
      answered calls (wrap-up not included).
    """

    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    overflowed: int
    answered_within_threshold: int
    sl_denominator: int
    service_level: float | None
    connection_rate: float | None
    asa: float | None
    aht: float | None
    talk_total: float

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def service_level_wait(call: CallLike, policy: ServiceLevelPolicy) -> float:
    """The wait the policy counts: from queue entry (the record's ``wait``) or from arrival
    (``wait`` plus the time between arrival and queue entry)."""
    if policy.clock_start == "arrival":
        return call.wait + (call.enqueued_at - call.arrived_at)
    return call.wait


def compute_figures(calls: Iterable[CallLike], policy: ServiceLevelPolicy) -> Figures:
    offered = answered = abandoned = short = overflowed = within = 0
    wait_total = talk_total = 0.0
    for call in calls:
        offered += 1
        wait = service_level_wait(call, policy)
        if call.outcome == "answered":
            answered += 1
            wait_total += call.wait
            talk_total += call.talk
            if wait <= policy.threshold_seconds:
                within += 1
        elif call.outcome == "abandoned":
            abandoned += 1
            if wait < policy.short_abandon_seconds:
                short += 1
        else:
            overflowed += 1
    denominator = answered + overflowed
    if policy.abandons_in_denominator:
        denominator += abandoned - short
    return Figures(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandons=short,
        overflowed=overflowed,
        answered_within_threshold=within,
        sl_denominator=denominator,
        service_level=within / denominator if denominator else None,
        connection_rate=answered / offered if offered else None,
        asa=wait_total / answered if answered else None,
        aht=talk_total / answered if answered else None,
        talk_total=talk_total,
    )

"""Call-center figures over a set of call records, by a service-level definition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from acd.model import ServiceLevelPolicy
from callcenter.records.schema import IVR_OUTCOMES

_ELSEWHERE = (*IVR_OUTCOMES, "lost", "open")  # outcomes of calls the queues never counted


class CallLike(Protocol):
    outcome: str
    wait: float
    talk: float
    arrived_at: float
    enqueued_at: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts and rates of a set of calls. Rates are None when nothing was counted.

    * ``arrived``: every call that reached a line; ``offered``: those that reached a queue
      (answered + abandoned + overflowed). The others ended in the IVR (``self_service``,
      ``ivr_abandoned``, ``ivr_transferred``), were ``lost`` when the engine died, or are
      still ``open``.
    * ``connection_rate`` = answered / offered.
    * ``service_level`` = answered within the threshold / ``sl_denominator`` (answered +
      overflowed, plus abandons beyond the short-abandon cut-off when the policy counts them).
    * ``asa`` = mean wait of answered calls from queue entry; ``aht`` = mean talk time of
      answered calls (wrap-up not included).
    """

    arrived: int
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
    self_service: int = 0
    ivr_abandoned: int = 0
    ivr_transferred: int = 0
    lost: int = 0
    open: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def service_level_wait(call: CallLike, policy: ServiceLevelPolicy) -> float:
    """The wait the policy counts: from queue entry (the record's ``wait``) or from arrival
    (``wait`` plus the time between arrival and queue entry)."""
    if policy.clock_start == "arrival" and call.enqueued_at is not None:
        return call.wait + (call.enqueued_at - call.arrived_at)
    return call.wait


def compute_figures(calls: Iterable[CallLike], policy: ServiceLevelPolicy) -> Figures:
    answered = abandoned = short = overflowed = within = 0
    elsewhere = dict.fromkeys(_ELSEWHERE, 0)
    wait_total = talk_total = 0.0
    for call in calls:
        if call.outcome in elsewhere:
            elsewhere[call.outcome] += 1
            continue
        wait = service_level_wait(call, policy)
        if call.outcome == "answered":
            answered += 1
            wait_total += call.wait
            talk_total += call.talk
            if wait <= policy.threshold_seconds:
                within += 1
        elif call.outcome == "abandoned":
            abandoned += 1
            if policy.is_short_abandon(wait):
                short += 1
        else:
            overflowed += 1
    offered = answered + abandoned + overflowed
    denominator = policy.denominator(answered=answered, abandoned=abandoned,
                                     short_abandons=short, overflowed=overflowed)
    return Figures(
        arrived=offered + sum(elsewhere.values()),
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
        **elsewhere,
    )

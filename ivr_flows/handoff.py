"""From the IVR to the ACD: an ``Enqueue`` command becomes the ACD's ``CallArrived`` event;
and to the desk: what the caller did in the IVR, for the agent's screen pop."""

from __future__ import annotations

from dataclasses import dataclass

from acd.events import CallArrived
from ivr_flows.commands import Enqueue
from ivr_flows.digit_checks import is_resident_id
from ivr_flows.interpreter import FlowRun


def call_arrived(enqueue: Enqueue, run: FlowRun, line: str | None = None) -> CallArrived:
    """``arrived_at`` is when the flow started (the call reached the center), so the ACD can
    start the service-level clock at arrival or at queue entry, as its setting says."""
    return CallArrived(
        call_id=run.call_id,
        queue=enqueue.queue,
        priority=enqueue.priority,
        arrived_at=run.started_at,
        language=enqueue.language,
        line=line or run.variables.get("line"),
        requirements=dict(enqueue.requirements) or None,
    )


@dataclass(frozen=True, slots=True)
class CallerDetails:
    """What the screen pop shows of a queued call beyond the ACD's offer: the caller's number,
    the IVR nodes they went through and what they keyed (ID numbers masked). The telephony
    adapters publish it to the driver's sinks just before the call's ``CallArrived``."""

    call_id: str
    caller: str
    path: tuple[str, ...]
    collected: tuple[tuple[str, str], ...]  # (variable, value as shown)


def mask(value: str, keep: int = 4) -> str:
    """All but the last ``keep`` characters hidden: ``**************123X``."""
    return "*" * max(0, len(value) - keep) + value[-keep:]


def caller_details(run: FlowRun, caller: str | None) -> CallerDetails:
    """The details of ``run``'s caller; resident ID numbers show only their last 4 characters
    (whatever the collect node's validator, anything that is an ID number is masked)."""
    path = tuple(dict.fromkeys(entry.partition(":")[2] for entry in run.path))
    shown = tuple((name, mask(value) if validator == "resident_id" or is_resident_id(value) else value)
                  for name, value, validator in run.collected())
    return CallerDetails(str(run.call_id), caller or "", path, shown)

"""From the IVR to the ACD: an ``Enqueue`` command becomes the ACD's ``CallArrived`` event."""

from __future__ import annotations

from acd.events import CallArrived
from ivr_flows.commands import Enqueue
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

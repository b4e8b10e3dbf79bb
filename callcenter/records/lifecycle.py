"""A call's record from arrival to end, outside the ACD: what the telephony adapters publish.

A call's record opens when the line answers (``CallOpened``). If the IVR hands it to the
ACD, the ACD's ``CallFinished`` closes it; if it ends in the IVR, ``CallClosed`` does, with
one of :data:`IVR_OUTCOMES`. A record still open when the engine dies is closed as ``lost``
at the next start.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.records.schema import IVR_OUTCOMES, OUTCOMES, QUEUE_OUTCOMES

OPEN, LOST = "open", "lost"
SELF_SERVICE, IVR_ABANDONED, IVR_TRANSFERRED = IVR_OUTCOMES


@dataclass(frozen=True, slots=True)
class CallOpened:
    """A call reached a line and was answered: its record exists from now on."""

    call_id: str
    line: str
    arrived_at: float
    language: str | None = None


@dataclass(frozen=True, slots=True)
class CallClosed:
    """A call ended without the ACD ever holding it (``outcome`` in :data:`IVR_OUTCOMES`)."""

    call_id: str
    line: str
    outcome: str
    arrived_at: float
    ended_at: float
    language: str | None = None
    transferred_to: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in (*IVR_OUTCOMES, LOST):
            raise ValueError(f"not an outcome of a call ended outside the ACD: {self.outcome!r}")


def ivr_outcome(*, caller_hung_up: bool, transferred_to: str | None) -> str:
    """How a call that never reached the ACD ended: transferred by the IVR, abandoned (the
    caller hung up, or their line went silent, before the flow ended), or self-service (the
    flow ended the call: it was handled in the IVR)."""
    if transferred_to is not None:
        return IVR_TRANSFERRED
    return IVR_ABANDONED if caller_hung_up else SELF_SERVICE


__all__ = [
    "IVR_ABANDONED",
    "IVR_OUTCOMES",
    "IVR_TRANSFERRED",
    "LOST",
    "OPEN",
    "OUTCOMES",
    "QUEUE_OUTCOMES",
    "SELF_SERVICE",
    "CallClosed",
    "CallOpened",
    "ivr_outcome",
]

"""How an Asterisk ``Dial`` ended, read once for every caller of it: the ``DIALSTATUS`` values
Asterisk documents for app_dial, each as the SIP-like status the embedded engine would have seen
(the dialer reads its outcome from it: ``telephony.outbound_calls.outcome_of``) and whether the
party refused the call at once (a seat rung for a caller is then declined, not waited for)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DialEnd:
    """One ``DIALSTATUS``: the status and reason the call and the dialer are told, and whether
    the party refused at once (``False``: answered, rang out, or the caller gave up)."""

    status: int
    reason: str
    refused: bool


ANSWERED = DialEnd(200, "OK", refused=False)
UNKNOWN = DialEnd(500, "Server Internal Error", refused=False)
"""No ``DIALSTATUS`` or one Asterisk does not document: a failure, left to the ring timer."""

DIAL_ENDS: dict[str, DialEnd] = {
    "ANSWER": ANSWERED,
    "BUSY": DialEnd(486, "Busy Here", refused=True),
    "NOANSWER": DialEnd(408, "Request Timeout", refused=False),  # as the call's own ring timer says
    "CANCEL": DialEnd(487, "Request Terminated", refused=False),  # the calling side hung up first
    "CONGESTION": DialEnd(503, "Service Unavailable", refused=True),
    "CHANUNAVAIL": DialEnd(503, "Service Unavailable", refused=True),
    "DONTCALL": DialEnd(603, "Decline", refused=True),  # privacy manager: the party said no
    "TORTURE": DialEnd(603, "Decline", refused=True),  # privacy manager: sent to the torture script
    "INVALIDARGS": DialEnd(500, "Server Internal Error", refused=True),  # our Dial string was bad
}
"""Every ``DIALSTATUS`` of Asterisk's Dial application -> how the Dial ended."""


def dial_end(dialstatus: str) -> DialEnd:
    """How a Dial that set ``DIALSTATUS`` to ``dialstatus`` ended (an unknown one is logged)."""
    end = DIAL_ENDS.get(dialstatus)
    if end is None and dialstatus:
        log.warning("unexpected DIALSTATUS %r: taken as a failure", dialstatus)
    return UNKNOWN if end is None else end

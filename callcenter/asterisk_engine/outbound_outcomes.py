"""Outbound calls over Asterisk: how an AMI ``Originate`` ended, as the dialer's retry rules see
it (``outbound.model.CallOutcome``). chan_pjsip reports a 486 as reason 0 (failed), so a busy
citizen may come back as ``failed`` and is retried with that spacing."""

from __future__ import annotations

from callcenter.asterisk.ami_originate import OriginateOutcome, OriginateResult
from outbound.model import CallOutcome

OUTCOMES = {
    OriginateResult.ANSWERED: CallOutcome.ANSWERED,
    OriginateResult.NO_ANSWER: CallOutcome.NO_ANSWER,
    OriginateResult.BUSY: CallOutcome.BUSY,
    OriginateResult.HUNG_UP: CallOutcome.BUSY,  # rejected while ringing: try again soon
    OriginateResult.CONGESTION: CallOutcome.FAILED,
    OriginateResult.FAILED: CallOutcome.FAILED,
    OriginateResult.ERROR: CallOutcome.FAILED,
}


def call_outcome(outcome: OriginateOutcome) -> CallOutcome:
    """The dialer's outcome of one Originate (an answered call's survey decides reached or not)."""
    return OUTCOMES[outcome.result]

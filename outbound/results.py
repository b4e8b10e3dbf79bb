"""How an answered call of the dialer's went once it ended: one rule for both telephony paths
(the embedded engine's and Asterisk's), from the call object that played the task's flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outbound.model import Answers, CallOutcome, Kind

if TYPE_CHECKING:
    from calls.call import Call

HEARD_TO_THE_END = frozenset({"enqueued", "hung_up"})  # a callback's flow: an agent chosen, or goodbye


def call_result(kind: Kind, call: Call | None) -> tuple[CallOutcome, Answers | None]:
    """A missed call's callback reached the citizen if they heard the offer to its end; a survey
    call if both questions were answered (its answers). Anything less is ``SILENT``."""
    if kind is Kind.MISSED_CALL:
        run = call.ivr if call is not None else None
        heard = run is not None and run.outcome is not None and run.outcome.kind in HEARD_TO_THE_END
        return (CallOutcome.ANSWERED if heard else CallOutcome.SILENT), None
    answers = Answers.of(call.scores if call is not None else {})
    return (CallOutcome.ANSWERED if answers is not None else CallOutcome.SILENT), answers

"""The one reading of ``DIALSTATUS``: every status Asterisk's Dial documents has one end, and the
dialer's outcome (read from its status as on the embedded engine) is the one each deserves."""

from __future__ import annotations

import pytest

from callcenter.asterisk_engine.dial_ends import DIAL_ENDS, UNKNOWN, dial_end
from callcenter.telephony.outbound_calls import outcome_of
from outbound.model import CallOutcome

DOCUMENTED = ("ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL", "DONTCALL", "TORTURE",
              "INVALIDARGS")  # app_dial's DIALSTATUS, Asterisk 20+
OUTCOMES = {
    "BUSY": CallOutcome.BUSY, "DONTCALL": CallOutcome.BUSY, "TORTURE": CallOutcome.BUSY,  # said no
    "NOANSWER": CallOutcome.NO_ANSWER, "CANCEL": CallOutcome.NO_ANSWER,
    "CONGESTION": CallOutcome.FAILED, "CHANUNAVAIL": CallOutcome.FAILED, "INVALIDARGS": CallOutcome.FAILED,
    "": CallOutcome.FAILED, "SOMETHINGNEW": CallOutcome.FAILED,
}
REFUSED = {"BUSY", "CONGESTION", "CHANUNAVAIL", "DONTCALL", "TORTURE", "INVALIDARGS"}
"""A seat rung for a caller that ends so is declined at once; the others are the ring timer's."""


def test_every_documented_dialstatus_and_no_other_has_its_own_end():
    assert set(DIAL_ENDS) == set(DOCUMENTED)
    assert dial_end("ANSWER").status == 200 and not dial_end("ANSWER").refused


@pytest.mark.parametrize("status", sorted(OUTCOMES))
def test_each_end_gives_the_dialer_the_outcome_it_deserves(status):
    end = dial_end(status)
    assert outcome_of(end.status) is OUTCOMES[status]
    assert end.refused == (status in REFUSED)
    assert (end is UNKNOWN) == (status not in DIAL_ENDS)

"""AMI Originate outcomes mapped to the dialer's retry rules: every result has a mapping, and
an OriginateResponse's reason leads to the spacing the campaign gives it."""

from __future__ import annotations

import pytest

from callcenter.asterisk.ami_originate import OriginateResult, outcome_from_event
from callcenter.asterisk.ami_protocol import AMIMessage
from callcenter.asterisk_engine.outbound_outcomes import OUTCOMES, call_outcome
from outbound.dialer import Dialer
from outbound.model import CallOutcome, Rules
from tests.outbound.helpers import local


def test_every_originate_result_has_an_outcome() -> None:
    assert set(OUTCOMES) == set(OriginateResult)


@pytest.mark.parametrize(("response", "reason", "outcome", "retry_minutes"), [
    ("Failure", "5", CallOutcome.BUSY, 10),
    ("Failure", "3", CallOutcome.NO_ANSWER, 60),
    ("Failure", "8", CallOutcome.FAILED, 30),
    ("Failure", "0", CallOutcome.FAILED, 30),
    ("Failure", "1", CallOutcome.BUSY, 10),
])
def test_an_originate_that_did_not_connect_is_retried_with_its_spacing(
        response: str, reason: str, outcome: CallOutcome, retry_minutes: int) -> None:
    event = AMIMessage.of(("Event", "OriginateResponse"), ("Response", response), ("Reason", reason),
                          ("Channel", "PJSIP/trunk-00000001"))
    result = call_outcome(outcome_from_event(AMIMessage.of(("Response", "Success")), event))
    assert result is outcome
    dialer = Dialer(Rules())
    task = dialer.add_visit("C1", "13800138000", "12345", local(9), not_before=local(9)).task
    dialer.on_timer(local(9))
    assert dialer.ended(task.task_id, result, local(9, 1)) == []
    assert task.due_at == local(9, 1) + retry_minutes * 60


def test_an_answered_originate_is_answered() -> None:
    event = AMIMessage.of(("Event", "OriginateResponse"), ("Response", "Success"), ("Reason", "4"))
    assert call_outcome(outcome_from_event(AMIMessage.of(("Response", "Success")), event)) is (
        CallOutcome.ANSWERED)

"""A seat lost mid-conversation: the caller goes back to its place, nothing is counted twice."""

import pytest

from acd.engine import ACD
from acd.events import (
    AgentAnswered,
    AgentHungUp,
    AgentLost,
    CallArrived,
    CallerHungUp,
)
from acd.model import QueueSpec
from agents.model import AgentSpec
from agents.seat import IllegalTransition, Presence
from tests.core.helpers import finished, login_all, offers


def make_acd() -> ACD:
    agents = [AgentSpec(a, skills={"zh": 3}, wrap_up_seconds=5) for a in ("a", "b", "c")]
    acd = ACD([QueueSpec("zh", {"zh": 1})], agents)
    login_all(acd, ["a", "b"])
    return acd


def test_caller_of_a_lost_seat_is_served_before_later_callers():
    acd = make_acd()
    acd.handle(CallArrived("c1", "zh"), 0.0)
    acd.handle(AgentAnswered("a", "c1"), 2.0)
    acd.handle(CallArrived("c2", "zh"), 3.0)
    acd.handle(AgentAnswered("b", "c2"), 4.0)
    acd.handle(CallArrived("c3", "zh"), 5.0)  # waits: both agents talk
    out = acd.handle(AgentLost("a"), 10.0)
    assert offers(out) == []  # a is not ready, nobody else is free
    seat = acd.seat("a")
    assert seat.presence is Presence.NOT_READY and seat.reason == "unreachable"
    assert acd.queue_position("c1") == 1 and acd.queue_position("c3") == 2
    out = acd.handle(AgentHungUp("b"), 12.0)
    assert [r.call_id for r in finished(out)] == ["c2"]
    login_all(acd, ["c"], now=13.0)
    assert acd.agent_call("c") == "c1"  # c1 keeps its place ahead of c3


def test_answer_counted_once_and_talk_summed_over_both_conversations():
    acd = make_acd()
    acd.handle(CallArrived("c1", "zh"), 0.0)
    acd.handle(AgentAnswered("a", "c1"), 2.0)
    acd.handle(AgentLost("a"), 10.0)  # 8 s of talk, then back to the queue
    assert acd.agent_call("b") == "c1"  # b was idle: offered at once
    acd.handle(AgentAnswered("b", "c1"), 11.0)
    [record] = finished(acd.handle(AgentHungUp("b"), 20.0))
    assert record.outcome == "answered" and record.agent_id == "b"
    assert record.answered_at == 2.0 and record.wait == 2.0
    assert record.talk == pytest.approx(8.0 + 9.0)
    assert record.offers == 2
    stats = acd.stats["zh"]
    assert stats.answered == 1 and stats.abandoned == 0 and stats.offered == 1
    assert acd.live_calls() == 0


def test_hanging_up_after_the_seat_was_lost_ends_the_call_as_answered():
    acd = make_acd()
    acd.handle(CallArrived("c1", "zh"), 0.0)
    acd.handle(AgentAnswered("a", "c1"), 1.0)
    acd.handle(CallArrived("c2", "zh"), 1.5)
    acd.handle(AgentAnswered("b", "c2"), 2.0)
    acd.handle(AgentLost("a"), 6.0)
    [record] = finished(acd.handle(CallerHungUp("c1"), 9.0))
    assert record.outcome == "answered" and record.agent_id is None
    assert record.talk == pytest.approx(5.0)
    assert acd.stats["zh"].abandoned == 0 and acd.stats["zh"].answered == 2
    assert acd.live_calls() == 1


def test_losing_a_seat_that_is_not_talking_is_refused_and_changes_nothing():
    acd = make_acd()
    acd.handle(CallArrived("c1", "zh"), 0.0)  # ringing at a
    ringing = acd.agent_call("a") or acd.agent_call("b")
    agent_id = "a" if acd.agent_call("a") else "b"
    with pytest.raises(IllegalTransition):
        acd.handle(AgentLost(agent_id), 1.0)
    assert acd.agent_call(agent_id) == ringing

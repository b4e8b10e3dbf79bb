"""A conversation found on the switch at start is adopted: the call answered, the seat on it."""

import pytest

from acd.commands import AgentStateChanged
from acd.engine import ACD, ACDError, UnknownQueue
from acd.events import AgentHungUp, CallAdopted, CallArrived, CallerHungUp
from acd.model import QueueSpec
from agents.model import AgentSpec
from agents.seat import Activity, IllegalTransition, Presence
from tests.core.helpers import finished, login_all, offers


def make_acd() -> ACD:
    agents = [AgentSpec(a, skills={"zh": 3}, wrap_up_seconds=5) for a in ("a", "b")]
    return ACD([QueueSpec("zh", {"zh": 1})], agents)


def adopt(acd: ACD, call_id: str = "c1", agent: str = "a", now: float = 100.0) -> list:
    return acd.handle(CallAdopted(call_id, "zh", agent, arrived_at=60.0, answered_at=80.0,
                                  enqueued_at=70.0, language="zh", line="12345"), now)


def test_adopted_call_is_answered_by_its_agent_and_recorded_when_it_ends():
    acd = make_acd()
    out = adopt(acd)
    assert [(c.agent_id, c.presence, c.activity, c.call_id) for c in out
            if isinstance(c, AgentStateChanged)] == [("a", "available", "on_call", "c1")]
    assert acd.agent_call("a") == "c1" and acd.seat("a").activity is Activity.ON_CALL
    (record,) = finished(acd.handle(AgentHungUp("a"), 130.0))
    assert (record.outcome, record.agent_id, record.queue, record.line) == ("answered", "a", "zh", "12345")
    assert (record.arrived_at, record.enqueued_at, record.answered_at) == (60.0, 70.0, 80.0)
    assert (record.wait, record.talk) == (10.0, 50.0)
    assert acd.seat("a").activity is Activity.WRAP_UP  # then available, as after any call
    assert acd.stats["zh"].offered == 1


def test_adopted_seat_is_not_offered_another_call_while_it_talks():
    acd = make_acd()
    adopt(acd)
    assert offers(acd.handle(CallArrived("c2", "zh"), 101.0)) == []
    login_all(acd, ["b"], now=102.0)
    assert acd.agent_call("b") == "c2"
    (record,) = finished(acd.handle(CallerHungUp("c1"), 110.0))  # the caller's side ended it
    assert (record.call_id, record.agent_id) == ("c1", "a")


def test_an_adoption_that_does_not_fit_changes_nothing():
    acd = make_acd()
    login_all(acd, ["a"])
    acd.handle(CallArrived("c1", "zh"), 1.0)  # a rings with c1
    with pytest.raises(IllegalTransition):
        adopt(acd, "c2", "a")
    assert acd.call_state("c2") is None and acd.agent_call("a") == "c1"
    with pytest.raises(ACDError):
        adopt(acd, "c1", "b")  # c1 is already the ACD's
    with pytest.raises(UnknownQueue):
        acd.handle(CallAdopted("c3", "nope", "b", 0.0, 0.0), 2.0)
    assert acd.seat("b").presence is Presence.LOGGED_OUT

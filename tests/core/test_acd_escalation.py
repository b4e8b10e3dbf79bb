"""Escalation steps as data: each widens, raises, announces or overflows, keeping the place."""

from acd.commands import OfferCallback, OverflowToMessage, PlayAnnouncement
from acd.engine import ACD
from acd.events import AgentAnswered, AgentHungUp, AgentLoggedIn, CallArrived, CallbackAccepted
from acd.model import EscalationStep, QueueSpec
from agents.model import AgentSpec
from tests.core.helpers import finished, offers


def agent(agent_id, **skills):
    return AgentSpec(agent_id, skills=skills, wrap_up_seconds=0)


def test_lower_min_proficiency_after_wait():
    q = QueueSpec("en", {"en": 4}, escalation=(EscalationStep(20, min_proficiency=2),))
    acd = ACD([q], [agent("weak", en=2)])
    acd.handle(AgentLoggedIn("weak", ready=True), 0.0)
    assert offers(acd.handle(CallArrived("c1", "en"), 0.0)) == []
    assert acd.next_deadline() == 20.0
    assert offers(acd.on_timer(19.0)) == []
    assert offers(acd.on_timer(20.0)) == [("c1", "weak")]


def test_add_alternative_skill_lets_a_bilingual_agent_take_the_call():
    q = QueueSpec("ja", {"ja": 4}, escalation=(EscalationStep(30, add_alternatives=({"en": 4},)),))
    acd = ACD([q], [agent("en-speaker", en=5)])
    acd.handle(AgentLoggedIn("en-speaker", ready=True), 0.0)
    acd.handle(CallArrived("c1", "ja"), 1.0)
    assert offers(acd.on_timer(31.0)) == [("c1", "en-speaker")]


def test_raise_priority_overtakes_newer_normal_calls_but_not_older_equal():
    steps = (EscalationStep(60, raise_priority=1),)
    acd = ACD([QueueSpec("zh", {"zh": 1}, escalation=steps)], [agent("a", zh=3)])
    acd.handle(CallArrived("old", "zh"), 0.0)
    acd.handle(CallArrived("mid", "zh"), 50.0)
    acd.handle(CallArrived("new", "zh"), 55.0)
    acd.on_timer(60.0)  # old escalates
    acd.on_timer(110.0)  # mid escalates; new not yet (due 115)
    served = []
    out = acd.handle(AgentLoggedIn("a", ready=True), 111.0)
    for t in range(3):
        (call, _), = offers(out)
        served.append(call)
        acd.handle(AgentAnswered("a", call), 112.0 + t)
        out = acd.handle(AgentHungUp("a"), 112.5 + t)
    assert served == ["old", "mid", "new"]


def test_overflow_to_another_queue_keeps_the_original_place():
    q1 = QueueSpec("fund", {"fund": 3}, escalation=(EscalationStep(45, overflow_queue="general"),))
    q2 = QueueSpec("general", {"zh": 1})
    acd = ACD([q1, q2], [agent("a", zh=3)])
    acd.handle(CallArrived("fund-call", "fund"), 0.0)
    acd.handle(CallArrived("general-call", "general"), 10.0)
    acd.on_timer(45.0)
    assert acd.stats["fund"].overflowed == 1 and acd.stats["general"].offered == 2
    (call, _), = offers(acd.handle(AgentLoggedIn("a", ready=True), 50.0))
    assert call == "fund-call"  # waited since 0.0, ahead of the general caller from 10.0


def test_overflow_to_message_ends_the_call_as_overflowed():
    q = QueueSpec("fr", {"fr": 4}, escalation=(EscalationStep(300, overflow_message="leave"),))
    acd = ACD([q], [])
    acd.handle(CallArrived("c1", "fr"), 0.0)
    out = acd.on_timer(300.0)
    assert [c.prompt for c in out if isinstance(c, OverflowToMessage)] == ["leave"]
    (rec,) = finished(out)
    assert (rec.outcome, rec.wait) == ("overflowed", 300.0)
    assert acd.live_calls() == 0 and acd.next_deadline() is None


def test_callback_offer_and_announcement_keep_the_place():
    steps = (EscalationStep(60, announce="busy", offer_callback=True),)
    acd = ACD([QueueSpec("zh", {"zh": 1}, escalation=steps)], [agent("a", zh=3)])
    acd.handle(CallArrived("c1", "zh"), 0.0)
    acd.handle(CallArrived("c2", "zh"), 30.0)
    out = acd.on_timer(60.0)
    assert [type(c) for c in out] == [PlayAnnouncement, OfferCallback]
    acd.handle(CallbackAccepted("c1"), 61.0)
    (offer,) = [c for c in acd.handle(AgentLoggedIn("a", ready=True), 70.0)
                if type(c).__name__ == "OfferCall"]
    assert (offer.call_id, offer.callback) == ("c1", True)


def test_escalation_due_while_ringing_applies_when_the_offer_fails():
    steps = (EscalationStep(5, overflow_message="leave"),)
    q = QueueSpec("zh", {"zh": 1}, ring_timeout_seconds=10, escalation=steps)
    acd = ACD([q], [agent("a", zh=3)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    acd.handle(CallArrived("c1", "zh"), 0.0)
    assert acd.on_timer(5.0) == []  # ringing: nothing happens yet
    out = acd.on_timer(10.0)
    assert [r.outcome for r in finished(out)] == ["overflowed"]


def test_escalation_timer_fires_despite_float_rounding():
    # (24.031490461649103 + 10) - 24.031490461649103 == 9.999999999999996 < 10
    q = QueueSpec("q", {"zh": 3}, escalation=(EscalationStep(10.0, min_proficiency=1),))
    acd = ACD([q], [agent("weak", zh=1)])
    acd.handle(AgentLoggedIn("weak", ready=True), 0.0)
    acd.handle(CallArrived("c1", "q"), 24.031490461649103)
    deadline = acd.next_deadline()
    assert offers(acd.on_timer(deadline)) == [("c1", "weak")]
    assert acd.next_deadline() == deadline + 15.0  # now the ring timeout

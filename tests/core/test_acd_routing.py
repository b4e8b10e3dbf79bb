"""Timeline tests of the ACD's routing rules on a hand-advanced clock."""

import random

import pytest

from acd.engine import ACD, UnknownAgent, UnknownCall, UnknownQueue
from acd.events import (
    AgentAnswered,
    AgentHungUp,
    AgentLoggedIn,
    AgentNotReady,
    AgentReady,
    CallArrived,
    CallerHungUp,
)
from acd.model import QueueSpec
from agents.model import AgentSpec
from agents.seat import IllegalTransition
from tests.core.helpers import finished, login_all, offers


def agent(agent_id, wrap=0.0, **skills):
    return AgentSpec(agent_id, skills=skills, wrap_up_seconds=wrap)


def talk(acd, agent_id, call_id, now):
    acd.handle(AgentAnswered(agent_id, call_id), now)


def test_call_goes_to_an_eligible_agent_only():
    acd = ACD([QueueSpec("en", {"en": 4})], [agent("a", en=3), agent("b", en=4)])
    login_all(acd, ["a", "b"])
    assert offers(acd.handle(CallArrived("c1", "en"), 1.0)) == [("c1", "b")]


def test_no_eligible_agent_means_the_call_waits():
    acd = ACD([QueueSpec("ja", {"ja": 3})], [agent("a", zh=5)])
    login_all(acd, ["a"])
    assert offers(acd.handle(CallArrived("c1", "ja"), 1.0)) == []
    assert acd.waiting_calls() == 1


def test_longest_idle_agent_wins():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3), agent("b", zh=3)])
    acd.handle(AgentLoggedIn("b", ready=True), 0.0)
    acd.handle(AgentLoggedIn("a", ready=True), 5.0)
    assert offers(acd.handle(CallArrived("c1", "zh"), 10.0)) == [("c1", "b")]


def test_most_skilled_wins_then_longest_idle_breaks_ties():
    q = QueueSpec("zh", {"zh": 1, "general": 1}, strategy="most-skilled")
    acd = ACD([q], [agent("a", zh=3, general=3), agent("b", zh=5, general=4),
                    agent("c", zh=5, general=4)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    acd.handle(AgentLoggedIn("c", ready=True), 1.0)
    acd.handle(AgentLoggedIn("b", ready=True), 2.0)
    assert offers(acd.handle(CallArrived("c1", "zh"), 3.0)) == [("c1", "c")]
    assert offers(acd.handle(CallArrived("c2", "zh"), 3.0)) == [("c2", "b")]
    assert offers(acd.handle(CallArrived("c3", "zh"), 3.0)) == [("c3", "a")]


def test_fewest_calls_and_least_talk_time():
    for strategy in ("fewest-calls", "least-talk-time"):
        acd = ACD([QueueSpec("zh", {"zh": 1}, strategy=strategy)],
                  [agent("a", zh=3), agent("b", zh=3)])
        login_all(acd, ["a", "b"])
        # a takes a long call, b a short one, then b takes another short one.
        assert offers(acd.handle(CallArrived("c1", "zh"), 0.0)) == [("c1", "a")]
        assert offers(acd.handle(CallArrived("c2", "zh"), 0.0)) == [("c2", "b")]
        talk(acd, "a", "c1", 1.0)
        talk(acd, "b", "c2", 1.0)
        acd.handle(AgentHungUp("b"), 11.0)
        acd.handle(CallArrived("c3", "zh"), 12.0)
        talk(acd, "b", "c3", 13.0)
        acd.handle(AgentHungUp("b"), 20.0)
        acd.handle(AgentHungUp("a"), 500.0)
        # a: 1 call, 499 s; b: 2 calls, 17 s. a idled last, so longest-idle would pick b.
        expected = "a" if strategy == "fewest-calls" else "b"
        assert offers(acd.handle(CallArrived("c4", "zh"), 600.0)) == [("c4", expected)]


def test_round_robin_rotates_in_roster_order():
    acd = ACD([QueueSpec("zh", {"zh": 1}, strategy="round-robin")],
              [agent(x, zh=3) for x in "abc"])
    login_all(acd, list("cab"))
    picked = []
    for i in range(6):
        (call, who), = offers(acd.handle(CallArrived(f"c{i}", "zh"), float(i)))
        picked.append(who)
        talk(acd, who, call, float(i))
        acd.handle(AgentHungUp(who), float(i) + 0.5)
    assert picked == ["a", "b", "c", "a", "b", "c"]


def test_random_is_reproducible_with_a_seed_and_stays_eligible():
    def run(seed):
        acd = ACD([QueueSpec("zh", {"zh": 2}, strategy="random")],
                  [agent(str(i), zh=1 + i % 3) for i in range(30)], rng=random.Random(seed))
        login_all(acd, [str(i) for i in range(30)])
        return [offers(acd.handle(CallArrived(f"c{i}", "zh"), 1.0))[0][1] for i in range(10)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert all(int(who) % 3 != 0 for who in first)  # proficiency 1 agents never picked


def test_priority_first_then_longest_wait():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3)])
    acd.handle(CallArrived("old", "zh"), 0.0)
    acd.handle(CallArrived("urgent", "zh", priority=2), 5.0)
    acd.handle(CallArrived("newer", "zh"), 6.0)
    order = []
    out = acd.handle(AgentLoggedIn("a", ready=True), 10.0)
    for t in range(3):
        (call, _), = offers(out)
        order.append(call)
        talk(acd, "a", call, 10.0 + t)
        out = acd.handle(AgentHungUp("a"), 10.5 + t)
    assert order == ["urgent", "old", "newer"]


def test_cross_queue_fairness_longest_waiting_eligible_caller_wins():
    acd = ACD([QueueSpec("zh", {"zh": 1}), QueueSpec("en", {"en": 1})],
              [agent("bi", zh=3, en=3)])
    acd.handle(CallArrived("en-1", "en"), 0.0)
    acd.handle(CallArrived("zh-1", "zh"), 1.0)
    acd.handle(CallArrived("en-2", "en"), 2.0)
    acd.handle(CallArrived("zh-2", "zh"), 3.0)
    served = []
    out = acd.handle(AgentLoggedIn("bi", ready=True), 10.0)
    for t in range(4):
        (call, _), = offers(out)
        served.append(call)
        talk(acd, "bi", call, 11.0 + t)
        out = acd.handle(AgentHungUp("bi"), 11.5 + t)
    assert served == ["en-1", "zh-1", "en-2", "zh-2"]


def test_ring_no_answer_makes_agent_not_ready_and_call_keeps_its_place():
    acd = ACD([QueueSpec("zh", {"zh": 1}, ring_timeout_seconds=10)],
              [agent("a", zh=3), agent("b", zh=3)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    assert offers(acd.handle(CallArrived("first", "zh"), 1.0)) == [("first", "a")]
    acd.handle(CallArrived("second", "zh"), 2.0)
    assert acd.next_deadline() == 11.0
    out = acd.on_timer(11.0)
    assert [(c.call_id, c.reason) for c in out if type(c).__name__ == "CancelOffer"] == [
        ("first", "ring-no-answer")]
    seat = acd.seat("a")
    assert (seat.presence.value, seat.reason) == ("not_ready", "no-answer")
    # b logs in: the first caller (who rang a) is still ahead of the second.
    assert offers(acd.handle(AgentLoggedIn("b", ready=True), 12.0)) == [("first", "b")]
    assert acd.stats["zh"].offered == 2


def test_caller_hangs_up_while_waiting_ringing_and_talking():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3)])
    acd.handle(CallArrived("w", "zh"), 0.0)
    (rec,) = finished(acd.handle(CallerHungUp("w"), 4.0))
    assert (rec.outcome, rec.wait) == ("abandoned", 4.0)
    acd.handle(AgentLoggedIn("a", ready=True), 5.0)
    acd.handle(CallArrived("r", "zh"), 6.0)
    acd.handle(CallArrived("next", "zh"), 6.5)
    out = acd.handle(CallerHungUp("r"), 7.0)
    # the ringing agent is released without penalty and takes the next caller
    assert offers(out) == [("next", "a")]
    assert finished(out)[0].outcome == "abandoned"
    talk(acd, "a", "next", 8.0)
    (rec,) = finished(acd.handle(CallerHungUp("next"), 20.0))
    assert (rec.outcome, rec.talk, rec.agent_id) == ("answered", 12.0, "a")
    stats = acd.stats["zh"]
    assert (stats.offered, stats.answered, stats.abandoned) == (3, 1, 2)
    assert acd.live_calls() == 0


def test_agent_logout_while_ringing_requeues_the_call_in_place():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3), agent("b", zh=3)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    acd.handle(CallArrived("c1", "zh"), 1.0)
    acd.handle(CallArrived("c2", "zh"), 2.0)
    out = acd.handle(__import__("acd.events").events.AgentLoggedOut("a"), 3.0)
    assert [c.reason for c in out if type(c).__name__ == "CancelOffer"] == ["agent-logged-out"]
    assert offers(acd.handle(AgentLoggedIn("b", ready=True), 4.0)) == [("c1", "b")]


def test_logout_during_conversation_is_refused_and_changes_nothing():
    from acd.events import AgentLoggedOut

    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    acd.handle(CallArrived("c1", "zh"), 1.0)
    talk(acd, "a", "c1", 2.0)
    with pytest.raises(IllegalTransition):
        acd.handle(AgentLoggedOut("a"), 3.0)
    assert acd.seat("a").activity.value == "on_call"
    assert acd.agent_call("a") == "c1"


def test_answer_for_a_call_not_ringing_here_is_refused():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3), agent("b", zh=3)])
    login_all(acd, ["a", "b"])
    acd.handle(CallArrived("c1", "zh"), 1.0)
    with pytest.raises(IllegalTransition):
        acd.handle(AgentAnswered("b", "c1"), 2.0)
    with pytest.raises(UnknownCall):
        acd.handle(AgentAnswered("a", "nope"), 2.0)
    with pytest.raises(UnknownAgent):
        acd.handle(AgentReady("zz"), 2.0)
    with pytest.raises(UnknownQueue):
        acd.handle(CallArrived("c2", "nope"), 2.0)
    assert acd.live_calls() == 1


def test_wrap_up_timer_and_early_finish():
    from acd.events import WrapUpDone

    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", wrap=30.0, zh=3)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    acd.handle(CallArrived("c1", "zh"), 0.0)
    talk(acd, "a", "c1", 1.0)
    acd.handle(AgentHungUp("a"), 10.0)
    acd.handle(CallArrived("c2", "zh"), 11.0)
    assert acd.next_deadline() == 40.0
    assert offers(acd.on_timer(39.9)) == []
    assert offers(acd.on_timer(40.0)) == [("c2", "a")]
    talk(acd, "a", "c2", 41.0)
    acd.handle(AgentHungUp("a"), 50.0)
    acd.handle(CallArrived("c3", "zh"), 51.0)
    assert offers(acd.handle(WrapUpDone("a"), 55.0)) == [("c3", "a")]
    with pytest.raises(IllegalTransition):
        acd.handle(WrapUpDone("a"), 56.0)


def test_not_ready_agent_gets_no_calls_until_ready():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3)])
    acd.handle(AgentLoggedIn("a", ready=True), 0.0)
    acd.handle(AgentNotReady("a", "lunch"), 1.0)
    assert offers(acd.handle(CallArrived("c1", "zh"), 2.0)) == []
    assert offers(acd.handle(AgentReady("a"), 3.0)) == [("c1", "a")]


def test_agent_logged_in_not_ready_by_default():
    acd = ACD([QueueSpec("zh", {"zh": 1})], [agent("a", zh=3)])
    acd.handle(AgentLoggedIn("a"), 0.0)
    assert offers(acd.handle(CallArrived("c1", "zh"), 1.0)) == []


def test_queue_position_and_estimated_wait_for_announcements():
    acd = ACD([QueueSpec("zh", {"zh": 1}), QueueSpec("en", {"en": 1})],
              [agent("a", wrap=30.0, zh=3), agent("b", wrap=30.0, zh=3), agent("c", en=3)])
    acd.handle(AgentLoggedIn("a"), 0.0)  # logged in, not ready: still serving the queue
    acd.handle(AgentLoggedIn("b"), 0.0)
    for i, (call, priority) in enumerate((("z1", 0), ("z2", 0), ("urgent", 1))):
        acd.handle(CallArrived(call, "zh", priority=priority), float(i))
    acd.handle(CallArrived("e1", "en"), 0.5)  # another queue: never counted ahead
    assert [acd.queue_position(c) for c in ("urgent", "z1", "z2", "e1")] == [1, 2, 3, 1]
    # No answered calls yet: 300 s talk + 30 s wrap-up per call, shared by 2 agents.
    assert acd.estimated_wait("z2") == pytest.approx(3 * 330 / 2)
    assert acd.estimated_wait("e1") is None  # nobody who takes English is logged in
    acd.handle(AgentReady("a"), 10.0)  # a takes the urgent call
    assert acd.queue_position("urgent") is None and acd.queue_position("z1") == 1
    talk(acd, "a", "urgent", 12.0)
    acd.handle(AgentHungUp("a"), 72.0)  # 60 s talk: the estimate follows the queue's AHT
    assert acd.estimated_wait("z1") == pytest.approx(1 * (60 + 30) / 2)


def test_an_idle_agent_for_a_call_is_what_routing_would_offer_it_to_and_asking_changes_nothing():
    acd = ACD([QueueSpec("visits", {"zh": 1})], [agent("a", zh=4), agent("b", zh=3, en=3)])
    login_all(acd, ["a"])
    wants = [None, {"en": 1}, {"en": 4}, {"zh": 4}, {"zh": 5}]
    for round_ in range(3):  # a alone; b signed in too; b busy (buckets exist from round 1 on)
        if round_ == 1:
            login_all(acd, ["b"])
        if round_ == 2:
            acd.handle(CallArrived("busy-b", "visits", requirements={"en": 3}), 2.0)
        fresh = [{f"s{round_}": 0}, {f"s{round_}": 0, "en": 1}]  # buckets not made yet
        for i, extra in enumerate(fresh + wants):
            snapshot = acd.snapshot(3.0)
            answer = acd.idle_agent_for("visits", extra)
            assert acd.snapshot(3.0) == snapshot
            call_id = f"probe-{round_}-{i}"
            offered = offers(acd.handle(CallArrived(call_id, "visits", requirements=extra), 3.0))
            assert answer == bool(offered), (round_, extra)
            acd.handle(CallerHungUp(call_id), 3.0)
    with pytest.raises(UnknownQueue):
        acd.idle_agent_for("nope")

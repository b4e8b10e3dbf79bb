"""The call object through queue, offers, conversation, survey, callbacks, transfers and
hang-ups, with the real ACD on a hand-advanced clock."""

from __future__ import annotations

import pytest

from acd import commands as acd_cmd
from acd.engine import ACD
from acd.events import (
    AgentAnswered,
    AgentDeclined,
    AgentHungUp,
    AgentLost,
    CallbackAccepted,
    CallerHungUp,
)
from calls import commands as c
from calls import events as e
from calls.call import Call
from calls.leg import IllegalTransition, State
from ivr_flows.commands import Number, Prompt
from tests.calls.world import CALLER, World

AGENT, OTHER = "1001", "1002"
NUMBER = "053100100001"


@pytest.fixture
def world():
    return World()


def queued(world: World, line: str = "12345", number: str | None = CALLER):
    """A Mandarin caller on 12345 who waited out the greeting: queued at 4.5 s."""
    call = world.arrive(line, number=number)
    world.finish_play(call, at=3.0)
    world.advance(4.5)
    assert call.state is State.QUEUED
    return call


def talking(world: World, agent: str = AGENT):
    call = queued(world)
    world.login(agent)
    assert call.state is State.OFFERED and world.commands(call)[-1] == c.Dial(c.AGENT, agent)
    world.send(call, e.DialAnswered(c.AGENT, agent), at=10.0)
    assert call.state is State.TALKING
    return call


def test_queued_caller_hears_music_then_place_and_wait_every_interval(world):
    call = queued(world)
    assert world.commands(call)[-2:] == [
        c.StartMoh(), c.ToAcd(world.acd_events(call)[0])]
    assert call.next_deadline() == pytest.approx(34.5)
    world.advance(34.5)
    play = world.playing(call)
    assert play.items[0] == Prompt("please_hold", "zh")
    assert play.items[1:3] == (Prompt("position_in_queue", "zh"), Number("0", "number", "zh"))
    assert call.next_deadline() is None  # the next interval counts from the announcement's end
    world.finish_play(call, at=40.0)
    assert world.commands(call)[-1] == c.StartMoh()
    assert call.next_deadline() == pytest.approx(70.0)


def test_no_announcement_while_a_seat_rings():
    world = World(hold_interval=10.0)
    call = queued(world)
    world.login(AGENT)
    world.advance(14.5)
    assert call.state is State.OFFERED and world.playing(call) is None
    assert call.next_deadline() == pytest.approx(24.5)  # put off by one interval


def test_conversation_then_survey_score_is_recorded(world):
    call = talking(world)
    assert world.commands(call)[-2:] == [c.Bridge(c.AGENT, AGENT),
                                         c.ToAcd(AgentAnswered(AGENT, call.call_id))]
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=70.0)
    assert call.state is State.SURVEY
    assert world.acd_events(call)[-1] == AgentHungUp(AGENT)
    assert world.heard(call)[-1] == "survey_question"
    world.finish_play(call, at=73.0)
    world.keys(call, "5", at=74.0)
    assert world.entries(call, c.Score) == [c.Score("satisfaction", 5, 74.0)]
    world.finish_play(call, at=76.0)
    assert call.state is State.ENDED and world.commands(call)[-1] == c.HangUp("survey done")
    record = world.record(call)
    assert (record.outcome, record.agent_id, record.talk) == ("answered", AGENT, 60.0)
    assert not world.acd_events(call, CallerHungUp)  # the ACD already closed it


def test_caller_hanging_up_in_the_survey_stores_no_score_and_tells_nobody(world):
    call = talking(world)
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=70.0)
    world.send(call, e.CallerGone("caller BYE"), at=71.0)
    assert call.state is State.ENDED and not world.entries(call, c.Score)
    assert not world.commands(call, c.HangUp) and not world.acd_events(call, CallerHungUp)


def test_no_survey_flow_hangs_up_after_the_agent():
    world = World(survey_flow=None)
    call = talking(world)
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=70.0)
    assert call.state is State.ENDED and world.commands(call)[-2] == c.HangUp("agent hung up")


def test_ring_no_answer_goes_back_to_the_queue_and_the_next_seat(world):
    call = queued(world)
    world.login(AGENT, OTHER)
    first = world.commands(call, c.Dial)[-1].target
    world.advance(4.5 + 12.0)  # the ACD's ring timeout
    dials = world.commands(call, c.Dial)
    assert c.Drop(c.AGENT, first) in world.commands(call)
    assert len(dials) == 2 and dials[-1].target != first and call.state is State.OFFERED
    assert call.agent == dials[-1].target


def test_a_seat_that_fails_to_ring_is_declined(world):
    call = queued(world)
    world.login(AGENT)
    world.send(call, e.DialFailed(c.AGENT, AGENT, 486, "Busy Here"), at=6.0)
    assert world.acd_events(call)[-1] == AgentDeclined(AGENT, call.call_id)
    assert call.state in (State.QUEUED, State.OFFERED)


def test_an_answer_after_the_offer_was_cancelled_is_hung_up(world):
    call = queued(world)
    world.login(AGENT)
    world.advance(16.5)  # ring timeout: cancelled, the seat is not ready any more
    out = world.send(call, e.DialAnswered(c.AGENT, AGENT), at=17.0)
    assert out == [c.Drop(c.AGENT, AGENT)] and call.state is State.QUEUED


def test_a_lost_seat_puts_the_caller_back_in_the_queue(world):
    call = talking(world)
    world.send(call, e.PartyGone(c.AGENT, AGENT, lost=True), at=30.0)
    assert world.acd_events(call)[-1] == AgentLost(AGENT, "unreachable")
    assert call.state is State.QUEUED and world.commands(call, c.StartMoh)


def test_refused_answer_keeps_the_caller_waiting(world):
    call = queued(world)
    world.login(AGENT)
    world.advance(16.5)
    world.login(OTHER)
    call.agent = AGENT  # the adapter still believed in the first seat's ring
    call.leg.state = State.OFFERED
    world.send(call, e.DialAnswered(c.AGENT, AGENT), at=17.0)
    assert AgentAnswered(AGENT, call.call_id) in world.refused
    assert c.Drop(c.AGENT, AGENT) in world.commands(call)
    assert call.state in (State.QUEUED, State.OFFERED) and call.agent != AGENT


# ---- hang-ups ------------------------------------------------------------------------------

def test_hang_up_in_the_ivr_closes_the_record_as_abandoned(world):
    call = world.arrive("12345")
    world.send(call, e.CallerGone("caller BYE"), at=1.0)
    assert world.entries(call, c.Closed) == [
        c.Closed("12345", "ivr_abandoned", 0.0, 1.0, "zh")]
    assert not world.commands(call, c.HangUp) and not world.acd_events(call)
    assert call.next_deadline() is None


def test_hang_up_while_queued_is_told_to_the_acd_once(world):
    call = queued(world)
    world.send(call, e.CallerGone("caller BYE"), at=20.0)
    assert world.acd_events(call, CallerHungUp) == [CallerHungUp(call.call_id)]
    assert world.record(call).outcome == "abandoned" and not world.entries(call, c.Closed)


def test_hang_up_while_a_seat_rings_cancels_it(world):
    call = queued(world)
    world.login(AGENT)
    world.send(call, e.CallerGone("caller CANCEL"), at=6.0)
    out = world.commands(call)
    assert out[-2:] == [c.Drop(c.AGENT, AGENT), c.ToAcd(CallerHungUp(call.call_id))]
    assert world.record(call).outcome == "abandoned"


def test_hang_up_while_talking_drops_the_seat_and_ends_the_conversation(world):
    call = talking(world)
    world.send(call, e.CallerGone("caller BYE"), at=40.0)
    assert world.commands(call)[-2:] == [c.Drop(c.AGENT, AGENT),
                                         c.ToAcd(CallerHungUp(call.call_id))]
    assert world.record(call).outcome == "answered"


def test_illegal_events_raise_and_change_nothing(world):
    call = world.arrive("12345")
    with pytest.raises(IllegalTransition):
        call.handle(e.Arrived(), 1.0)
    with pytest.raises(IllegalTransition):
        call.handle(e.TransferRequested(AGENT, "housing-authority", NUMBER), 1.0)
    assert call.state is State.IVR
    world.send(call, e.CallerGone("caller BYE"), at=1.0)
    for event in (e.Digit("1"), e.CallerGone("again"), e.Shutdown()):
        with pytest.raises(IllegalTransition):
            call.handle(event, 2.0)
    assert call.handle(acd_cmd.CancelOffer(call.call_id, AGENT, "x"), 2.0) == []


def test_shutdown_closes_an_ivr_call_as_lost_and_hangs_up(world):
    call = world.arrive("12329")
    world.send(call, e.Shutdown(), at=2.0)
    assert world.entries(call, c.Closed)[0].outcome == "lost"
    assert world.commands(call)[-1] == c.HangUp("engine stopping")


def test_overflow_message_plays_then_the_engine_hangs_up(world):
    call = world.arrive("12345", number=None)
    world.keys(call, "9", at=1.0)
    world.keys(call, "1", at=2.0)
    assert call.state is State.QUEUED and call.language == "en"
    world.advance(2.0 + 300.0)  # en-general leaves the caller a message after 300 s
    assert call.state is State.LEAVING and world.heard(call)[-1] == "leave_message"
    assert world.record(call).outcome == "overflowed"
    world.finish_play(call, at=310.0)
    assert call.state is State.ENDED and world.commands(call)[-1] == c.HangUp("message played")
    assert not world.acd_events(call, CallerHungUp)


# ---- callbacks -----------------------------------------------------------------------------

def offered_callback(world: World, number: str | None = CALLER):
    """zh-general announces "all busy" and offers a callback after 60 s in the queue."""
    call = queued(world, number=number)
    world.advance(60.0)
    world.finish_play(call, at=64.0)  # the place announcement at 34.5
    world.advance(64.5)
    return call


def accepted(world: World):
    call = offered_callback(world)
    world.finish_play(call, at=66.0)
    world.keys(call, "1", at=67.0)
    assert call.state is State.CALLBACK_PENDING
    assert world.acd_events(call)[-1] == CallbackAccepted(call.call_id)
    world.finish_play(call, at=70.0)  # "we will call you back", then the engine hangs up
    assert world.commands(call)[-1] == c.HangUp("callback accepted")
    assert call.state is State.CALLBACK_PENDING and not call.caller_present
    return call


def test_declining_the_callback_goes_back_to_music(world):
    call = offered_callback(world)
    assert call.state is State.CALLBACK_OFFER and world.heard(call)[-1] == "all_busy_callback"
    world.finish_play(call, at=66.0)
    world.keys(call, "2", at=67.0)
    world.finish_play(call, at=69.0)  # "please hold"
    assert call.state is State.QUEUED and world.commands(call)[-1] == c.StartMoh()
    assert not world.acd_events(call, CallbackAccepted)


def test_no_callback_is_offered_to_a_caller_without_a_number(world):
    call = offered_callback(world, number=None)
    assert call.state is State.QUEUED and "all_busy_callback" not in world.heard(call)


def test_accepted_callback_rings_a_seat_then_dials_the_caller_back(world):
    call = accepted(world)
    assert call.next_deadline() is None and world.record(call) is None  # keeps its place
    world.login(AGENT)
    assert call.state is State.CALLBACK_OFFERED
    world.send(call, e.DialAnswered(c.AGENT, AGENT), at=75.0)
    assert call.state is State.DIALLING_BACK
    assert world.commands(call)[-2] == c.Dial(c.CALLBACK, call.call_id, CALLER)
    world.send(call, e.DialAnswered(c.CALLBACK, call.call_id), at=85.0)
    assert call.state is State.TALKING and world.commands(call)[-1] == c.Bridge(c.AGENT, AGENT)
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=200.0)
    assert call.state is State.SURVEY
    record = world.record(call)
    assert record.callback and record.outcome == "answered"


@pytest.mark.parametrize("how", ["rejected", "no answer"])
def test_a_callback_nobody_answers_ends_the_agents_call(world, how):
    call = accepted(world)
    world.login(AGENT)
    world.send(call, e.DialAnswered(c.AGENT, AGENT), at=75.0)
    if how == "rejected":
        world.send(call, e.DialFailed(c.CALLBACK, call.call_id, 486, "Busy Here"), at=78.0)
    else:
        world.advance(75.0 + 30.0)
    assert call.state is State.ENDED
    assert world.commands(call)[-3:] == [c.Drop(c.AGENT, AGENT), c.Drop(c.CALLBACK, call.call_id),
                                         c.ToAcd(AgentHungUp(AGENT))]
    assert not world.commands(call, c.HangUp)[1:]  # only the one after accepting


def test_an_agent_free_while_the_caller_still_listens_takes_the_call_directly(world):
    call = offered_callback(world)
    world.finish_play(call, at=66.0)
    world.keys(call, "1", at=67.0)
    world.login(AGENT)
    assert call.state is State.OFFERED and call.caller_present
    assert isinstance(world.commands(call)[-2], c.StopPlay)
    world.send(call, e.DialAnswered(c.AGENT, AGENT), at=70.0)
    assert call.state is State.TALKING and world.commands(call)[-2] == c.Bridge(c.AGENT, AGENT)


# ---- transfers -----------------------------------------------------------------------------

def transferring(world: World):
    call = talking(world)
    world.send(call, e.TransferRequested(AGENT, "housing-authority", NUMBER), at=30.0)
    assert call.state is State.TRANSFERRING
    assert world.commands(call)[-1] == c.Dial(c.DEPARTMENT, "housing-authority", NUMBER)
    return call


def test_agent_transfer_answered_releases_the_seat(world):
    call = transferring(world)
    world.send(call, e.DialAnswered(c.DEPARTMENT, "housing-authority"), at=40.0)
    assert call.state is State.TRANSFERRED
    assert world.commands(call)[-4:] == [
        c.Bridge(c.DEPARTMENT, "housing-authority"), c.TransferResult(AGENT, 200, "OK"),
        c.Drop(c.AGENT, AGENT), c.ToAcd(AgentHungUp(AGENT, "housing-authority"))]
    assert world.record(call).transferred_to == "housing-authority"
    world.send(call, e.PartyGone(c.DEPARTMENT, "housing-authority"), at=90.0)
    assert call.state is State.ENDED and world.commands(call)[-1] == c.HangUp("department hung up")


def test_agent_transfer_refused_leaves_the_caller_with_the_agent(world):
    call = transferring(world)
    world.send(call, e.DialFailed(c.DEPARTMENT, "housing-authority", 486, "Busy Here"), at=35.0)
    assert call.state is State.TALKING and call.agent == AGENT
    assert world.commands(call)[-1] == c.TransferResult(AGENT, 486, "Busy Here")


def test_department_ring_timeout_is_a_failed_transfer(world):
    call = transferring(world)
    world.advance(30.0 + 60.0)
    assert world.commands(call)[-2:] == [c.Drop(c.DEPARTMENT, "housing-authority"),
                                         c.TransferResult(AGENT, 408, "Request Timeout")]
    assert call.state is State.TALKING


def test_seat_leaving_after_its_transfer_leaves_the_caller_waiting(world):
    call = transferring(world)
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=31.0)
    assert call.state is State.TRANSFERRING and world.heard(call)[-1] == "transferring"
    assert world.acd_events(call)[-1] == AgentHungUp(AGENT, "housing-authority")
    world.send(call, e.DialFailed(c.DEPARTMENT, "housing-authority", 480), at=40.0)
    assert call.state is State.LEAVING and world.heard(call)[-1] == "service_unavailable"
    world.finish_play(call, at=43.0)
    assert call.state is State.ENDED and not world.acd_events(call, CallerHungUp)


def test_caller_hanging_up_during_a_transfer_cancels_the_department(world):
    call = transferring(world)
    world.send(call, e.CallerGone("caller BYE"), at=33.0)
    out = world.commands(call)
    assert c.Drop(c.DEPARTMENT, "housing-authority") in out and c.Drop(c.AGENT, AGENT) in out


def test_transfer_by_someone_else_is_refused(world):
    call = talking(world)
    with pytest.raises(IllegalTransition):
        call.handle(e.TransferRequested(OTHER, "housing-authority", NUMBER), 30.0)
    assert call.state is State.TALKING and call.department is None


# ---- the three-way call (三方通话) ---------------------------------------------------------

def conference(world: World):
    call = talking(world)
    world.send(call, e.ThreeWayRequested(AGENT, "housing-authority", NUMBER), at=30.0)
    assert call.state is State.TRANSFERRING
    assert world.commands(call)[-1] == c.Dial(c.DEPARTMENT, "housing-authority", NUMBER)
    world.send(call, e.DialAnswered(c.DEPARTMENT, "housing-authority"), at=40.0)
    assert call.state is State.CONFERENCE and call.agent == AGENT
    assert world.commands(call)[-1] == c.Conference(((c.AGENT, AGENT), (c.DEPARTMENT, "housing-authority")))
    assert not world.acd_events(call, AgentHungUp)  # the seat is still on the call
    return call


def test_the_agent_leaves_the_three_way_call_and_the_others_talk_on(world):
    call = conference(world)
    with pytest.raises(IllegalTransition):
        call.handle(e.AgentLeaves(OTHER), 50.0)
    world.send(call, e.AgentLeaves(AGENT), at=50.0)
    assert call.state is State.TRANSFERRED and call.agent is None
    assert world.commands(call)[-3:] == [c.Drop(c.AGENT, AGENT), c.Bridge(c.DEPARTMENT, "housing-authority"),
                                         c.ToAcd(AgentHungUp(AGENT, "housing-authority"))]
    world.send(call, e.CallerGone("caller BYE"), at=90.0)
    assert call.state is State.ENDED and world.commands(call)[-1] == c.Drop(c.DEPARTMENT, "housing-authority")
    assert world.record(call).transferred_to == "housing-authority"


def test_the_department_leaving_gives_the_caller_back_to_the_agent(world):
    call = conference(world)
    world.send(call, e.PartyGone(c.DEPARTMENT, "housing-authority"), at=60.0)
    assert call.state is State.TALKING and call.agent == AGENT and call.department is None
    assert world.commands(call)[-1] == c.Bridge(c.AGENT, AGENT)
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=70.0)  # then an ordinary hang-up
    assert world.acd_events(call)[-1] == AgentHungUp(AGENT, None)


def test_a_three_way_call_the_department_refuses_leaves_the_conversation_as_it_was(world):
    call = talking(world)
    world.send(call, e.ThreeWayRequested(AGENT, "housing-authority", NUMBER), at=30.0)
    world.send(call, e.DialFailed(c.DEPARTMENT, "housing-authority", 486, "Busy Here"), at=35.0)
    assert call.state is State.TALKING and call.agent == AGENT and not call.three_way
    assert not [x for x in world.commands(call) if isinstance(x, c.TransferResult)]  # no REFER to answer
    with pytest.raises(IllegalTransition):
        call.handle(e.AgentLeaves(AGENT), 36.0)  # there is no three-way call to leave


def test_caller_hanging_up_ends_the_three_way_call_for_everyone(world):
    call = conference(world)
    world.send(call, e.CallerGone("caller BYE"), at=60.0)
    out = world.commands(call)
    assert c.Drop(c.DEPARTMENT, "housing-authority") in out and c.Drop(c.AGENT, AGENT) in out
    assert call.state is State.ENDED and world.acd_events(call)[-1] == CallerHungUp(call.call_id)


def test_a_call_the_acd_refuses_is_hung_up_and_closed_in_the_ivr(world):
    world.acd = ACD([q for q in world.config.queue_specs() if q.name == "en-general"])
    call = world.arrive("12315")
    world.finish_play(call, at=4.0)
    assert world.refused == [world.acd_events(call)[0]]
    assert call.state is State.ENDED and world.commands(call)[-1] == c.HangUp(
        "the ACD refused the call")
    assert world.entries(call, c.Closed)[0].outcome == "self_service"


def test_a_call_the_engine_places_starts_with_its_variables_and_keeps_no_record_of_its_own(world):
    """A return visit: the flow reads the case number given at the start, in the call's
    language; the answers are scores; the call opens and closes no record."""
    call = Call("out-1", "12345", "return_visit", world.settings, language="zh",
                variables={"line": "12345", "case_number": "2024001"}, recorded=False)
    world.calls[call.call_id] = call
    world.send(call, e.Arrived())
    intro = world.commands(call, c.Play)[0]
    assert Number("2024001", "digits", "zh") in intro.items
    world.finish_play(call, at=8.0)
    world.finish_play(call, at=10.0)
    world.keys(call, "1", at=11.0)  # solved
    world.finish_play(call, at=13.0)
    world.keys(call, "2", at=14.0)  # not satisfied
    assert call.scores == {"solved": 1, "satisfied": 2}
    world.advance(60.0)
    assert call.ended and not world.entries(call, c.Opened) and not world.entries(call, c.Closed)

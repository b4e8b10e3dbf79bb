"""An agent's outbound task as a call object, through the real ACD: the seat rings first
(progressive: as soon as the ACD offers the task; preview: once the agent starts it), then
the citizen's number is dialled and bridged; no survey follows; the seat wraps up."""

from __future__ import annotations

import random

import pytest

from acd.engine import ACD
from acd.events import AgentAnswered, AgentHungUp, CallArrived
from acd.model import QueueSpec
from agents.seat import Activity
from calls import commands as c
from calls import events as e
from calls.call import Call
from calls.leg import IllegalTransition, State
from tests.calls.world import World

QUEUE, AGENT, CITIZEN, TASK = "outbound-agent", "1002", "13500135000", "outbound:return_visit-1"


@pytest.fixture
def world() -> World:
    world = World()
    world.acd = ACD([*world.config.queue_specs(), QueueSpec(QUEUE, {})], world.config.agent_specs(),
                    rng=random.Random(7))
    return world


def placed(world: World, *, preview: bool = False) -> Call:
    """The task enters the ACD as the blending gate puts it there, needing the line's skills."""
    call = Call(TASK, "12345", "", world.settings, language="zh", recorded=False)
    world.calls[call.call_id] = call
    assert world.send(call, e.TaskPlaced(CITIZEN, preview=preview)) == []
    assert call.state is State.CALLBACK_PENDING and not call.caller_present
    world._acd_out(world.acd.handle(CallArrived(TASK, QUEUE, -1000, world.now, "zh", "12345",
                                                {"zh": 3, "general": 2}), world.now))
    return call


def test_progressive_rings_the_seat_then_dials_the_citizen_and_wraps_up(world):
    world.login(AGENT)
    call = placed(world)
    assert call.state is State.CALLBACK_OFFERED and world.commands(call) == [c.Dial(c.AGENT, AGENT)]
    world.send(call, e.DialAnswered(c.AGENT, AGENT), at=5.0)
    assert call.state is State.DIALLING_BACK
    assert world.commands(call)[-2:] == [c.Dial(c.CALLBACK, TASK, CITIZEN),
                                         c.ToAcd(AgentAnswered(AGENT, TASK))]
    world.send(call, e.DialAnswered(c.CALLBACK, TASK), at=12.0)
    assert call.state is State.TALKING and world.commands(call)[-1] == c.Bridge(c.AGENT, AGENT)
    world.send(call, e.PartyGone(c.AGENT, AGENT), at=100.0)
    assert call.state is State.ENDED and not world.heard(call)  # no survey for the citizen
    assert world.commands(call)[-2:] == [c.HangUp("agent hung up"), c.ToAcd(AgentHungUp(AGENT))]
    assert world.acd.seat(AGENT).activity is Activity.WRAP_UP


def test_a_busy_citizen_ends_the_agents_call_into_wrap_up(world):
    world.login(AGENT)
    call = placed(world)
    world.send(call, e.DialAnswered(c.AGENT, AGENT), at=5.0)
    world.send(call, e.DialFailed(c.CALLBACK, TASK, 486, "Busy Here"), at=7.0)
    assert call.state is State.ENDED and call.cause == "callback failed: 486 Busy Here"
    assert world.acd.seat(AGENT).activity is Activity.WRAP_UP


def test_preview_rings_the_seat_only_when_its_agent_starts_the_call(world):
    world.login(AGENT, "1003")
    call = placed(world, preview=True)
    agent = call.agent
    assert call.state is State.CALLBACK_OFFERED and call.awaiting_agent and not world.commands(call)
    other = "1003" if agent != "1003" else AGENT
    with pytest.raises(IllegalTransition):
        world.send(call, e.PreviewCall(other))
    assert call.awaiting_agent and not world.commands(call)  # nothing changed
    world.send(call, e.PreviewCall(agent), at=10.0)
    assert world.commands(call) == [c.Dial(c.AGENT, agent)] and not call.awaiting_agent
    with pytest.raises(IllegalTransition):
        world.send(call, e.PreviewCall(agent))  # once


def test_a_preview_the_agent_lets_ring_out_waits_again(world):
    world.login(AGENT)
    call = placed(world, preview=True)
    world.advance(world.now + 200.0)  # the queue's ring timeout: the offer is cancelled
    assert call.state is State.CALLBACK_PENDING and not call.awaiting_agent and call.agent is None

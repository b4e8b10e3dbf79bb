"""Random event sequences against one call and the real ACD: a refused event changes nothing,
and whatever happens the call ends with nothing left behind in the ACD or the records."""

from __future__ import annotations

import copy
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.events import CallerHungUp
from calls import commands as c
from calls import events as e
from calls.leg import IllegalTransition, State
from tests.calls.world import World

AGENTS = ("1001", "1002")
DEPARTMENT = ("housing-authority", "053100100001")
KINDS = (c.AGENT, c.DEPARTMENT, c.CALLBACK)

targets = st.sampled_from((*AGENTS, DEPARTMENT[0], "c1"))
actions = st.one_of(
    st.tuples(st.just("wait"), st.floats(0.1, 90.0)),
    st.tuples(st.just("login"), st.sampled_from(AGENTS)),
    st.tuples(st.just("event"), st.one_of(
        st.builds(e.Digit, st.sampled_from("0123456789*#")),
        st.builds(e.PlayDone, st.integers(1, 12)),
        st.builds(e.DialAnswered, st.sampled_from(KINDS), targets),
        st.builds(e.DialFailed, st.sampled_from(KINDS), targets),
        st.builds(e.PartyGone, st.sampled_from(KINDS), targets, st.booleans()),
        st.builds(e.TransferRequested, st.sampled_from(AGENTS), st.just(DEPARTMENT[0]),
                  st.just(DEPARTMENT[1])),
        st.builds(e.ThreeWayRequested, st.sampled_from(AGENTS), st.just(DEPARTMENT[0]),
                  st.just(DEPARTMENT[1])),
        st.builds(e.AgentLeaves, st.sampled_from(AGENTS)),
        st.builds(e.CallerGone, st.just("caller BYE")),
        st.builds(e.Arrived),
    )),
)


def snapshot(call) -> dict:
    """Everything the call holds (its flows by identity and progress)."""
    skip = ("settings", "run", "ivr", "leg", "_plays")
    state = copy.deepcopy({k: v for k, v in vars(call).items() if k not in skip})
    state["leg"] = (call.leg.state, call.leg.since)
    state["runs"] = [(id(run), run.node, len(run.path), run.finished, run.next_deadline())
                     for run in (call.run, call.ivr) if run is not None]
    state["plays"] = {k: (id(run), inner) for k, (run, inner) in call._plays.items()}
    return state


@settings(max_examples=int(os.environ.get("CALLS_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(line=st.sampled_from(("12345", "12315", "12329")), steps=st.lists(actions, max_size=30),
       number=st.sampled_from((None, "13800138000")))
def test_random_events_refused_change_nothing_and_the_call_ends_clean(line, steps, number):
    world = World()
    call = world.arrive(line, number=number)
    for kind, value in steps:
        if kind == "wait":
            world.advance(world.now + value)
        elif kind == "login":
            world.login(value)
        else:
            before = snapshot(call)
            try:
                world.send(call, value)
            except IllegalTransition:
                assert snapshot(call) == before, value
        if call.ended:
            assert call.next_deadline() is None
    if not call.ended:
        world.send(call, e.Shutdown())
    assert call.state is State.ENDED
    assert world.acd.call_state(call.call_id) is None  # nothing stuck in the ACD
    assert len(world.acd_events(call, CallerHungUp)) <= 1
    closed = world.entries(call, c.Closed)
    assert len(world.entries(call, c.Opened)) == 1
    assert len(closed) + (world.record(call) is not None) == 1  # exactly one record closes it
    hang_ups = world.commands(call, c.HangUp)
    assert len(hang_ups) <= 1

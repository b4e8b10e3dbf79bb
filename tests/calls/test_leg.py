"""The caller leg's transition table: what is legal, what is refused, and that a refusal
changes nothing."""

from __future__ import annotations

import pytest

from calls.leg import _TABLE, EVENTS, IllegalTransition, Leg, State


def leg_in(state: State) -> Leg:
    leg = Leg("c1")
    leg.state = state
    return leg


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", sorted(EVENTS | {"no-such-event"}))
def test_every_event_in_every_state_follows_the_table_or_changes_nothing(state, event):
    leg = leg_in(state)
    leg.since = 5.0
    target = _TABLE.get((event, state))
    if target is None:
        with pytest.raises(IllegalTransition, match=state.value):
            leg.apply(event, 9.0)
        assert (leg.state, leg.since) == (state, 5.0)
    else:
        assert leg.apply(event, 9.0) is target
        assert (leg.state, leg.since) == (target, 9.0)


def test_ended_is_final_and_every_other_state_can_end():
    assert not [key for key in _TABLE if key[1] is State.ENDED]
    for state in State:
        if state is not State.ENDED:
            assert _TABLE[("end", state)] is State.ENDED


def test_every_state_is_reachable_from_ringing():
    seen, todo = {State.RINGING}, [State.RINGING]
    while todo:
        state = todo.pop()
        for (_, source), target in _TABLE.items():
            if source is state and target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(State)

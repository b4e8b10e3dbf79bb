"""The rule from a dialer's answered call to the task's outcome, on real call objects playing the
shipped return-visit and missed-call flows (no sockets): both telephony paths use it."""

from __future__ import annotations

from calls import events as e
from calls.call import Call
from outbound.model import Answers, CallOutcome, Kind
from outbound.results import call_result
from tests.calls.world import World


def _answered(world: World, flow: str) -> Call:
    call = Call(f"v-{flow}-{len(world.calls)}", "12345", flow, world.settings,
                variables={"line": "12345", "case_number": "7"}, recorded=flow == "missed_callback")
    world.calls[call.call_id] = call
    world.send(call, e.Arrived(caller=None, number=None))
    return call


def _answer(world: World, call: Call, keys: str) -> None:
    """Each prompt plays to its end, then the citizen keys in the next answer."""
    for key in keys:
        world.finish_play(call)
        world.keys(call, key)


def test_a_survey_call_reached_the_citizen_only_if_both_questions_were_answered() -> None:
    world = World()
    both = _answered(world, "return_visit")
    _answer(world, both, "12")
    assert call_result(Kind.RETURN_VISIT, both) == (CallOutcome.ANSWERED, Answers(True, False))
    one = _answered(world, "return_visit")
    _answer(world, one, "1")
    world.send(one, e.CallerGone("hung up"))
    assert call_result(Kind.REVISIT, one) == (CallOutcome.SILENT, None)
    assert call_result(Kind.RETURN_VISIT, None) == (CallOutcome.SILENT, None)


def test_a_callback_reached_the_citizen_only_if_they_heard_the_offer_to_its_end() -> None:
    world = World()
    chose = _answered(world, "missed_callback")
    _answer(world, chose, "1")  # an agent: the flow routes them to the queue
    assert call_result(Kind.MISSED_CALL, chose) == (CallOutcome.ANSWERED, None)
    left = _answered(world, "missed_callback")
    world.send(left, e.CallerGone("hung up"))  # hung up during the offer
    assert call_result(Kind.MISSED_CALL, left) == (CallOutcome.SILENT, None)
    assert call_result(Kind.MISSED_CALL, None) == (CallOutcome.SILENT, None)

"""Callbacks over Asterisk, as on the embedded engine: a waiting caller accepts the offer and
hangs up keeping their place; the offered seat rings by AMI Originate (outcomes as recorded in
``live/ami_originate_to_seat.txt``), and its answered channel calls the caller back through the
trunk, showing the line's number. Only a caller ID that came in on the trunk (its channel, in
the lines context) is called back."""

from __future__ import annotations

import asyncio

import pytest

from acd.commands import OfferCallback
from acd.events import (
    AgentAnswered,
    AgentDeclined,
    AgentHungUp,
    AgentLoggedIn,
    CallbackAccepted,
    CallerHungUp,
)
from callcenter.asterisk import AGIEnvironment, AMIMessage
from callcenter.asterisk.ami_originate import outcome_from_event
from callcenter.asterisk.transcripts import RECEIVED, agi_script, ami_blocks
from callcenter.asterisk_engine.callbacks import callback_number, trunk_number
from callcenter.asterisk_engine.dial_ends import DIAL_ENDS, dial_end
from callcenter.asterisk_engine.dialplan import LINES_CONTEXT
from calls.commands import CALLBACK
from calls.events import DialFailed
from calls.leg import State

from ..asterisk.fixtures import transcript
from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel, dial_target

pytestmark = pytest.mark.timeout(30)
NUMBER = "13812345678"


def recorded_outcome(action_id: str):
    """The recorded answer to an Originate of a seat: ``orig-seat-1001`` answered (Reason 4),
    ``orig-seat-1040`` unregistered (Failure, Reason 0), after 'originate' was granted."""
    blocks = [b for b in ami_blocks(transcript("live/ami_originate_to_seat.txt").lines)
              if b.direction == RECEIVED and b.get("ActionID") == action_id]
    response = next(b for b in blocks if b.get("Response") == "Success" and not b.get("Event"))
    event = next(b for b in blocks if b.get("Event") == "OriginateResponse")
    return outcome_from_event(AMIMessage.of(*response.headers()), AMIMessage.of(*event.headers()))


def test_only_the_callers_own_mainland_number_is_called_back():
    assert callback_number("13812345678") == "13812345678"
    assert callback_number("+8613812345678") == "13812345678"
    assert callback_number("01012345678") == "01012345678"
    for other in ("13800001", "anonymous", "", "0013812345678", "138-1234-5678", "sip:1@evil"):
        assert callback_number(other) is None


def recorded_env(section: int, callerid: str) -> AGIEnvironment:
    """The ``agi_*`` block Asterisk 23 sent on connection ``section`` of a trunk caller's call
    (``live/agi_12345_to_agent.txt``: 0 the caller's channel, 1 the answering seat's), with a
    mobile number for a caller ID (the recorded one, ``13800001``, is no phone number)."""
    lines = agi_script(transcript("live/agi_12345_to_agent.txt").sections[section]).environment
    pairs = [tuple(line.partition(": ")[::2]) for line in lines]
    return AGIEnvironment.from_pairs([(k, callerid if k == "agi_callerid" else v) for k, v in pairs])


def test_a_caller_id_is_believed_on_the_trunks_channel_in_the_lines_context_as_asterisk_sent_them():
    caller, seat = recorded_env(0, NUMBER), recorded_env(1, NUMBER)
    assert (caller.channel, caller.context) == ("PJSIP/trunk-00000003", LINES_CONTEXT)
    assert trunk_number(caller, "trunk") == NUMBER
    assert trunk_number(caller, "carrier") is None  # another trunk's name: not this channel
    assert trunk_number(seat, "trunk") is None  # PJSIP/1026-..., callcenter-answered
    assert trunk_number(recorded_env(0, "13800001"), "trunk") is None


def run_callback(outcome_id: str, *, callerid: str = NUMBER, status: str = "ANSWER"):
    """A caller on 12345 waits with nobody logged in; the ACD offers a callback, the caller
    presses 1 and hangs up; then 1001 logs in and is offered the call; the seat's Dial of the
    caller ends with ``status``."""

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        flow = running.flow
        rung: list[tuple[str, dict]] = []
        dials: list[list[str]] = []

        async def originate(channel, **options):
            rung.append((channel, options))
            return recorded_outcome(outcome_id)

        flow.callbacks.originate = originate
        flow.callbacks.agi_url = f"agi://127.0.0.1:{running.port}"
        caller = FakeChannel(running.port, "12345", callerid=callerid,
                             keys=[("STREAM FILE callcenter/all_busy_callback", "1")])
        task = asyncio.create_task(caller.run())
        await wait_for(lambda: caller.commands.count("EXEC StartMusicOnHold default") >= 1
                       and parts.acd.call_state(caller.uniqueid) is not None)
        flow.sink([OfferCallback(caller.uniqueid, "zh-general")])  # as the ACD's escalation does
        await task
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        await wait_for(lambda: rung)
        if outcome_id == "orig-seat-1001":  # Asterisk runs our AGI on the answered seat channel
            async def called_back(channel, words):
                dials.append(words)
                channel.variables["DIALSTATUS"] = status
                if status != "ANSWER":
                    return ["200 result=0"]
                await asyncio.sleep(0.2)
                return ["200 result=-1"]

            seat = FakeChannel(running.port, f"callback/{caller.uniqueid}", channel="PJSIP/1001",
                               dial=called_back)
            await seat.run()
            await wait_for(lambda: parts.records)
        else:
            await wait_for(lambda: parts.submitted(AgentDeclined))
        await running.server.close()
        return parts, caller, rung, dials, seat if dials else None

    return asyncio.run(scenario())


def test_an_accepted_callback_rings_the_seat_then_calls_the_caller_back_through_the_trunk():
    parts, caller, rung, dials, seat = run_callback("orig-seat-1001")
    # nobody abandoned: the one hang-up is the called-back caller's, who left the seat first
    ends = [type(e) for e in parts.events if isinstance(e, (CallbackAccepted, AgentAnswered, CallerHungUp))]
    assert ends == [CallbackAccepted, AgentAnswered, CallerHungUp]
    assert any(c.startswith("STREAM FILE callcenter/callback_confirmed") for c in caller.commands)
    ((channel, options),) = rung
    assert channel == "PJSIP/1001" and options["application"] == "AGI"
    assert options["data"].endswith(f"/callback/{caller.uniqueid}")
    assert options["timeout_ms"] == 12_000 and NUMBER in options["caller_id"]
    ((dial),) = dials
    assert dial_target(dial) == (f"{NUMBER}@trunk", 30.0)  # the caller's own number, the trunk
    assert seat.variables["CALLERID(num)"] == "12345"  # the line's number is shown
    (record,) = parts.records
    assert (record.outcome, record.agent_id, record.callback) == ("answered", "1001", True)
    assert parts.acd.seat("1001").activity.value == "wrap_up"


@pytest.mark.parametrize("status", [*sorted(DIAL_ENDS.keys() - {"ANSWER"}), ""])
def test_a_caller_not_reached_again_ends_the_callback_as_the_one_table_says(status, dial_failures):
    parts, caller, _, dials, seat = run_callback("orig-seat-1001", status=status)
    assert len(dials) == 1 and seat.commands[-1] == "HANGUP"
    assert dial_failures == [DialFailed(CALLBACK, caller.uniqueid, dial_end(status).status,
                                        status or "no status")]
    (record,) = parts.records
    assert (record.agent_id, record.callback) == ("1001", True)
    assert parts.acd.seat("1001").activity.value == "wrap_up"


def test_a_seat_that_cannot_be_rung_declines_and_the_call_keeps_its_place():
    parts, caller, rung, _, _ = run_callback("orig-seat-1040")
    (declined,) = parts.submitted(AgentDeclined)
    assert declined.call_id == caller.uniqueid and declined.agent_id == "1001"
    assert parts.acd.seat("1001").reason == "declined"
    assert parts.acd.call_state(caller.uniqueid) is not None and parts.records == []


def offer_refused(callerid: str, *, ami_up: bool = True, channel: str = "PJSIP/trunk",
                  context: str = LINES_CONTEXT):
    """The ACD offers a callback to a waiting caller (on ``channel`` in ``context``), who then
    hangs up; what they heard."""

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        callbacks = running.flow.callbacks
        callbacks.originate, callbacks.agi_url = (lambda *a, **k: None), "agi://127.0.0.1:1"
        callbacks.connected = lambda: ami_up
        caller = FakeChannel(running.port, "12345", callerid=callerid, channel=channel, context=context,
                             keys=[("STREAM FILE callcenter/all_busy_callback", "1")])
        task = asyncio.create_task(caller.run())
        await wait_for(lambda: parts.acd.call_state(caller.uniqueid) is not None)
        running.flow.sink([OfferCallback(caller.uniqueid, "zh-general")])  # queued before the hang-up
        state = running.flow.calls[caller.uniqueid].call.state  # the offer is taken up at once
        caller.hang_up()
        await task
        await running.server.close()
        return parts, caller, state

    parts, caller, state = asyncio.run(scenario())
    assert state is State.QUEUED  # not CALLBACK_OFFER
    assert not any("all_busy_callback" in c for c in caller.commands)
    assert parts.count(CallbackAccepted) == 0 and parts.count(CallerHungUp) == 1


def test_no_callback_is_offered_to_a_caller_without_a_phone_number():
    offer_refused("13800001")


@pytest.mark.parametrize("channel, context", [
    ("PJSIP/1001", LINES_CONTEXT),  # a seat's endpoint (trust_id_inbound=no)
    ("PJSIP/trunk-1-0000000a", LINES_CONTEXT),  # an endpoint named like the trunk
    ("PJSIP/trunk", "from-internal"),  # the trunk's channel in a dialplan of someone else's
])
def test_no_callback_is_offered_to_a_caller_id_that_did_not_come_in_on_the_trunk(channel, context):
    offer_refused(NUMBER, channel=channel, context=context)


def test_no_callback_is_offered_while_ami_is_down():
    """A seat rung for a callback through a dead AMI link would be marked as declining."""
    offer_refused(NUMBER, ami_up=False)


def test_a_called_back_caller_rates_the_call_once_the_seat_hangs_up():
    """The seat's Dial of the caller runs the answered hook on the caller's channel and, when
    the seat hangs up, sends the caller on to ``survey/<call id>`` (``F()``), as Asterisk's Dial
    does with a calling channel that hangs up; there the call object's survey runs."""

    async def scenario():
        parts = engine_parts()
        scores: list[tuple[str, int]] = []
        running = await start(parts, on_score=lambda call_id, score, at: scores.append((call_id, score)))
        flow = running.flow
        rung: list[str] = []

        async def originate(channel, **options):
            rung.append(channel)
            return recorded_outcome("orig-seat-1001")

        flow.callbacks.originate = originate
        flow.callbacks.agi_url = f"agi://127.0.0.1:{running.port}"
        caller = FakeChannel(running.port, "12345", callerid=NUMBER,
                             keys=[("STREAM FILE callcenter/all_busy_callback", "1")])
        task = asyncio.create_task(caller.run())
        await wait_for(lambda: parts.acd.call_state(caller.uniqueid) is not None)
        flow.sink([OfferCallback(caller.uniqueid, "zh-general")])
        await task
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        await wait_for(lambda: rung)
        called = FakeChannel(running.port, f"survey/{caller.uniqueid}", channel="PJSIP/trunk",
                             keys=[("STREAM FILE callcenter/survey_question", "4")])
        dials: list[list[str]] = []
        hooks: list[FakeChannel] = []
        surveys: list[asyncio.Task] = []

        async def caller_answers_then_seat_hangs_up(seat, words):
            dials.append(words)
            hook = FakeChannel(running.port, f"answered/{caller.uniqueid}", channel=called.channel)
            hooks.append(hook)
            await hook.run()  # U(): the caller picked up
            seat.variables["DIALSTATUS"] = "ANSWER"
            await asyncio.sleep(0.2)  # talk
            seat.dead = True  # the seat hangs up; F() sends the caller on to the survey
            seat.gone.set()
            surveys.append(asyncio.create_task(called.run()))
            return ["200 result=-1", "HANGUP"]

        seat = FakeChannel(running.port, f"callback/{caller.uniqueid}", channel="PJSIP/1001",
                           dial=caller_answers_then_seat_hangs_up)
        await seat.run()
        await asyncio.gather(*surveys)
        await wait_for(lambda: parts.records and caller.uniqueid not in flow.calls)
        await running.server.close()
        return parts, caller, called, dials, hooks, scores

    parts, caller, called, dials, hooks, scores = asyncio.run(scenario())
    ((dial),) = dials
    assert dial[2] == (f"PJSIP/{NUMBER}@trunk,30,U(callcenter-answered^{caller.uniqueid})"
                       f"F(callcenter-survey^{caller.uniqueid}^1)")
    assert "GOSUB_RESULT" not in hooks[0].variables  # the answer was taken
    assert scores == [(caller.uniqueid, 4)]
    assert called.variables["CALLCENTER_SCORE_SATISFACTION"] == "4"
    assert 'STREAM FILE callcenter/survey_thanks ""' in called.commands
    assert called.commands[-1] == "HANGUP" and called.commands.count("HANGUP") == 1
    assert parts.count(AgentHungUp) == 1 and parts.count(CallerHungUp) == 0
    (record,) = parts.records
    assert (record.outcome, record.agent_id, record.callback) == ("answered", "1001", True)

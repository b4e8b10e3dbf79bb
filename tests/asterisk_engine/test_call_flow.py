"""Calls from a fake Asterisk over loopback FastAGI through the IVR and the ACD to agent seats."""

from __future__ import annotations

import asyncio

import pytest

from acd.engine import CallState
from acd.events import (
    AgentAnswered,
    AgentDeclined,
    AgentHungUp,
    AgentLoggedIn,
    CallArrived,
    CallerHungUp,
)
from callcenter.asterisk import EndReason
from callcenter.asterisk_engine.dial_ends import DIAL_ENDS, dial_end
from calls.commands import AGENT
from calls.events import DialFailed

from .conftest import engine_parts, start, wait_for
from .fake_asterisk import FakeChannel, answering, no_answer

pytestmark = pytest.mark.timeout(30)
BARGE_IN = '"0123456789*#"'


def log_in(parts, *agents: str) -> None:
    for agent in agents:
        parts.driver.submit(AgentLoggedIn(agent, ready=True))


def index_of(commands: list[str], prefix: str) -> int:
    return next(i for i, command in enumerate(commands) if command.startswith(prefix))


def test_mandarin_caller_reaches_an_agent_and_the_agent_hangs_up():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        log_in(parts, "1001")
        caller = FakeChannel(running.port, "12345", dial=answering(talk=0.3))
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, running, caller

    parts, running, caller = asyncio.run(scenario())
    commands = caller.commands
    assert commands[0] == "ANSWER"
    assert 'SET VARIABLE CHANNEL(language) "zh"' in commands
    assert f"STREAM FILE callcenter/welcome_12345 {BARGE_IN}" in commands
    # the prompt pinned to English is played with the channel's language set to English
    english = commands.index('SET VARIABLE CHANNEL(language) "en"')
    assert commands[english + 1] == f"STREAM FILE callcenter/other_languages {BARGE_IN}"
    assert commands.index("EXEC StartMusicOnHold default") < index_of(commands, "EXEC Dial")
    dial = commands[index_of(commands, "EXEC Dial")]
    assert dial == f"EXEC Dial PJSIP/1001,12,m(default)U(callcenter-answered^{caller.uniqueid})"
    assert commands[-1] == "HANGUP"  # the agent hung up: the engine ends the caller's channel
    (arrived,) = parts.submitted(CallArrived)
    assert arrived.queue == "zh-general" and arrived.call_id == caller.uniqueid
    assert len(parts.submitted(AgentAnswered)) == 1 and len(parts.submitted(AgentHungUp)) == 1
    assert parts.submitted(CallerHungUp) == []
    (record,) = parts.records
    assert record.outcome == "answered" and record.agent_id == "1001"
    assert record.talk >= 0.25  # answered when the seat picked up, not when Dial returned
    assert parts.acd.live_calls() == 0
    assert running.ends[0].reason is EndReason.COMPLETED


def test_caller_hanging_up_in_the_conversation_ends_it_once():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        log_in(parts, "1001")
        caller = FakeChannel(running.port, "12345", dial=answering(talk=0.2, caller_hangs_up=True))
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, running

    parts, running = asyncio.run(scenario())
    assert len(parts.submitted(CallerHungUp)) == 1 and parts.submitted(AgentHungUp) == []
    (record,) = parts.records
    assert record.outcome == "answered" and record.talk > 0.1
    assert running.ends[0].reason is EndReason.CALLER_HUNG_UP


def test_foreign_language_caller_is_queued_in_their_language():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        log_in(parts, "1001", "1030")  # 1001 speaks no English, 1030 does
        keys = [("STREAM FILE callcenter/welcome_12345", "9"), ("STREAM FILE callcenter/offer_en", "1")]
        caller = FakeChannel(running.port, "12345", keys=keys, dial=answering())
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, caller

    parts, caller = asyncio.run(scenario())
    assert caller.keys == []  # both keys were taken
    assert "STREAM FILE callcenter/other_languages" not in " ".join(caller.commands)  # barged in
    (arrived,) = parts.submitted(CallArrived)
    assert (arrived.queue, arrived.language) == ("en-general", "en")
    assert caller.variables["CHANNEL(language)"] == "en"
    (record,) = parts.records
    assert record.agent_id == "1030" and record.queue == "en-general"


def test_caller_hanging_up_while_waiting_is_abandoned_exactly_once():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)  # nobody logged in: the call waits
        caller = FakeChannel(running.port, "12345")
        task = asyncio.create_task(caller.run())
        await wait_for(lambda: parts.acd.waiting_calls() == 1)
        await wait_for(lambda: "EXEC StartMusicOnHold default" in caller.commands)
        await asyncio.sleep(0.1)
        caller.hang_up()
        await task
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, running, caller

    parts, running, caller = asyncio.run(scenario())
    assert len(parts.submitted(CallerHungUp)) == 1
    (record,) = parts.records
    assert record.outcome == "abandoned" and record.wait > 0.05
    assert parts.acd.live_calls() == 0
    assert running.ends[0].reason is EndReason.CALLER_HUNG_UP
    assert "HANGUP" not in caller.commands  # nothing more was sent to a dead channel


def test_caller_hanging_up_in_the_ivr_never_reaches_the_acd():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        caller = FakeChannel(running.port, "12345", hangup_on="STREAM FILE callcenter/welcome_12345")
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, running

    parts, running = asyncio.run(scenario())
    assert parts.events == [] and parts.records == []
    assert running.ends[0].reason is EndReason.CALLER_HUNG_UP


def test_ring_no_answer_makes_the_seat_not_ready_and_the_next_one_answers():
    async def scenario():
        parts = engine_parts(ring_timeout=1.0)
        running = await start(parts)
        log_in(parts, "1001", "1002")
        dials: list[str] = []
        answer = answering()

        async def dial(channel, words):
            dials.append(words[2].split(",")[0])
            if len(dials) == 1:
                result = await no_answer(channel, words)
                states.append(parts.acd.call_state(channel.uniqueid))
                return result
            return await answer(channel, words)

        states: list[CallState | None] = []
        caller = FakeChannel(running.port, "12345", dial=dial)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, caller, dials, states

    parts, caller, dials, states = asyncio.run(scenario())
    assert dials == ["PJSIP/1001", "PJSIP/1002"]  # longest idle first, then the next seat
    assert parts.acd.seat("1001").reason == "no-answer"
    assert parts.submitted(AgentDeclined) == []  # the ACD's ring timer decided, once
    (record,) = parts.records
    assert record.outcome == "answered" and record.agent_id == "1002" and record.offers == 2
    first, second = (i for i, c in enumerate(caller.commands) if c.startswith("EXEC Dial"))
    assert "EXEC StartMusicOnHold default" in caller.commands[first:second]  # held in between
    assert "HANGUP" not in caller.commands[:second]


@pytest.mark.parametrize("status", [*sorted(DIAL_ENDS.keys() - {"ANSWER"}), ""])
def test_a_seat_refusing_declines_at_once_and_one_ringing_out_is_the_ring_timers(status, dial_failures):
    async def scenario():
        parts = engine_parts(ring_timeout=1.0)
        running = await start(parts)
        log_in(parts, "1001", "1002")
        answer = answering()

        async def dial(channel, words):
            if "PJSIP/1001," in words[2]:
                channel.variables["DIALSTATUS"] = status
                return ["200 result=0"]
            return await answer(channel, words)

        caller = FakeChannel(running.port, "12345", dial=dial)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts

    parts = asyncio.run(scenario())
    end = dial_end(status)
    assert parts.records[0].agent_id == "1002"  # the call kept its place and went on
    if end.refused:  # busy, unavailable, ...: declined at once
        assert dial_failures == [DialFailed(AGENT, "1001", end.status, status)]
        assert parts.submitted(AgentDeclined) == [AgentDeclined("1001", parts.records[0].call_id)]
        assert parts.acd.seat("1001").reason == "declined"
    else:  # rang out, or no word why: the ACD's ring timer decides, once
        assert dial_failures == [] and parts.submitted(AgentDeclined) == []
        assert parts.acd.seat("1001").reason == "no-answer"


def test_a_fault_in_the_engine_hands_the_call_to_the_dialplan_fallback(monkeypatch):
    from callcenter.asterisk_engine.agi_call import AsteriskCall

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        log_in(parts, "1001")

        async def broken(call, agent):
            raise RuntimeError("boom")

        monkeypatch.setattr(AsteriskCall, "_ring", broken)
        caller = FakeChannel(running.port, "12345")
        await caller.run()
        unknown = FakeChannel(running.port, "99999")
        await unknown.run()
        await wait_for(lambda: len(running.ends) == 2)
        await running.server.close()
        return parts, running, caller, unknown

    parts, running, caller, unknown = asyncio.run(scenario())
    for channel in (caller, unknown):
        assert channel.variables["CALLCENTER_RESULT"] == "error"
        assert "HANGUP" not in channel.commands  # the dialplan carries on to its fallback
    assert [end.reason for end in running.ends] == [EndReason.COMPLETED, EndReason.COMPLETED]
    # the queued call left the ACD (once) so the fallback queue can take it
    assert len(parts.submitted(CallerHungUp)) == 1 and parts.acd.live_calls() == 0
    assert unknown.commands == ['SET VARIABLE CALLCENTER_RESULT "error"']


def test_a_seat_answering_after_the_acd_gave_up_is_not_bridged():
    async def scenario():
        parts = engine_parts(ring_timeout=1.0)
        running = await start(parts)
        log_in(parts, "1001", "1002")
        seats: dict[str, FakeChannel] = {}
        answer = answering(seats=seats)

        async def dial(channel, words):
            if "PJSIP/1001," in words[2]:
                await asyncio.sleep(1.3)  # picks up after the ACD's ring timer moved the call on
            return await answer(channel, words)

        caller = FakeChannel(running.port, "12345", dial=dial)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts, seats, caller

    parts, seats, caller = asyncio.run(scenario())
    assert seats["1001"].variables["GOSUB_RESULT"] == "CONTINUE"  # Asterisk hangs the late seat up
    # 1001's late answer is refused by the call object (the ACD moved it on); 1002's is taken
    assert parts.submitted(AgentAnswered) == [AgentAnswered("1002", caller.uniqueid)]
    assert "GOSUB_RESULT" not in seats["1002"].variables
    # Only the accepted answer marks the caller served (the dialplan then never re-queues it).
    served = f"SHARED(CALLCENTER_AGENT,{caller.channel})"
    assert served not in seats["1001"].variables and seats["1002"].variables[served] == "1002"
    assert caller.variables["CALLCENTER_QUEUE"] == "zh-general"
    assert abs(float(caller.variables["CALLCENTER_QUEUED_AT"]) - parts.records[0].enqueued_at) < 0.01
    (record,) = parts.records
    assert record.agent_id == "1002" and record.outcome == "answered"
    assert parts.acd.seat("1001").reason == "no-answer"


def test_after_the_agent_hangs_up_the_caller_rates_the_call():
    async def scenario():
        parts = engine_parts()
        scores: list[tuple[str, int]] = []
        running = await start(parts, on_score=lambda call_id, score, at: scores.append((call_id, score)))
        log_in(parts, "1001")
        caller = FakeChannel(running.port, "12345", dial=answering(),
                             keys=[("STREAM FILE callcenter/survey_question", "5")])
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return caller, scores

    caller, scores = asyncio.run(scenario())
    assert scores == [(caller.uniqueid, 5)]
    assert caller.variables["CALLCENTER_SCORE_SATISFACTION"] == "5"
    tail = caller.commands[index_of(caller.commands, "EXEC Dial"):]
    assert 'STREAM FILE callcenter/survey_thanks ""' in tail and tail[-1] == "HANGUP"
    assert tail.count("HANGUP") == 1


def test_an_answer_without_the_hook_still_ends_the_call_in_the_acd():
    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        log_in(parts, "1001")

        async def unhooked(channel, words):  # a dialplan without callcenter-answered
            channel.variables["DIALSTATUS"] = "ANSWER"
            return ["200 result=-1"]

        caller = FakeChannel(running.port, "12345", dial=unhooked)
        await caller.run()
        await wait_for(lambda: running.ends)
        await running.server.close()
        return parts

    parts = asyncio.run(scenario())
    assert len(parts.submitted(AgentAnswered)) == 1 and len(parts.submitted(AgentHungUp)) == 1
    (record,) = parts.records
    assert record.outcome == "answered" and parts.acd.live_calls() == 0


def test_a_missing_transcript_fails_the_test_where_the_channel_is_made(monkeypatch, tmp_path):
    """Not inside the task that runs the channel, where it would die unseen and the test hang."""
    from callcenter.asterisk import transcripts

    from . import fake_asterisk

    monkeypatch.setenv(transcripts.FIXTURES_ENV, str(tmp_path))
    fake_asterisk.recorded_environment.cache_clear()
    try:
        with pytest.raises(pytest.fail.Exception, match="agi_env_block.txt missing"):
            FakeChannel(1, "12345")
    finally:
        fake_asterisk.recorded_environment.cache_clear()


def test_a_caller_hanging_up_in_the_survey_leaves_one_answered_record_and_no_score():
    async def scenario():
        parts = engine_parts()
        scores: list[int] = []
        running = await start(parts, on_score=lambda call_id, score, at: scores.append(score))
        log_in(parts, "1001")
        caller = FakeChannel(running.port, "12345", dial=answering(),
                             hangup_on="STREAM FILE callcenter/survey_question")
        await caller.run()
        await wait_for(lambda: running.ends and caller.uniqueid not in running.flow.calls)
        await running.server.close()
        return parts, running, caller, scores

    parts, running, caller, scores = asyncio.run(scenario())
    assert scores == [] and "HANGUP" not in caller.commands
    assert len(parts.submitted(AgentHungUp)) == 1 and parts.submitted(CallerHungUp) == []
    (record,) = parts.records
    assert record.outcome == "answered" and record.agent_id == "1001"
    assert running.ends[0].reason is EndReason.CALLER_HUNG_UP
    assert len(parts.driver.timers) <= 1  # the call's deadline went with it (the ACD's may stay)


def test_a_replayed_survey_session_cannot_end_a_live_conversation():
    """``survey/<call id>`` is only for a caller the seat called back: one replayed (or stray)
    while the caller talks on their own channel is hung up; the conversation, the ACD and the
    record go on as if it never came, and the caller still rates the call on their channel."""

    async def scenario():
        parts = engine_parts()
        scores: list[tuple[str, int]] = []
        running = await start(parts, on_score=lambda call_id, score, at: scores.append((call_id, score)))
        log_in(parts, "1001")
        seat_hangs_up = asyncio.Event()
        caller = FakeChannel(running.port, "12345", dial=answering(until=seat_hangs_up),
                             keys=[("STREAM FILE callcenter/survey_question", "5")])
        talking = asyncio.create_task(caller.run())
        calls = running.flow.calls
        await wait_for(lambda: caller.uniqueid in calls and calls[caller.uniqueid].answered_by == "1001")
        wire = calls[caller.uniqueid]
        stray = FakeChannel(running.port, f"survey/{caller.uniqueid}",
                            keys=[("STREAM FILE callcenter/survey_question", "1")])
        await stray.run()
        during = (calls.get(caller.uniqueid) is wire, wire.answered_by, wire.session is not None,
                  wire.channel, parts.submitted(AgentHungUp), list(parts.records), parts.acd.live_calls())
        seat_hangs_up.set()
        await talking
        await wait_for(lambda: parts.records and caller.uniqueid not in calls)
        await running.server.close()
        return parts, caller, stray, during, scores

    parts, caller, stray, during, scores = asyncio.run(scenario())
    assert during == (True, "1001", True, caller.channel, [], [], 1)
    assert stray.commands == ["HANGUP"]
    assert len(parts.submitted(AgentAnswered)) == 1 and len(parts.submitted(AgentHungUp)) == 1
    assert parts.submitted(CallerHungUp) == []
    (record,) = parts.records
    assert record.outcome == "answered" and record.agent_id == "1001"
    assert scores == [(caller.uniqueid, 5)]
    tail = caller.commands[index_of(caller.commands, "EXEC Dial"):]
    assert 'STREAM FILE callcenter/survey_thanks ""' in tail and tail[-1] == "HANGUP"
    assert tail.count("HANGUP") == 1
    assert parts.acd.live_calls() == 0

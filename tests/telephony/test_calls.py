"""Real calls over loopback: caller -> line 12345 -> IVR -> ACD -> agent seat, media both ways."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from acd.events import AgentHungUp, CallArrived, CallerHungUp
from callcenter.media.dtmf import detect_tone
from callcenter.media.rtp_endpoint import RtpEndpoint, bind_udp_socket
from callcenter.records import RecordStore, RecordWriter
from callcenter.sip.sdp import PCMA, PCMU, build_offer
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from calls.leg import State
from ivr_flows.commands import Prompt
from ivr_flows.timing import PromptDurations

from .conftest import engine_parts
from .helpers import (
    LOCAL,
    PASSWORDS,
    Listener,
    exchange_tones,
    new_caller,
    press,
    register_seat,
    start,
    wait_for,
)

pytestmark = [pytest.mark.sip, pytest.mark.timeout(40)]


def test_caller_reaches_agent_and_talks_then_hangs_up(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        rung: list[Call] = []
        seat = await register_seat(tel, "1001", parts, rung)
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        heard = Listener()
        (await call.media()).on_packet = heard
        # Silence in the greeting menu means Mandarin: the call queues and seat 1001 rings.
        await wait_for(lambda: rung, 15)
        seat_call = rung[0]
        await asyncio.wait_for(seat_call.confirmed.wait(), 5)
        assert parts.acd.agent_call("1001") == call.call_id
        greeting = PromptDurations.from_manifest(prompts_dir / "manifest.json").total(
            [Prompt("welcome_12345", "zh"), Prompt("other_languages", "en")])
        ivr_audio = heard.tail(60.0)
        assert len(ivr_audio) >= 8000 * (greeting - 0.3)  # the greeting was streamed
        assert np.sqrt(np.mean(ivr_audio.astype(np.float64) ** 2)) > 300  # and not silence
        heard_at_seat, heard_by_caller = await exchange_tones(call, seat_call)
        assert detect_tone(heard_at_seat, 8000, 1000.0)
        assert not detect_tone(heard_at_seat, 8000, 600.0, threshold=0.2)
        assert detect_tone(heard_by_caller, 8000, 600.0)
        assert not detect_tone(heard_by_caller, 8000, 1000.0, threshold=0.2)

        response = await caller.hangup(call)
        assert response is not None and response.status == 200
        await asyncio.wait_for(seat_call.ended.wait(), 5)
        assert seat_call.end_reason == "remote BYE"
        (record,) = parts.records
        assert record.call_id == call.call_id and record.outcome == "answered"
        assert record.agent_id == "1001" and record.line == "12345"
        assert record.language == "zh" and record.queue == "zh-general"
        assert 0 <= record.wait < 5
        assert 0.6 < record.talk < 10
        # Queued after the greeting played out (PromptFinished) and the 1.5 s menu wait.
        assert greeting + 1.3 < record.enqueued_at - record.arrived_at < greeting + 3.0
        assert parts.acd.live_calls() == 0
        assert not tel.control.callers and not tel.control.dialogs
        await tel.close()
        await caller.endpoint.close()
        await seat.endpoint.close()

    asyncio.run(scenario())


def test_unknown_line_is_404(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=tmp_path,
                                   passwords=PASSWORDS)
        caller = UserAgent(await open_endpoint(port=0), user="13800138000")
        call = await caller.call(f"sip:110@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 404
        assert not tel.control.callers and parts.acd.live_calls() == 0
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_keys_pick_the_language_queue_and_caller_abandons(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "91")  # 9: other languages, 1: English
        await wait_for(lambda: parts.count(CallArrived), 5)
        (arrived,) = [e for e in parts.events if isinstance(e, CallArrived)]
        assert arrived.queue == "en-general" and arrived.language == "en"
        assert parts.acd.snapshot(parts.driver.clock())["queues"]["en-general"]["waiting"] == 1
        on_hold = Listener()
        (await call.media()).on_packet = on_hold
        await asyncio.sleep(0.6)
        music = on_hold.tail(0.5)
        assert len(music) >= 3200 and np.abs(music).max() > 1000  # hold music, not silence
        await caller.hangup(call)
        (record,) = parts.records
        assert record.outcome == "abandoned" and record.queue == "en-general"
        assert parts.count(CallerHungUp) == 1
        assert parts.acd.live_calls() == 0 and not tel.control.callers
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_agent_hangs_up_the_caller_scores_the_call_and_gets_bye(prompts_dir, tmp_path):
    async def scenario():
        parts = engine_parts()
        store = RecordStore.open(f"sqlite:///{tmp_path / 'records.db'}", create=True)
        parts.writer = RecordWriter(store)  # start_embedded gives it the survey's score
        parts.driver.add_sink(parts.writer.sink)
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, survey_flow="survey")
        rung: list[Call] = []
        seat = await register_seat(tel, "1002", parts, rung)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "90")  # 9: other languages, 0: back to Mandarin
        await wait_for(lambda: rung, 5)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        response = await seat.hangup(rung[0])
        assert response is not None and response.status == 200
        (record,) = parts.records
        assert record.outcome == "answered" and record.agent_id == "1002"
        assert parts.count(AgentHungUp) == 1 and parts.count(CallerHungUp) == 0
        leg = tel.control.callers[call.call_id]
        assert leg.call.state is State.SURVEY and not call.ended.is_set()
        await press(call, "4")  # barges in on the question: 4 out of 5
        await asyncio.wait_for(call.ended.wait(), 15)  # thanks, then the engine hangs up
        assert call.end_reason == "remote BYE"
        assert parts.acd.live_calls() == 0 and not tel.control.callers
        await asyncio.to_thread(parts.writer.flush, 5)
        assert store.call(call.call_id).satisfaction == 4
        assert parts.count(CallerHungUp) == 0
        await tel.close()
        parts.writer.close()

    asyncio.run(scenario())


def test_caller_hangs_up_while_the_seat_rings(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        rung: list[Call] = []
        seat = await register_seat(tel, "1001", parts, rung, auto_answer=False)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "90")
        await wait_for(lambda: rung, 5)
        await caller.hangup(call)
        await asyncio.wait_for(rung[0].ended.wait(), 5)
        assert rung[0].end_reason == "cancelled"
        (record,) = parts.records
        assert record.outcome == "abandoned" and record.offers == 1
        assert parts.count(CallerHungUp) == 1
        assert parts.acd.live_calls() == 0
        assert parts.acd.agent_call("1001") is None
        await asyncio.sleep(0.2)  # the 487 and its ACK
        assert not tel.control.callers and not tel.control.dialogs
        await tel.close()
        await caller.endpoint.close()
        await seat.endpoint.close()

    asyncio.run(scenario())


def test_caller_hangs_up_during_the_ivr(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        leg = tel.control.callers[call.call_id]
        await asyncio.sleep(0.3)
        timer = ("call", call.call_id)
        timers = tel.control.driver.timers
        assert leg.media.playing and timers.deadline(timer) is not None  # the greeting's guard
        await caller.hangup(call)
        assert leg.call.ended and leg.call.ivr.finished and leg.call.ivr.outcome is not None
        assert timers.deadline(timer) is None and leg.media.closed and not leg.media.playing
        await asyncio.sleep(0.2)
        assert not parts.events and not parts.records
        assert not tel.control.callers and not tel.control.dialogs
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_bad_messages_are_answered_or_dropped_and_the_engine_carries_on(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, tmp_path)
        caller = UserAgent(await open_endpoint(port=0), user="13800138000")
        caller.endpoint.send(b"\x00\xffnot sip at all\r\n\r\n", (LOCAL, tel.port))
        caller.endpoint.send(b"INVITE sip:12345@x SIP/2.0\r\nVia: broken\r\n\r\n",
                             (LOCAL, tel.port))
        bad_sdp = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                    offer=b"v=0\r\nm=audio 0 RTP/AVP 18\r\n")
        assert bad_sdp.status is not None and bad_sdp.status >= 400
        no_sdp = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port), offer=b"")
        assert no_sdp.status == 488
        ping = await caller.options(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert ping is not None and ping.status == 200
        assert not tel.control.callers and parts.acd.live_calls() == 0
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_pcma_caller_and_pcmu_seat_hear_each_other(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        rung: list[Call] = []
        seat = await register_seat(tel, "1001", parts, rung)
        caller = await new_caller()
        caller_rtp = await RtpEndpoint.from_socket(bind_udp_socket(LOCAL, 0))
        offer = build_offer(LOCAL, caller_rtp.local_addr[1], codecs=(PCMA,)).to_bytes()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port), offer=offer)
        assert call.status == 200 and call.payload_type == PCMA
        await press(call, "90", caller_rtp)
        await wait_for(lambda: rung, 5)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        assert rung[0].payload_type == PCMU
        heard_at_seat, heard_by_caller = await exchange_tones(call, rung[0], caller_rtp=caller_rtp)
        assert detect_tone(heard_at_seat, 8000, 1000.0)
        assert detect_tone(heard_by_caller, 8000, 600.0)
        await caller.hangup(call)
        await asyncio.wait_for(rung[0].ended.wait(), 5)
        assert parts.acd.live_calls() == 0
        caller_rtp.close()
        await tel.close()
        await caller.endpoint.close()
        await seat.endpoint.close()

    asyncio.run(scenario())

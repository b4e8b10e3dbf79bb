"""Real calls over loopback: caller -> line 12345 -> IVR -> ACD -> agent seat, media both ways."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from acd.events import AgentHungUp, AgentLoggedIn, CallArrived, CallerHungUp
from callcenter.media import g711
from callcenter.media.dtmf import detect_tone, dtmf_packets
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import play
from callcenter.media.tone import sine
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from ivr_flows.commands import Prompt
from ivr_flows.timing import PromptDurations

from .conftest import engine_parts

pytestmark = [pytest.mark.sip, pytest.mark.timeout(40)]

PASSWORDS = {"1001": "seat-1001-pass", "1002": "seat-1002-pass"}
LOCAL = "127.0.0.1"


class Listener:
    """Collects the audio arriving on one call's RTP socket."""

    def __init__(self) -> None:
        self.samples: list[np.ndarray] = []

    def __call__(self, packet, addr) -> None:
        if packet.payload_type in (0, 8):
            self.samples.append(g711.decode(packet.payload, packet.payload_type))

    def tail(self, seconds: float) -> np.ndarray:
        audio = np.concatenate(self.samples) if self.samples else np.zeros(0, np.int16)
        return audio[-int(seconds * 8000):]


async def _seat(tel, agent_id: str, parts, answered: list[Call], *,
                auto_answer: bool = True) -> UserAgent:
    seat = UserAgent(await open_endpoint(port=0), user=agent_id, media=True,
                     on_call=answered.append, auto_answer=auto_answer)
    response = await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                   username=agent_id, password=PASSWORDS[agent_id])
    assert response is not None and response.status == 200
    parts.driver.submit(AgentLoggedIn(agent_id, ready=True))
    return seat


async def _wait_for(predicate, timeout: float) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


async def _exchange_tones(caller_call: Call, seat_call: Call) -> tuple[np.ndarray, np.ndarray]:
    """Both ends send a tone at once; returns (heard by the seat, heard by the caller)."""
    caller_rtp, seat_rtp = await caller_call.media(), await seat_call.media()
    at_seat, at_caller = Listener(), Listener()
    seat_rtp.on_packet, caller_rtp.on_packet = at_seat, at_caller
    await asyncio.sleep(0.1)  # let hold music in flight drain
    await asyncio.gather(
        play(caller_rtp, PromptPlayer([sine(1000, 0.6)]), RtpSender(caller_call.payload_type),
             caller_call.remote_media, payload_type=caller_call.payload_type),
        play(seat_rtp, PromptPlayer([sine(600, 0.6)]), RtpSender(seat_call.payload_type),
             seat_call.remote_media, payload_type=seat_call.payload_type))
    await asyncio.sleep(0.1)
    return at_seat.tail(0.3), at_caller.tail(0.3)


async def _press(call: Call, digits: str) -> None:
    """Send RFC 4733 telephone-events for ``digits`` on the call's RTP stream."""
    rtp = await call.media()
    sender = RtpSender(call.payload_type)
    for digit in digits:
        for packet in dtmf_packets(sender, digit, payload_type=call.dtmf_payload_type):
            rtp.send(packet, call.remote_media)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.15)


async def _start(parts, prompts_dir):
    return await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                passwords=PASSWORDS)


async def _caller() -> UserAgent:
    return UserAgent(await open_endpoint(port=0), user="13800138000", media=True)


def test_caller_reaches_agent_and_talks_then_hangs_up(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        rung: list[Call] = []
        seat = await _seat(tel, "1001", parts, rung)
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        heard = Listener()
        (await call.media()).on_packet = heard
        # Silence in the greeting menu means Mandarin: the call queues and seat 1001 rings.
        await _wait_for(lambda: rung, 15)
        seat_call = rung[0]
        await asyncio.wait_for(seat_call.confirmed.wait(), 5)
        assert parts.acd.agent_call("1001") == call.call_id
        greeting = PromptDurations.from_manifest(prompts_dir / "manifest.json").total(
            [Prompt("welcome_12345", "zh"), Prompt("other_languages", "en")])
        ivr_audio = heard.tail(60.0)
        assert len(ivr_audio) >= 8000 * (greeting - 0.3)  # the greeting was streamed
        assert np.sqrt(np.mean(ivr_audio.astype(np.float64) ** 2)) > 300  # and not silence
        heard_at_seat, heard_by_caller = await _exchange_tones(call, seat_call)
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
        tel = await _start(parts, prompts_dir)
        caller = await _caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await _press(call, "91")  # 9: other languages, 1: English
        await _wait_for(lambda: parts.count(CallArrived), 5)
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


def test_agent_hangs_up_and_the_caller_gets_bye(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await _start(parts, prompts_dir)
        rung: list[Call] = []
        seat = await _seat(tel, "1002", parts, rung)
        caller = await _caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await _press(call, "90")  # 9: other languages, 0: back to Mandarin
        await _wait_for(lambda: rung, 5)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        response = await seat.hangup(rung[0])
        assert response is not None and response.status == 200
        await asyncio.wait_for(call.ended.wait(), 5)
        assert call.end_reason == "remote BYE"
        (record,) = parts.records
        assert record.outcome == "answered" and record.agent_id == "1002"
        assert parts.count(AgentHungUp) == 1 and parts.count(CallerHungUp) == 0
        assert parts.acd.live_calls() == 0 and not tel.control.callers
        await tel.close()
        await caller.endpoint.close()
        await seat.endpoint.close()

    asyncio.run(scenario())


def test_caller_hangs_up_while_the_seat_rings(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await _start(parts, prompts_dir)
        rung: list[Call] = []
        seat = await _seat(tel, "1001", parts, rung, auto_answer=False)
        caller = await _caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await _press(call, "90")
        await _wait_for(lambda: rung, 5)
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
        tel = await _start(parts, prompts_dir)
        caller = await _caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await asyncio.sleep(0.3)
        await caller.hangup(call)
        await asyncio.sleep(2.0)  # past the greeting menu's timeout
        assert not parts.events and not parts.records
        assert not tel.control.callers
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_bad_messages_are_answered_or_dropped_and_the_engine_carries_on(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await _start(parts, tmp_path)
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

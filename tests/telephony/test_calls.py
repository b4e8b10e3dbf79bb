"""Real calls over loopback: caller -> line 12345 -> IVR -> ACD -> agent seat, media both ways."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from acd.events import AgentLoggedIn
from callcenter.media import g711
from callcenter.media.dtmf import detect_tone
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import play
from callcenter.media.tone import sine
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded

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


async def _seat(tel, agent_id: str, parts, answered: list[Call]) -> UserAgent:
    seat = UserAgent(await open_endpoint(port=0), user=agent_id, media=True,
                     on_call=answered.append)
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
        # Silence in the greeting menu means Mandarin: the call queues and seat 1001 rings.
        await _wait_for(lambda: rung, 15)
        seat_call = rung[0]
        await asyncio.wait_for(seat_call.confirmed.wait(), 5)
        assert parts.acd.agent_call("1001") == call.call_id
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
        assert record.enqueued_at - record.arrived_at > 1.0  # the greeting played first
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

"""A feature code is answered with words, over loopback SIP: the seat hears the prompt's audio
bit for bit before the engine hangs up (200 and BYE), or the refusal in early media (183, 403)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from agents.seat import Presence
from callcenter.media.playout import encoded
from callcenter.media.rtp import RtpPacket
from callcenter.sip.digest import build_authorization
from callcenter.telephony.embedded import start_embedded
from callcenter.telephony.feature_codes import CONFIRMATION_PROMPTS, FEATURE_CODES, REFUSED_PROMPT
from ivr_flows.engine_prompts import ENGINE_PROMPTS

from .conftest import engine_parts
from .helpers import LOCAL, PASSWORDS, RawPeer, header

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


class Seat:
    """Seat 1001 dialling from a bare SIP socket with its own RTP socket (PCMU)."""

    def __init__(self, engine_port: int) -> None:
        self.peer = RawPeer(engine_port)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((LOCAL, 0))
        self.rtp.setblocking(False)
        self.uri = f"sip:{{code}}@{LOCAL}:{engine_port}"
        self.cseq = 0

    def sdp(self) -> bytes:
        return (f"v=0\r\no=- 1 1 IN IP4 {LOCAL}\r\ns=-\r\nc=IN IP4 {LOCAL}\r\nt=0 0\r\n"
                f"m=audio {self.rtp.getsockname()[1]} RTP/AVP 0\r\n").encode()

    async def dial(self, code: str, call_id: str) -> list[str]:
        """INVITE (answering the digest challenge); every message for the next 3 s."""
        self.cseq += 1
        self.peer.send(self.peer.request("INVITE", code, call_id=call_id, from_tag="seat",
                                         body=self.sdp(), cseq=self.cseq))
        challenge = next(m for m in await self.peer.messages(0.4)
                         if m.startswith("SIP/2.0 401") and header(m, "call-id") == call_id)
        self.cseq += 1
        authorization = build_authorization(
            header(challenge, "www-authenticate"), method="INVITE",
            uri=self.uri.format(code=code), username="1001", password=PASSWORDS["1001"])
        self.peer.send(self.peer.request("INVITE", code, call_id=call_id, from_tag="seat",
                                         extra=f"Authorization: {authorization}\r\n",
                                         body=self.sdp(), cseq=self.cseq))
        return await self.peer.messages(3.0)

    async def heard(self) -> bytes:
        """The PCMU payload that reached the RTP socket, in sequence order."""
        loop, packets = asyncio.get_running_loop(), []
        while True:
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.rtp, 2048), 0.2)
            except TimeoutError:
                break
            packets.append(RtpPacket.parse(data))
        packets.sort(key=lambda p: p.sequence)
        return b"".join(p.payload for p in packets if p.payload_type == 0)

    def close(self) -> None:
        self.peer.sock.close()
        self.rtp.close()


def statuses(messages: list[str]) -> list[str]:
    return [m.split("\r\n", 1)[0].split(" ", 2)[1] for m in messages if m.startswith("SIP/2.0")]


def test_every_feature_code_has_a_confirmation_the_checks_know():
    assert set(CONFIRMATION_PROMPTS) == set(FEATURE_CODES)
    assert {*CONFIRMATION_PROMPTS.values(), REFUSED_PROMPT} <= set(ENGINE_PROMPTS)


def test_seat_hears_the_confirmation_then_the_refusal(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        seat = Seat(tel.port)
        try:
            confirmed = await seat.dial("*11", "feature-1")
            assert "200" in statuses(confirmed)
            assert any(m.startswith("BYE ") for m in confirmed)  # after the words, it hangs up
            assert parts.acd.seat("1001").presence is Presence.AVAILABLE
            words = encoded(prompts_dir / "zh" / "feature_logged_in.wav", 0)
            assert words in await seat.heard()  # bit for bit, in the center's language

            refused = await seat.dial("*15", "feature-2")  # not in wrap-up
            codes = [code for code in statuses(refused) if code not in ("100", "401")]  # 401: resent
            assert codes[0] == "183" and codes[-1] == "403" and "200" not in codes, refused
            final = next(m for m in refused if m.startswith("SIP/2.0 403"))
            assert final.split("\r\n", 1)[0] == "SIP/2.0 403 Forbidden - agent 1001: not in wrap-up"
            words = encoded(prompts_dir / "zh" / "feature_refused.wav", 0)
            assert words in await seat.heard()  # said in early media, before the 403
            assert not tel.control.callers and not tel.control.dialogs
        finally:
            seat.close()
            await tel.close()

    asyncio.run(scenario())

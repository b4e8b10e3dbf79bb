"""Symmetric RTP over loopback: the engine streams only to its caller's host (or, by policy,
to a third host for a short window), follows the caller's actual RTP source, and takes RTP
only from that source: no reflection, no amplification, no stream kept alive by a stranger."""

from __future__ import annotations

import asyncio
import re
import socket

import pytest

from callcenter.media.rtp import RtpSender
from callcenter.telephony.embedded import start_embedded
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, PASSWORDS, RawPeer, wait_for

from .helpers import normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


class Socket:
    """A bare UDP socket on one loopback address that counts what it receives."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.addr = self.sock.getsockname()
        self.received = 0
        asyncio.get_running_loop().add_reader(self.sock.fileno(), self._read)

    def _read(self) -> None:
        while True:
            try:
                self.sock.recvfrom(2048)
            except BlockingIOError:
                return
            self.received += 1

    def send_rtp(self, sender: RtpSender, to: tuple[str, int]) -> None:
        self.sock.sendto(sender.packet(b"\xff" * 160, 160).to_bytes(), to)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()


def offer(host: str, port: int) -> bytes:
    return (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\n").encode()


async def invite(peer: RawPeer, body: bytes) -> tuple[str, int]:
    """Send an INVITE with ``body``; (Call-ID, the engine's RTP port) from its 200."""
    data = peer.request("INVITE", extra="Content-Type: application/sdp\r\n", body=body)
    peer.send(data)
    (ok,) = [m for m in await peer.messages(0.4) if m.startswith("SIP/2.0 200")]
    call_id = re.search(r"Call-ID: (\S+)", ok).group(1)
    return call_id, int(re.search(r"m=audio (\d+)", ok).group(1))


async def keep_sending(sock: Socket, to: tuple[str, int], seconds: float) -> None:
    sender = RtpSender(0)
    for _ in range(int(seconds / 0.02)):
        sock.send_rtp(sender, to)
        await asyncio.sleep(0.02)


def test_no_reflection_to_another_host_and_strangers_cannot_keep_a_call(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, rtp_timeout=1.0)
        victim, stranger = Socket("127.0.0.2"), Socket("127.0.0.3")
        attacker = RawPeer(tel.port)  # signals from 127.0.0.1, names the victim in c=
        call_id, engine_rtp = await invite(attacker, offer(*victim.addr))
        leg = tel.control.callers[call_id]
        # The stranger's RTP (5 packets bought ~2,000 before) neither latches nor keeps the
        # call alive: the leg is hung up for silence after rtp_timeout.
        await keep_sending(stranger, (LOCAL, engine_rtp), 2.5)
        assert victim.received == 0 and stranger.received == 0
        assert call_id not in tel.control.callers and leg.media.foreign > 20
        victim.close()
        stranger.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())


def test_the_engine_follows_the_callers_real_source_and_ignores_others(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        signalled, actual, other = Socket(LOCAL), Socket(LOCAL), Socket(LOCAL)
        caller = RawPeer(tel.port)
        call_id, engine_rtp = await invite(caller, offer(*signalled.addr))
        await wait_for(lambda: signalled.received > 5, 3)  # same host: greeting at once
        actual.send_rtp(RtpSender(0), (LOCAL, engine_rtp))  # behind a NAT: another port
        await wait_for(lambda: actual.received > 10, 3)
        leg = tel.control.callers[call_id]
        assert leg.media.latched == actual.addr
        before = signalled.received
        await keep_sending(other, (LOCAL, engine_rtp), 0.5)  # a second source on the host
        assert other.received == 0 and signalled.received - before <= 2
        assert leg.media.foreign >= 20
        for sock in (signalled, actual, other):
            sock.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())


def test_a_window_policy_streams_to_another_host_briefly(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, rtp_window=0.4)
        victim = Socket("127.0.0.2")
        await invite(RawPeer(tel.port), offer(*victim.addr))
        await wait_for(lambda: victim.received > 0, 3)  # a carrier's media gateway, maybe
        await asyncio.sleep(1.0)
        assert victim.received <= 30  # 0.4 s of greeting at most, then nothing without RTP
        victim.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())

"""Hostile SDP over loopback: bad ports and addresses are refused with 488, and no destination,
however broken, can stop the audio of another call."""

from __future__ import annotations

import asyncio
import socket

import pytest

from acd.events import CallArrived
from callcenter.media.outbox import Outbox
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, RawPeer, press, start, wait_for

from .helpers import Counter, normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


def offer(connection: str = "IN IP4 127.0.0.1", port: str = "4000") -> bytes:
    return (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc={connection}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\n").encode()


HOSTILE = {
    "port above 65535": offer(port="70000"),
    "port 0": offer(port="0"),
    "port with 5000 digits": offer(port="9" * 5000),
    "host name": offer("IN IP4 localhost"),
    "unresolvable name": offer("IN IP4 no-such-host.invalid"),
    "IPv6 literal as IP4": offer("IN IP4 ::1"),
    "IPv6 towards an IPv4 socket": offer("IN IP6 ::1"),
    "not an address": offer("IN IP4 999.1.2.3"),
    "multicast": offer("IN IP4 224.0.0.1"),
    "broadcast": offer("IN IP4 255.255.255.255"),
    "unknown address type": offer("IN IPX 127.0.0.1"),
}


def test_bad_sdp_is_refused_and_live_audio_goes_on(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        live = UserAgent(await open_endpoint(port=0), user="13800138001", media=True)
        call = await live.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        counter = Counter()
        (await call.media()).on_packet = counter
        await press(call, "90")  # queued (no seat is ready): hold music at 50 packets/s
        await wait_for(lambda: parts.count(CallArrived), 5)
        assert await counter.during(0.5) >= 20
        peer = RawPeer(tel.port)
        for name, body in HOSTILE.items():
            replies = await peer.exchange(peer.request(
                "INVITE", extra="Content-Type: application/sdp\r\n", body=body))
            assert replies and replies[0].split()[1] in ("488", "400"), (name, replies)
        assert list(tel.control.callers) == [call.call_id]  # nothing else was set up
        assert await counter.during(1.0) >= 45, "the live call lost audio"
        await live.hangup(call)
        await live.endpoint.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())


def test_one_unsendable_datagram_never_drops_the_others():
    async def scenario():
        loop = asyncio.get_running_loop()
        box = Outbox(loop)
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out.setblocking(False)
        inbox = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        inbox.bind((LOCAL, 0))
        inbox.setblocking(False)
        target = inbox.getsockname()
        box.put(out, b"first", target)
        box.put(out, b"bad port", (LOCAL, 70000))  # OverflowError
        box.put(out, b"bad family", ("::1", 5000))  # OSError on an IPv4 socket
        box.put(out, b"bad type", (None, "x"))  # TypeError
        box.put(out, b"last", target)
        box.flush()
        got = [await loop.sock_recv(inbox, 100) for _ in range(2)]
        assert got == [b"first", b"last"]
        assert box.dropped == 3
        out.close()
        inbox.close()

    asyncio.run(scenario())

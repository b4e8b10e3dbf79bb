"""Numbers in SIP headers with thousands of digits are parse errors like any other: the
engine answers 400 (UDP) or closes the stream (TCP) and keeps serving calls."""

from __future__ import annotations

import asyncio

import pytest

from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, RawPeer, start

from .helpers import normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]

DIGITS = "9" * 5000


def test_huge_numbers_are_answered_400_over_udp_and_close_a_tcp_stream(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        peer = RawPeer(tel.port)
        cases = [peer.request("OPTIONS", content_length=DIGITS),  # type: ignore[arg-type]
                 peer.request("OPTIONS", extra=f"Expires: {DIGITS}\r\n").replace(
                     b"CSeq: 1 OPTIONS", f"CSeq: {DIGITS} OPTIONS".encode())]
        for data in cases:
            assert (await peer.exchange(data))[0].startswith("SIP/2.0 400")
        reader, writer = await asyncio.open_connection(LOCAL, tel.port)
        writer.write(cases[0])
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # framing lost: closed
        writer.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())

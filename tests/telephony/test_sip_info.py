"""Key presses by SIP INFO (application/dtmf-relay) drive the IVR like RFC 4733 ones."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import CallArrived
from callcenter.sip.message import parse_message
from callcenter.telephony.sip_info import info_digit

from .conftest import engine_parts
from .helpers import LOCAL, new_caller, start, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(40)]


def info(content_type: str, body: str) -> bytes:
    data = body.encode()
    return (f"INFO sip:12345@{LOCAL} SIP/2.0\r\nVia: SIP/2.0/UDP {LOCAL}:5062;branch=z9hG4bK1\r\n"
            f"From: <sip:a@{LOCAL}>;tag=1\r\nTo: <sip:12345@{LOCAL}>;tag=2\r\nCall-ID: x\r\n"
            f"CSeq: 2 INFO\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
            ).encode() + data


@pytest.mark.parametrize("content_type, body, digit", [
    ("application/dtmf-relay", "Signal=9\r\nDuration=160\r\n", "9"),
    ("application/dtmf-relay", "signal= #\r\n", "#"),
    ("application/dtmf", "5", "5"),
    ("application/dtmf-relay", "Signal=X\r\n", None),  # not a key
    ("application/media_control+xml", "<x/>", None),  # another INFO package
])
def test_info_digit(content_type, body, digit):
    assert info_digit(parse_message(info(content_type, body))) == digit


def test_info_keys_choose_english_in_the_12345_menu(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        for key in "91":
            reply = await caller.request(call, "INFO", body=f"Signal={key}\r\nDuration=160\r\n".encode(),
                                         content_type="application/dtmf-relay")
            assert reply is not None and reply.status == 200
            await asyncio.sleep(0.2)
        await wait_for(lambda: parts.count(CallArrived), 10)
        await caller.hangup(call)
        await wait_for(lambda: parts.records, 5)
        await tel.close()
        await caller.endpoint.close()
        return parts

    parts = asyncio.run(scenario())
    (arrived,) = [e for e in parts.events if isinstance(e, CallArrived)]
    assert arrived.queue == "en-general" and arrived.language == "en"
    assert parts.acd.live_calls() == 0

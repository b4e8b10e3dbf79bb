"""SIP over TCP: a SIPp caller reaches line 12345 over a TCP connection, and hangs up."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from acd.events import CallArrived, CallerHungUp

from .conftest import engine_parts
from .helpers import LOCAL, start, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp (Debian sip-tester) is not installed")
def test_sipp_caller_over_tcp_is_answered_queued_and_hangs_up(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        assert tel.endpoint.tcp_addr is not None and tel.endpoint.tcp_addr[1] == tel.port
        # SIPp's built-in UAC: INVITE, ACK, hold the call 9 s (greeting, menu wait, queue), BYE.
        sipp = await asyncio.create_subprocess_exec(
            "sipp", "-sn", "uac", "-t", "t1", "-s", "12345", f"{LOCAL}:{tel.port}", "-m", "1",
            "-d", "9000", "-timeout", "40", "-nostdin",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(sipp.communicate(), 45)
        assert sipp.returncode == 0, err.decode()[-2000:]
        await wait_for(lambda: parts.count(CallerHungUp) == 1 or parts.records, 5)
        await tel.close()
        return parts

    parts = asyncio.run(scenario())
    (arrived,) = [e for e in parts.events if isinstance(e, CallArrived)]
    assert arrived.line == "12345" and arrived.queue == "zh-general"
    (record,) = parts.records  # nobody logged in: the caller waited and hung up
    assert record.outcome == "abandoned" and record.line == "12345"
    assert parts.acd.live_calls() == 0

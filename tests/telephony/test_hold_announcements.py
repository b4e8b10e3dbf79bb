"""Waiting callers hear their place in the queue and the estimated wait between hold music."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import AgentLoggedIn
from callcenter.media.playout import encoded
from callcenter.telephony.embedded import start_embedded

from .conftest import engine_parts
from .helpers import LOCAL, PASSWORDS, new_caller, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


def middle(prompts_dir, key: str, payload_type: int) -> bytes:
    """40 ms from the middle of the prompt as sent (prompts are played back to back, so their
    frames need not start on a packet boundary: the test searches the joined stream)."""
    data = encoded(prompts_dir / "zh" / f"{key}.wav", payload_type)
    return data[len(data) // 2:len(data) // 2 + 320]


def test_second_caller_hears_one_caller_ahead_and_a_wait_estimate(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=1.0)
        parts.driver.submit(AgentLoggedIn("1001", ready=False))  # serves zh: an estimate exists
        caller = await new_caller()
        first = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await asyncio.sleep(0.5)
        second = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        heard: list[bytes] = []
        (await second.media()).on_packet = lambda packet, addr: heard.append(packet.payload)
        await wait_for(lambda: parts.acd.queue_position(second.call_id) == 2, 20)
        assert parts.acd.estimated_wait(second.call_id) is not None
        expected = [middle(prompts_dir, key, second.payload_type)
                    for key in ("please_hold", "position_in_queue", "estimated_wait")]
        assert all(len(set(chunk)) > 8 for chunk in expected)  # sound, not silence

        def announced() -> bool:
            stream = b"".join(heard)
            return all(chunk in stream for chunk in expected)

        await wait_for(announced, 15)  # within an interval plus the announcement itself
        assert parts.acd.queue_position(second.call_id) == 2  # still waiting, place kept
        for call in (first, second):
            await caller.hangup(call)
        await wait_for(lambda: not tel.control.callers, 3)
        assert [r.outcome for r in parts.records] == ["abandoned", "abandoned"]
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())

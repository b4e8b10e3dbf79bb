"""Offers that do not end in a conversation: ring-no-answer, a busy seat, an unregistered seat."""

from __future__ import annotations

import asyncio

import pytest

from acd.engine import CallState
from acd.events import AgentDeclined, AgentLoggedIn
from callcenter.sip.message import make_response
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent

from .conftest import engine_parts
from .helpers import LOCAL, new_caller, press, register_seat, start, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(40)]


def test_ring_no_answer_cancels_the_seat_and_the_next_one_answers(prompts_dir):
    async def scenario():
        parts = engine_parts(ring_timeout=1.0)
        tel = await start(parts, prompts_dir)
        silent: list[Call] = []
        answering: list[Call] = []
        seat_a = await register_seat(tel, "1001", parts, silent, auto_answer=False)
        seat_b = await register_seat(tel, "1002", parts, answering)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "90")
        await wait_for(lambda: silent, 5)  # longest idle: 1001 rings first
        await asyncio.wait_for(silent[0].ended.wait(), 5)
        assert silent[0].end_reason == "cancelled"
        await wait_for(lambda: answering, 5)
        await asyncio.wait_for(answering[0].confirmed.wait(), 5)
        assert parts.acd.agent_call("1002") == call.call_id
        assert parts.acd.seat("1001").reason == "no-answer"
        assert call.state == "confirmed"  # the caller stayed on the line throughout
        await caller.hangup(call)
        await asyncio.wait_for(answering[0].ended.wait(), 5)
        (record,) = parts.records
        assert record.outcome == "answered" and record.agent_id == "1002" and record.offers == 2
        assert parts.acd.live_calls() == 0
        await tel.close()
        for ua in (caller, seat_a, seat_b):
            await ua.endpoint.close()

    asyncio.run(scenario())


def test_busy_seat_declines_and_the_call_waits(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        seat = UserAgent(await open_endpoint(port=0), user="1001", auto_answer=False, ring=False)
        seat.on_call = lambda c: seat.endpoint.respond(
            make_response(c.invite, 486, to_tag=c.dialog.local_tag if c.dialog else "busy"))
        response = await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                       username="1001", password="seat-1001-pass")
        assert response is not None and response.status == 200
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "90")
        await wait_for(lambda: parts.count(AgentDeclined), 5)
        assert parts.acd.seat("1001").reason == "declined"
        assert parts.acd.call_state(call.call_id) is CallState.WAITING
        assert call.state == "confirmed"
        await caller.hangup(call)
        (record,) = parts.records
        assert record.outcome == "abandoned" and record.offers == 1
        assert parts.acd.live_calls() == 0
        await tel.close()
        await caller.endpoint.close()
        await seat.endpoint.close()

    asyncio.run(scenario())


def test_logged_in_seat_without_registration_is_not_rung(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        parts.driver.submit(AgentLoggedIn("1001", ready=True))  # no REGISTER
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "90")
        await wait_for(lambda: parts.count(AgentDeclined), 5)
        assert parts.acd.call_state(call.call_id) is CallState.WAITING
        await caller.hangup(call)
        assert parts.acd.live_calls() == 0
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())

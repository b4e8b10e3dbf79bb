"""A real 12329 call over loopback: what the caller did in the IVR reaches the driver's sinks
(for the desk's screen pop) just before the call is queued, with the ID number masked."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import CallArrived
from ivr_flows.handoff import CallerDetails
from ivr_flows.housing_fund import fake_resident_ids

from .conftest import engine_parts
from .helpers import LOCAL, new_caller, press, start, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


def test_a_12329_caller_keys_their_id_then_asks_for_an_agent(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        caller = await new_caller()
        call = await caller.call(f"sip:12329@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        id_number = fake_resident_ids(3, seed=99)[2]  # not among the sample accounts
        await press(call, "1")
        await wait_for(lambda: tel.control.callers[call.call_id].call.run.node == "enter_id", 10)
        await press(call, id_number.replace("X", "*") + "#")
        await wait_for(lambda: tel.control.callers[call.call_id].call.run.node == "not_found", 10)
        await press(call, "0")
        await wait_for(lambda: parts.count(CallArrived), 10)
        details = [c for c in parts.commands if isinstance(c, CallerDetails)]
        assert len(details) == 1
        (shown,) = details
        assert shown.call_id == call.call_id and shown.caller == "13800138000"
        assert shown.path == ("main_menu", "enter_id", "lookup", "not_found", "agent")
        assert shown.collected == (("id_number", "*" * 14 + id_number[-4:]),)
        await caller.hangup(call)
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())

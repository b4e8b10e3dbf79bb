"""Blind transfer by REFER from a seat to a department over loopback, with a real department UA."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from acd.events import AgentHungUp, CallerHungUp
from agents.seat import Activity
from callcenter.config import load_config
from callcenter.config.schema import Transfers
from callcenter.media.dtmf import detect_tone
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from calls.leg import State

from .conftest import engine_parts
from .helpers import LOCAL, PASSWORDS, exchange_tones, new_caller, register_seat, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]

HOUSING = "053100100001"  # the shipped config's housing authority


async def department_ua(calls: list[Call], *, answer: bool = True) -> UserAgent:
    """The department's PBX behind the transfer gateway: answers (or just rings)."""
    return UserAgent(await open_endpoint(port=0), user=HOUSING, media=True,
                     on_call=calls.append, auto_answer=answer)


async def connected(prompts_dir, department: UserAgent | None, *, ring: float = 30.0):
    """An engine whose transfers go to ``department``, and a caller talking to seat 1001."""
    config = load_config()
    gateway = None if department is None else f"{LOCAL}:{department.port}"
    config = config.model_copy(update={"transfers": Transfers(gateway=gateway,
                                                              ring_timeout_seconds=ring)})
    parts = engine_parts(config=config)
    tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                               passwords=PASSWORDS)
    rung: list[Call] = []
    seat = await register_seat(tel, "1001", parts, rung)
    caller = await new_caller()
    call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
    await wait_for(lambda: rung, 15)  # silence in the menu: Mandarin, seat 1001 rings
    await asyncio.wait_for(rung[0].confirmed.wait(), 5)
    return parts, tel, seat, rung[0], caller, call


@dataclass
class Parties:
    """An engine, a caller talking to seat 1001, and the department's user agent."""

    parts: Any
    tel: Any
    seat: UserAgent
    seat_call: Call
    caller: UserAgent
    call: Call
    department: UserAgent
    dept_calls: list[Call]

    async def department_joins(self) -> Call:
        """The desk's three-way button: the department answers and the mixer takes the call."""
        self.parts.call_actions.three_way("1001", HOUSING)
        await wait_for(lambda: self.dept_calls and self.dept_calls[0].state == "confirmed", 5)
        await wait_for(lambda: self.tel.control.callers[self.call.call_id].department.conference, 3)
        return self.dept_calls[0]


def with_parties(prompts_dir, body: Callable[[Parties], Awaitable[None]], *, answer: bool = True,
                 ring: float = 30.0) -> None:
    """Run ``body`` with the parties connected (the department answering, or just ringing);
    close every endpoint afterwards."""
    async def scenario():
        dept_calls: list[Call] = []
        department = await department_ua(dept_calls, answer=answer)
        parts, tel, seat, seat_call, caller, call = await connected(prompts_dir, department, ring=ring)
        try:
            await body(Parties(parts, tel, seat, seat_call, caller, call, department, dept_calls))
        finally:
            await tel.close()
            for ua in (seat, caller, department):
                await ua.endpoint.close()

    asyncio.run(scenario())


async def talking(call_a: Call, call_b: Call) -> bool:
    heard_b, heard_a = await exchange_tones(call_a, call_b)
    return detect_tone(heard_b, 8000, 1000.0) and detect_tone(heard_a, 8000, 600.0)


def test_agent_transfers_caller_to_department(prompts_dir):
    async def body(p: Parties) -> None:
        reply = await p.seat.transfer(p.seat_call, f"sip:{HOUSING}@{LOCAL}")
        assert reply is not None and reply.status == 202
        await wait_for(lambda: p.dept_calls and p.dept_calls[0].state == "confirmed", 5)
        dept_call = p.dept_calls[0]
        assert "13800138000" in (dept_call.invite.headers.get("from") or "")
        await asyncio.wait_for(p.seat_call.ended.wait(), 3)  # the engine releases the agent
        assert p.seat_call.notifies[0] == "SIP/2.0 100 Trying"
        assert p.seat_call.notifies[-1] == "SIP/2.0 200 OK"
        assert await talking(p.call, dept_call)  # caller and department hear each other
        assert p.parts.acd.seat("1001").activity is Activity.WRAP_UP
        (record,) = p.parts.records
        assert record.outcome == "answered" and record.agent_id == "1001"
        assert record.transferred_to == "housing-authority"
        assert p.parts.count(AgentHungUp) == 1 and p.parts.count(CallerHungUp) == 0
        await p.caller.hangup(p.call)
        await asyncio.wait_for(dept_call.ended.wait(), 3)  # the department is hung up too
        assert not p.tel.control.callers and not p.tel.control.dialogs

    with_parties(prompts_dir, body)


def test_transfer_to_any_other_number_or_without_gateway_is_refused(prompts_dir):
    async def scenario():
        dept_calls: list[Call] = []
        department = await department_ua(dept_calls)
        parts, tel, seat, seat_call, caller, call = await connected(prompts_dir, department)
        reply = await seat.transfer(seat_call, f"sip:13900001111@{LOCAL}")
        assert reply is not None and reply.status == 403
        assert "not a department number" in reply.reason
        reply = await seat.request(seat_call, "REFER", timeout=3)  # no Refer-To at all
        assert reply is not None and reply.status == 400 and "Refer-To missing" in reply.reason
        assert await talking(call, seat_call)  # the conversation goes on
        assert not dept_calls
        await caller.hangup(call)
        await tel.close()
        for ua in (seat, caller):
            await ua.endpoint.close()

        parts, tel, seat, seat_call, caller, call = await connected(prompts_dir, None)
        reply = await seat.transfer(seat_call, f"sip:{HOUSING}@{LOCAL}")
        assert reply is not None and reply.status == 503
        assert "no transfer gateway" in reply.reason
        await caller.hangup(call)
        await tel.close()
        for ua in (seat, caller, department):
            await ua.endpoint.close()

    asyncio.run(scenario())


def test_department_not_answering_leaves_the_caller_with_the_agent(prompts_dir):
    async def body(p: Parties) -> None:
        reply = await p.seat.transfer(p.seat_call, f"sip:{HOUSING}@{LOCAL}")
        assert reply is not None and reply.status == 202
        await wait_for(lambda: p.seat_call.notifies[-1:] == ["SIP/2.0 408 Request Timeout"], 5)
        assert p.dept_calls and p.dept_calls[0].state == "ended"  # cancelled by the engine
        assert p.seat_call.state == "confirmed" and await talking(p.call, p.seat_call)
        await p.caller.hangup(p.call)
        await asyncio.wait_for(p.seat_call.ended.wait(), 3)
        assert [r.outcome for r in p.parts.records] == ["answered"]

    with_parties(prompts_dir, body, answer=False, ring=1.0)


def test_agent_hanging_up_right_after_refer_leaves_the_caller_to_the_department(prompts_dir):
    async def body(p: Parties) -> None:
        reply = await p.seat.transfer(p.seat_call, f"sip:{HOUSING}@{LOCAL}")
        assert reply is not None and reply.status == 202
        await p.seat.hangup(p.seat_call)  # many softphones hang up as soon as REFER is accepted
        await wait_for(lambda: p.dept_calls, 3)
        await asyncio.sleep(0.3)
        assert p.call.state != "ended" and p.parts.count(AgentHungUp) == 1
        dept_call = p.dept_calls[0]
        p.department.answer(dept_call)
        await asyncio.wait_for(dept_call.confirmed.wait(), 3)
        assert await talking(p.call, dept_call)
        await p.department.hangup(dept_call)
        await asyncio.wait_for(p.call.ended.wait(), 3)  # the department's BYE ends the caller
        assert not p.tel.control.callers and not p.tel.control.dialogs

    with_parties(prompts_dir, body, answer=False)


def test_ivr_transfer_command_connects_the_caller_to_the_department(prompts_dir):
    """A flow's transfer node: the caller goes straight to the department, no agent involved."""
    async def scenario():
        dept_calls: list[Call] = []
        department = await department_ua(dept_calls)
        config = load_config().model_copy(update={
            "transfers": Transfers(gateway=f"{LOCAL}:{department.port}")})
        parts = engine_parts(config=config)
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        leg = tel.control.callers[call.call_id]
        assert leg.call.state is State.IVR
        now = parts.driver.clock()  # as if the flow had a transfer node here
        tel.control._do(leg.call, leg.call._ivr_transfer("housing-authority", HOUSING, now))
        await wait_for(lambda: dept_calls and dept_calls[0].state == "confirmed", 5)
        assert await talking(call, dept_calls[0])
        assert leg.call.state is State.TRANSFERRED and not parts.records  # never reached the ACD
        await caller.hangup(call)
        await asyncio.wait_for(dept_calls[0].ended.wait(), 3)
        assert not tel.control.callers and not tel.control.dialogs
        await tel.close()
        for ua in (caller, department):
            await ua.endpoint.close()

    asyncio.run(scenario())

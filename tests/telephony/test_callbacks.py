"""Callbacks over loopback: a waiting caller presses 1, hangs up, keeps their place, and is
called back at their own address once an agent answers."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import CallbackAccepted, CallerHungUp
from callcenter.config import HotlineConfig, load_config
from callcenter.config.schema import Escalation
from callcenter.media.dtmf import detect_tone
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from calls.leg import State

from .conftest import engine_parts
from .helpers import LOCAL, PASSWORDS, exchange_tones, press, register_seat, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


def offering_callbacks_after(seconds: float) -> HotlineConfig:
    """The shipped config with line 12345's Mandarin queue offering a callback early."""
    config = load_config()
    name = config.route_for("12345", "zh")
    queues = [q.model_copy(update={"escalation": [Escalation(after_seconds=seconds,
                                                             offer_callback=True)]})
              if q.name == name else q for q in config.queues]
    return config.model_copy(update={"queues": queues})


def test_caller_accepts_a_callback_and_is_called_back_when_an_agent_answers(prompts_dir):
    async def scenario():
        parts = engine_parts(config=offering_callbacks_after(1.0))
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=0)
        called_back: list[Call] = []
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True,
                           on_call=called_back.append, auto_answer=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await wait_for(lambda: parts.acd.queue_position(call.call_id) == 1, 20)
        await asyncio.sleep(2.0)  # the offer starts a second into the queue
        await press(call, "1")
        await wait_for(lambda: parts.count(CallbackAccepted) == 1, 8)
        await asyncio.wait_for(call.ended.wait(), 15)  # confirmation, then the engine hangs up
        assert call.end_reason == "remote BYE"
        assert parts.count(CallerHungUp) == 0 and parts.acd.queue_position(call.call_id) == 1
        assert not tel.control.callers and not parts.records  # waiting, as a callback

        rung: list[Call] = []
        seat = await register_seat(tel, "1001", parts, rung)  # the agent becomes free
        await wait_for(lambda: rung and called_back, 10)
        seat_call, back = rung[0], called_back[0]
        assert "13800138000" in (seat_call.invite.headers.get("from") or "")
        assert "12345" in (back.invite.headers.get("from") or "")  # the hotline calls back
        await asyncio.wait_for(back.confirmed.wait(), 5)
        heard_at_seat, heard_by_caller = await exchange_tones(back, seat_call)
        assert detect_tone(heard_at_seat, 8000, 1000.0)
        assert detect_tone(heard_by_caller, 8000, 600.0)
        await seat.hangup(seat_call)
        await asyncio.wait_for(back.ended.wait(), 3)
        (record,) = parts.records
        assert record.outcome == "answered" and record.callback and record.agent_id == "1001"
        assert record.call_id == call.call_id
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()
        for ua in (seat, caller):
            await ua.endpoint.close()

    asyncio.run(scenario())


def test_caller_declining_the_callback_keeps_waiting_on_hold(prompts_dir):
    async def scenario():
        parts = engine_parts(config=offering_callbacks_after(0.5))
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=0)
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await wait_for(lambda: parts.acd.queue_position(call.call_id) == 1, 20)
        leg = tel.control.callers[call.call_id]
        await wait_for(lambda: leg.call.state is State.CALLBACK_OFFER, 3)
        await wait_for(lambda: leg.call.state is State.QUEUED, 15)  # no key: "please hold", music
        assert call.state != "ended" and parts.count(CallbackAccepted) == 0
        await caller.hangup(call)
        await wait_for(lambda: parts.records, 3)
        assert [r.outcome for r in parts.records] == ["abandoned"]
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())

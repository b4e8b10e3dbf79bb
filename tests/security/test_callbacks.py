"""Callbacks and in-dialog requests over loopback: a Contact naming another host or number
cannot make the engine dial it; the engine calls back only the caller's own phone number, at
the address the call came from, or through the configured outbound route only as the trust
domain (the gateway's address) asserted it."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import CallbackAccepted
from callcenter.media.dtmf import detect_tone
from callcenter.metrics.sip_guard import SipGuardCollector
from callcenter.sip.message import SipURI
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from calls.leg import State
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, PASSWORDS, exchange_tones, press, register_seat, wait_for
from tests.telephony.test_callbacks import offering_callbacks_after

from .helpers import SpoofingCaller, normal_call_has_two_way_audio
from .test_rtp_latching import Socket

pytestmark = [pytest.mark.sip, pytest.mark.timeout(90)]

TOLL = "0099912345678"


class LyingCaller(UserAgent):
    """A caller whose Contact names another host, port and (international) number."""

    @property
    def contact(self) -> str:
        return f"<sip:{TOLL}@127.0.0.4:5099>"


async def accept_callback(tel, parts, caller: UserAgent) -> Call:
    call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
    await wait_for(lambda: parts.acd.queue_position(call.call_id) == 1, 20)
    leg = tel.control.callers[call.call_id]
    await wait_for(lambda: leg.call.state is State.CALLBACK_OFFER, 5)  # the callback offer plays
    await press(call, "1")
    return call


async def no_callback_offered(tel, parts, caller: UserAgent) -> None:
    """``caller`` calls, waits past the offer's time (no offer comes) and presses 1: nothing is
    accepted, the call stays queued; then it hangs up."""
    call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
    await wait_for(lambda: parts.acd.queue_position(call.call_id) == 1, 20)
    await asyncio.sleep(1.5)  # past the offer's time: none for a number not called back
    await press(call, "1")
    await asyncio.sleep(0.5)  # the key has been handled: the caller stays in the queue
    assert parts.count(CallbackAccepted) == 0
    assert tel.control.callers[call.call_id].call.state is State.QUEUED
    await caller.hangup(call)


def test_the_callback_goes_to_the_callers_own_number_where_the_call_came_from(prompts_dir):
    async def scenario():
        parts = engine_parts(config=offering_callbacks_after(0.5))
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=0)
        contact_host = Socket("127.0.0.4")  # would get the engine's BYE and callback INVITE
        called_back: list[Call] = []
        caller = LyingCaller(await open_endpoint(port=0), user="13800138000", media=True,
                             on_call=called_back.append, auto_answer=True)
        call = await accept_callback(tel, parts, caller)
        await wait_for(lambda: parts.count(CallbackAccepted) == 1, 8)
        await asyncio.wait_for(call.ended.wait(), 15)  # the engine's BYE reached the source
        rung: list[Call] = []
        seat = await register_seat(tel, "1001", parts, rung)
        await wait_for(lambda: rung and called_back, 10)
        back = called_back[0]
        uri = SipURI.parse(back.invite.uri)
        assert (uri.user, uri.host, uri.port) == ("13800138000", LOCAL, caller.port)
        await asyncio.wait_for(back.confirmed.wait(), 5)
        at_seat, at_caller = await exchange_tones(back, rung[0])
        assert detect_tone(at_seat, 8000, 1000.0) and detect_tone(at_caller, 8000, 600.0)
        await caller.hangup(back)
        assert contact_host.received == 0
        assert not_believed(tel) == 0  # no trust domain: nothing to believe or doubt
        contact_host.close()
        await seat.endpoint.close()
        await caller.endpoint.close()
        await normal_call_has_two_way_audio(tel, parts, "1002")
        await tel.close()

    asyncio.run(scenario())


def test_no_callback_for_a_caller_whose_number_is_not_a_phone_number(prompts_dir):
    async def scenario():
        parts = engine_parts(config=offering_callbacks_after(0.5))
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=0)
        contact_host = Socket("127.0.0.4")
        caller = LyingCaller(await open_endpoint(port=0), user=TOLL, media=True)
        await no_callback_offered(tel, parts, caller)
        assert contact_host.received == 0
        contact_host.close()
        await caller.endpoint.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())


def not_believed(tel) -> float:
    """``/metrics``' count of calls whose caller ID was not believed."""
    return next(sample.value for metric in SipGuardCollector(tel).collect() for sample in metric.samples
                if sample.name == "callcenter_sip_identity_not_believed_total")


def test_through_a_gateway_only_the_trunks_caller_id_is_called_back(prompts_dir):
    """The gateway (127.0.0.5) is the trust domain: a caller from there is called back through
    it; a peer elsewhere asserting a number (PAI, From, Via and Contact on the trunk's host) is
    offered no callback, and pressing 1 dials nothing."""
    async def scenario():
        gateway = UserAgent(await open_endpoint(host="127.0.0.5", port=0), media=True,
                            auto_answer=True, on_call=lambda c: dialled.append(c))
        dialled: list[Call] = []
        config = offering_callbacks_after(0.5)
        config = config.model_copy(update={"callbacks": config.callbacks.model_copy(
            update={"gateway": f"127.0.0.5:{gateway.port}"})})
        parts = engine_parts(config=config)
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=0)
        spoofer = SpoofingCaller(await open_endpoint(port=0), "127.0.0.5", "13900139000", media=True)
        await no_callback_offered(tel, parts, spoofer)
        assert not_believed(tel) == 1.0

        trunk_caller = LyingCaller(await open_endpoint(host="127.0.0.5", port=0), user="13800138000",
                                   media=True)
        call = await accept_callback(tel, parts, trunk_caller)
        await wait_for(lambda: parts.count(CallbackAccepted) == 1, 8)
        await asyncio.wait_for(call.ended.wait(), 15)
        rung: list[Call] = []
        seat = await register_seat(tel, "1001", parts, rung)
        await wait_for(lambda: dialled, 10)
        assert len(dialled) == 1
        uri = SipURI.parse(dialled[0].invite.uri)
        assert (uri.user, uri.host, uri.port) == ("13800138000", "127.0.0.5", gateway.port)
        assert not_believed(tel) == 1.0  # the trunk's caller is believed
        for ua in (seat, spoofer, trunk_caller, gateway):
            await ua.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


def test_without_a_gateway_a_listed_peers_caller_id_is_called_back_and_no_one_elses(prompts_dir):
    """``caller_identity.trusted_peers`` lists the carrier's SBC (127.0.0.5) and no gateway is
    set: a peer elsewhere asserting a number is offered no callback (it would be called back at
    its own address with a number it chose, through a carrier that relays it); the SBC's caller
    is called back where the call came from."""
    async def scenario():
        config = offering_callbacks_after(0.5)
        config = config.model_copy(update={"caller_identity": config.caller_identity.model_copy(
            update={"trusted_peers": ["127.0.0.5"]})})
        parts = engine_parts(config=config)
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, hold_interval=0)
        outsider = UserAgent(await open_endpoint(port=0), user="13900139000", media=True)
        await no_callback_offered(tel, parts, outsider)
        assert not_believed(tel) == 1.0

        called_back: list[Call] = []
        carrier = UserAgent(await open_endpoint(host="127.0.0.5", port=0), user="13800138000",
                            media=True, on_call=called_back.append, auto_answer=True)
        call = await accept_callback(tel, parts, carrier)
        await wait_for(lambda: parts.count(CallbackAccepted) == 1, 8)
        await asyncio.wait_for(call.ended.wait(), 15)
        seat = await register_seat(tel, "1001", parts, [])
        await wait_for(lambda: called_back, 10)
        uri = SipURI.parse(called_back[0].invite.uri)
        assert (uri.user, uri.host, uri.port) == ("13800138000", "127.0.0.5", carrier.port)
        assert not_believed(tel) == 1.0
        for ua in (seat, outsider, carrier):
            await ua.endpoint.close()
        await tel.close()

    asyncio.run(scenario())

"""Loopback pieces for the hostile-peer tests: a normal call with two-way audio, RTP counters, a
caller asserting an identity it has no right to."""

from __future__ import annotations

import asyncio

from callcenter.media.dtmf import detect_tone
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from tests.telephony.helpers import LOCAL, exchange_tones, press, register_seat, wait_for


async def normal_call_has_two_way_audio(tel, parts, agent_id: str = "1001") -> None:
    """A seat registers, a caller dials 12345 and is put through: each hears the other's tone."""
    rung: list[Call] = []
    seat = await register_seat(tel, agent_id, parts, rung)
    caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
    try:
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        await press(call, "90")  # other languages, then back to Mandarin: queued at once
        await wait_for(lambda: rung, 10)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        at_seat, at_caller = await exchange_tones(call, rung[0])
        assert detect_tone(at_seat, 8000, 1000.0), "the seat does not hear the caller"
        assert detect_tone(at_caller, 8000, 600.0), "the caller does not hear the seat"
        await caller.hangup(call)
    finally:
        await caller.endpoint.close()
        await seat.endpoint.close()


class Counter:
    """Counts RTP packets arriving on an endpoint (an ``on_packet`` handler)."""

    def __init__(self) -> None:
        self.packets = 0
        self.sources: set[tuple[str, int]] = set()

    def __call__(self, packet, addr) -> None:
        self.packets += 1
        self.sources.add(addr)

    async def during(self, seconds: float) -> int:
        """Packets counted over the next ``seconds``."""
        before = self.packets
        await asyncio.sleep(seconds)
        return self.packets - before


class SpoofingCaller(UserAgent):
    """A peer outside the trust domain whose P-Asserted-Identity, Via, From and Contact all name
    ``number`` at the trunk's host ``trunk``: only the transport's source address tells."""

    def __init__(self, endpoint, trunk: str, number: str, **kwargs) -> None:
        super().__init__(endpoint, user=number, **kwargs)
        self.trunk = trunk

    @property
    def host(self) -> str:
        return self.trunk

    def _new_request(self, method, uri, **kwargs):
        asserted = ("P-Asserted-Identity", f"<sip:{self.user}@{self.trunk}>")
        extra = [*(kwargs.pop("extra", None) or ()), asserted]
        return super()._new_request(method, uri, extra=extra, **kwargs)

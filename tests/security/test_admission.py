"""Admission control over loopback: beyond the live-call ceiling or a source's INVITE and
REGISTER rate the engine answers 503 with Retry-After, sets nothing up for the excess, and
the calls it carries keep full audio."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import CallArrived
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from callcenter.telephony.admission import AdmissionLimits
from callcenter.telephony.embedded import start_embedded
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, PASSWORDS, RawPeer, header, press, wait_for

from .helpers import Counter, normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]

SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 4000 RTP/AVP 0\r\n")


async def queued_call(tel, parts, caller: UserAgent, counter: Counter):
    call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
    assert call.status == 200
    (await call.media()).on_packet = counter
    arrived = parts.count(CallArrived)
    await press(call, "90")
    await wait_for(lambda: parts.count(CallArrived) > arrived, 5)
    return call


def test_calls_beyond_the_ceiling_get_503_and_the_admitted_ones_keep_their_audio(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS,
                                   admission=AdmissionLimits(max_calls=3, invite_rate=None))
        caller = UserAgent(await open_endpoint(port=0), user="13800138000", media=True)
        counters = [Counter() for _ in range(3)]
        calls = [await queued_call(tel, parts, caller, c) for c in counters]
        peer = RawPeer(tel.port)
        for _ in range(20):
            peer.send(peer.request("INVITE", extra="Content-Type: application/sdp\r\n", body=SDP))
        texts = [t for t in await peer.messages(0.5) if not t.startswith("SIP/2.0 1")]
        assert len(texts) == 20 and all(t.startswith("SIP/2.0 503") for t in texts)
        assert all(header(t, "retry-after") == "5" for t in texts)
        assert len(tel.control.callers) == 3 and tel.control.refused == 20
        figures = await asyncio.gather(*(c.during(1.0) for c in counters))
        assert min(figures) >= 45, figures  # hold music at 50 packets/s on every admitted call
        for call in calls:
            await caller.hangup(call)
        await caller.endpoint.close()
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())


def test_a_source_over_its_invite_or_register_rate_gets_503_and_others_do_not(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS,
                                   admission=AdmissionLimits(invite_rate=2.0, register_rate=5.0))
        flood = RawPeer(tel.port)
        invites = [flood.request("INVITE", extra="Content-Type: application/sdp\r\n", body=SDP)
                   for _ in range(30)]
        for invite in invites:
            flood.send(invite)
        answers = {(line.split()[1], call_id) for line, call_id in await flood.responses(0.6)}
        statuses = [status for status, _ in answers]
        assert statuses.count("200") == 4 and statuses.count("503") == 26  # a 2 s burst at 2/s
        admitted = next(call_id for status, call_id in answers if status == "200")
        for _ in range(5):  # the bucket is empty again...
            flood.send(flood.request("INVITE", extra="Content-Type: application/sdp\r\n",
                                     body=SDP))
        flood.send(next(i for i in invites if admitted.encode() in i))  # ...and it retransmits
        assert ("SIP/2.0 503 Service Unavailable", admitted) not in await flood.responses(0.6)
        assert len(tel.control.callers) <= 6
        for _ in range(30):
            flood.send(flood.request("REGISTER", user="1001"))
        statuses = [t.split()[1] for t in await flood.messages(0.6)]
        assert statuses.count("401") == 10 and statuses.count("503") == 20
        other = RawPeer(tel.port, host="127.0.0.2")
        reply = await other.exchange(other.request(
            "INVITE", extra="Content-Type: application/sdp\r\n", body=SDP))
        assert reply and reply[0].startswith("SIP/2.0 200")  # limits are per source
        for leg in list(tel.control.callers.values()):
            tel.control.hang_up(leg)
        await normal_call_has_two_way_audio(tel, parts)  # the seat registers from elsewhere
        await tel.close()

    asyncio.run(scenario())

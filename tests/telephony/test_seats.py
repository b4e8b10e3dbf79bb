"""Seats over loopback: feature codes, registrations that end, and callers whose RTP stops."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from acd.events import AgentLoggedOut, AgentLost, AgentNotReady, CallerHungUp
from agents.seat import Activity, Presence
from callcenter.media.rtp import RtpSender
from callcenter.sip.digest import build_authorization
from callcenter.sip.message import SIPResponse
from callcenter.sip.sdp import build_offer
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded
from callcenter.telephony.feature_codes import FEATURE_CODES
from callcenter.telephony.silence import sends_media

from .conftest import engine_parts
from .helpers import LOCAL, PASSWORDS, RawPeer, header, new_caller, press, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(30)]


async def seat_ua(tel, agent_id: str, rung: list[Call] | None = None) -> UserAgent:
    """A registered seat that has not logged in to the ACD yet."""
    seat = UserAgent(await open_endpoint(port=0), user=agent_id, media=True,
                     on_call=rung.append if rung is not None else None, auto_answer=True,
                     credentials=(agent_id, PASSWORDS[agent_id]))  # feature codes challenge
    reply = await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                username=agent_id, password=PASSWORDS[agent_id])
    assert reply is not None and reply.status == 200
    return seat


async def dial(seat: UserAgent, tel, code: str) -> Call:
    """Dial a feature code; a confirmed call is waited for until the engine hangs up."""
    call = await seat.call(f"sip:{code}@{LOCAL}:{tel.port}", (LOCAL, tel.port))
    if call.status == 200:
        await asyncio.wait_for(call.ended.wait(), 3)
        assert call.end_reason == "remote BYE"
    return call


def spy_responses(ua: UserAgent) -> list[SIPResponse]:
    """Every response ``ua`` receives, in order."""
    seen: list[SIPResponse] = []
    original = ua.on_response

    def on_response(response, addr, txn):
        seen.append(response)
        original(response, addr, txn)

    ua.on_response = on_response  # type: ignore[method-assign]
    return seen


def test_feature_code_table_is_documented():
    import agents.feature_codes as module  # the one table, for both telephony paths

    for code in FEATURE_CODES:
        assert f"``{code}``" in (module.__doc__ or "")


def test_feature_codes_change_the_seat_and_refuse_illegal_moves(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        seat = await seat_ua(tel, "1001")
        replies = spy_responses(seat)
        acd = parts.acd
        beep = await dial(seat, tel, "*11")
        assert beep.status == 200 and acd.seat("1001").presence is Presence.AVAILABLE
        again = await dial(seat, tel, "*11")
        assert again.status == 403
        assert "'login' not allowed while available" in replies[-1].reason
        assert (await dial(seat, tel, "*14")).status == 200
        assert acd.seat("1001").presence is Presence.NOT_READY
        assert acd.seat("1001").reason == "break"
        assert (await dial(seat, tel, "*15")).status == 403  # not in wrap-up
        assert (await dial(seat, tel, "*13")).status == 200
        assert acd.seat("1001").presence is Presence.AVAILABLE
        assert (await dial(seat, tel, "*12")).status == 200
        assert acd.seat("1001").presence is Presence.LOGGED_OUT

        # Another address claiming seat 1001 is challenged, and so is an unknown seat.
        impostor = UserAgent(await open_endpoint(port=0), user="1001", media=True)
        assert (await dial(impostor, tel, "*11")).status == 401
        stranger = UserAgent(await open_endpoint(port=0), user="9999", media=True)
        assert (await dial(stranger, tel, "*11")).status == 401
        assert acd.seat("1001").presence is Presence.LOGGED_OUT
        assert not tel.control.callers and not tel.control.dialogs
        await tel.close()
        for ua in (seat, impostor, stranger):
            await ua.endpoint.close()

    asyncio.run(scenario())


def test_unregistering_logs_out_and_expiry_too(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        seat = await seat_ua(tel, "1001")
        assert (await dial(seat, tel, "*11")).status == 200
        reply = await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                    username="1001", password=PASSWORDS["1001"], expires=0)
        assert reply is not None and reply.status == 200
        await wait_for(lambda: parts.count(AgentLoggedOut) == 1, 2)
        assert parts.acd.seat("1001").presence is Presence.LOGGED_OUT

        other = await seat_ua(tel, "1002")
        assert (await dial(other, tel, "*11")).status == 200
        clock = tel.registrar.clock
        tel.registrar.clock = lambda: clock() + 4 * 3600  # every binding is out of date
        await wait_for(lambda: parts.count(AgentLoggedOut) == 2, 3)
        assert parts.acd.seat("1002").presence is Presence.LOGGED_OUT
        assert tel.registrar.contact_for("1002") is None
        await tel.close()
        await seat.endpoint.close()
        await other.endpoint.close()

    asyncio.run(scenario())


def test_seat_unregistering_during_a_call_becomes_unreachable_then_wraps_up(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        rung: list[Call] = []
        seat = await seat_ua(tel, "1001", rung)
        assert (await dial(seat, tel, "*11")).status == 200
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await press(call, "90")
        await wait_for(lambda: rung, 5)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port), username="1001",
                            password=PASSWORDS["1001"], expires=0)
        await wait_for(lambda: parts.count(AgentNotReady), 2)
        seat_state = parts.acd.seat("1001")
        assert seat_state.presence is Presence.NOT_READY and seat_state.reason == "unreachable"
        assert parts.acd.agent_call("1001") == call.call_id  # the conversation goes on
        await caller.hangup(call)
        await asyncio.wait_for(rung[0].ended.wait(), 3)
        assert parts.acd.seat("1001").activity is Activity.WRAP_UP
        # Wrap-up done needs the seat's registered address (or credentials): register again.
        await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port), username="1001",
                            password=PASSWORDS["1001"])
        assert (await dial(seat, tel, "*15")).status == 200
        assert parts.acd.seat("1001").activity is Activity.IDLE
        (record,) = parts.records
        assert record.outcome == "answered" and parts.count(CallerHungUp) == 1
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()
        await seat.endpoint.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_caller_whose_rtp_stops_is_hung_up_once(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, rtp_timeout=1.0)
        rung: list[Call] = []
        seat = await seat_ua(tel, "1001", rung)
        assert (await dial(seat, tel, "*11")).status == 200
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        rtp = await call.media()
        sender = RtpSender(call.payload_type)
        talking = True

        async def keep_talking():
            while talking:
                rtp.send(sender.packet(b"\xff" * 160, 160), call.remote_media)
                await asyncio.sleep(0.1)

        task = asyncio.ensure_future(keep_talking())
        await press(call, "90", rtp)
        await wait_for(lambda: rung, 5)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        await asyncio.sleep(0.5)
        talking = False  # the caller's network goes away: no RTP, no BYE
        await task
        silent_since = time.monotonic()
        await asyncio.wait_for(rung[0].ended.wait(), 4)
        assert 0.9 < time.monotonic() - silent_since < 2.0
        assert rung[0].end_reason == "remote BYE"
        await asyncio.wait_for(call.ended.wait(), 1)  # the engine's BYE to the caller
        await asyncio.sleep(1.2)
        assert parts.count(CallerHungUp) == 1
        (record,) = parts.records
        assert record.outcome == "answered" and record.agent_id == "1001"
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()
        await seat.endpoint.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_feature_code_from_another_address_needs_the_seats_digest_credentials(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        seat = await seat_ua(tel, "1001")  # registered from another port than the dialler
        peer = RawPeer(tel.port)
        sdp = (f"v=0\r\no=- 1 1 IN IP4 {LOCAL}\r\ns=-\r\nc=IN IP4 {LOCAL}\r\nt=0 0\r\n"
               "m=audio 4000 RTP/AVP 0\r\n").encode()
        uri = f"sip:*11@{LOCAL}:{tel.port}"

        async def invite(authorization: str = "", cseq: int = 1) -> str:
            extra = f"Authorization: {authorization}\r\n" if authorization else ""
            peer.send(peer.request("INVITE", "*11", call_id="auth-1", from_tag="dialler",
                                   extra=extra, body=sdp, cseq=cseq))
            finals = [m for m in await peer.messages(0.4) if not m.startswith("SIP/2.0 1")]
            return finals[0]

        challenge = await invite()
        assert challenge.startswith("SIP/2.0 401")
        www = header(challenge, "www-authenticate")
        wrong = build_authorization(www, method="INVITE", uri=uri, username="1001",
                                    password="guessed")
        assert (await invite(wrong, 2)).startswith("SIP/2.0 403")
        assert parts.acd.seat("1001").presence is Presence.LOGGED_OUT
        right = build_authorization(www, method="INVITE", uri=uri, username="1001",
                                    password=PASSWORDS["1001"], nc=2)
        ok = await invite(right, 3)
        assert ok.startswith("SIP/2.0 200") and parts.acd.seat("1001").presence is Presence.AVAILABLE
        to_tag = header(ok, "to").split("tag=")[1]
        peer.send(peer.request("ACK", "*11", call_id="auth-1", from_tag="dialler", to_tag=to_tag,
                               cseq=3))
        later = await peer.messages(3.0)  # the confirmation is said: the engine hangs up
        requests = [m.split(" ", 1)[0] for m in later if not m.startswith("SIP/2.0")]
        assert set(requests) == {"BYE"}  # (resent: 401, 403 and BYE are never answered here)
        assert not tel.control.callers and not tel.control.dialogs
        peer.sock.close()
        await seat.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(("sdp", "sends"), [
    (b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n", True),
    (b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n", True),
    (b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n", False),
    (b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n", False),
    (b"v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n", False),
])
def test_offers_that_announce_silence(sdp, sends):
    assert sends_media(sdp) is sends


def test_caller_on_hold_is_not_timed_out_until_it_resumes(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, rtp_timeout=0.6)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        port = (await call.media()).local_addr[1]

        async def reinvite(direction: str) -> None:
            offer = build_offer(LOCAL, port).to_bytes().replace(b"a=sendrecv", direction.encode())
            assert direction.encode() in offer
            reply = await caller.request(call, "INVITE", body=offer, content_type="application/sdp",
                                         timeout=3)
            assert reply is not None and reply.status == 200

        await reinvite("a=inactive")
        await asyncio.sleep(1.5)  # well past the RTP timeout: on hold, no RTP is expected
        assert call.state != "ended" and call.call_id in tel.control.callers
        await reinvite("a=sendrecv")
        await asyncio.wait_for(call.ended.wait(), 2)  # resumed, still silent: hung up
        assert call.end_reason == "remote BYE" and not tel.control.callers
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


class Talker:
    """Streams 20 ms frames of ``byte`` on a call's RTP until stopped (a softphone talking)."""

    def __init__(self, call: Call, rtp, byte: int) -> None:
        self.call, self.rtp, self.frame = call, rtp, bytes([byte]) * 160
        self.sender = RtpSender(call.payload_type)
        self.heard: list[bytes] = []
        rtp.on_packet = lambda packet, addr: self.heard.append(packet.payload)
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while not self.call.ended.is_set():
            self.rtp.send(self.sender.packet(self.frame, 160), self.call.remote_media)
            await asyncio.sleep(0.05)

    def heard_from(self, other: Talker) -> int:
        return sum(1 for payload in self.heard if payload == other.frame)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def test_seat_whose_rtp_stops_mid_call_gives_the_caller_back_to_the_queue(prompts_dir):
    """A seat's softphone dies mid-call (no RTP, no BYE): after the RTP timeout the caller is
    back on hold at their place, the next seat takes the call, the dead seat is not ready."""
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, rtp_timeout=1.0)
        rung: dict[str, list[Call]] = {"1001": [], "1002": []}
        first = await seat_ua(tel, "1001", rung["1001"])
        second = await seat_ua(tel, "1002", rung["1002"])
        assert (await dial(first, tel, "*11")).status == 200
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        voice = Talker(call, await call.media(), 0x11)
        await wait_for(lambda: rung["1001"], 15)
        dying = rung["1001"][0]
        await asyncio.wait_for(dying.confirmed.wait(), 5)
        dead_seat = Talker(dying, await dying.media(), 0x22)
        await wait_for(lambda: voice.heard_from(dead_seat) > 5, 3)
        await dead_seat.stop()  # the softphone dies: no more RTP, no BYE
        silent_since = time.monotonic()
        await wait_for(lambda: parts.count(AgentLost) == 1, 4)
        assert 0.9 < time.monotonic() - silent_since < 2.5
        assert not call.ended.is_set()  # the caller was not dropped
        seat_state = parts.acd.seat("1001")
        assert (seat_state.presence.value, seat_state.reason) == ("not_ready", "unreachable")
        assert parts.acd.queue_position(call.call_id) == 1
        assert (await dial(second, tel, "*11")).status == 200
        await wait_for(lambda: rung["1002"], 5)
        rescuer = rung["1002"][0]
        await asyncio.wait_for(rescuer.confirmed.wait(), 5)
        live_seat = Talker(rescuer, await rescuer.media(), 0x33)
        await wait_for(lambda: voice.heard_from(live_seat) > 5 and live_seat.heard_from(voice) > 5,
                       3)
        await second.hangup(rescuer)
        await asyncio.wait_for(call.ended.wait(), 3)
        await asyncio.gather(voice.stop(), live_seat.stop())
        (record,) = parts.records
        assert record.outcome == "answered" and record.agent_id == "1002"
        assert record.offers == 2 and parts.count(CallerHungUp) == 0
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()
        for ua in (first, second, caller):
            await ua.endpoint.close()

    asyncio.run(scenario())


def test_seat_that_stops_answering_options_is_logged_out(prompts_dir):
    """Qualify: a registered seat that vanishes (no unREGISTER) is logged out within the
    ping interval plus the timeout, instead of being offered calls until it expires."""
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, qualify_interval=0.5)
        tel.control.qualifier.timeout = 1.0
        seat = await seat_ua(tel, "1001")
        assert (await dial(seat, tel, "*11")).status == 200
        await asyncio.sleep(2.0)  # several rounds of pings, all answered
        assert parts.acd.seat("1001").presence is Presence.AVAILABLE
        await seat.endpoint.close()  # the softphone dies
        vanished = time.monotonic()
        await wait_for(lambda: parts.acd.seat("1001").presence is Presence.LOGGED_OUT, 4)
        assert time.monotonic() - vanished < 2.5
        assert tel.registrar.contact_for("1001") is None
        await tel.close()

    asyncio.run(scenario())


def test_seat_that_never_answers_options_is_not_dropped_for_it(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, qualify_interval=0.3)
        tel.control.qualifier.timeout = 0.5
        seat = await seat_ua(tel, "1001")
        seat._on_options = lambda *args: None  # a user agent that ignores OPTIONS
        assert (await dial(seat, tel, "*11")).status == 200
        await asyncio.sleep(2.0)  # pings go unanswered, round after round
        assert parts.acd.seat("1001").presence is Presence.AVAILABLE
        assert tel.registrar.contact_for("1001") is not None
        await tel.close()
        await seat.endpoint.close()

    asyncio.run(scenario())


def test_talking_seat_that_vanishes_without_ever_sending_rtp_gives_the_caller_back(prompts_dir):
    """A seat with silence suppression sends no RTP, so only its lack of answers to OPTIONS
    tells that it died; its caller goes back to the queue."""
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS, qualify_interval=0.5)
        tel.control.qualifier.timeout = 1.0
        rung: list[Call] = []
        seat = await seat_ua(tel, "1001", rung)
        assert (await dial(seat, tel, "*11")).status == 200
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await wait_for(lambda: rung, 15)
        await asyncio.wait_for(rung[0].confirmed.wait(), 5)
        assert parts.acd.agent_call("1001") == call.call_id
        await seat.endpoint.close()  # dies mid-call, having sent no audio at all
        await wait_for(lambda: parts.count(AgentLost) == 1, 4)
        assert call.state != "ended" and parts.acd.queue_position(call.call_id) == 1
        assert parts.acd.seat("1001").reason == "unreachable"
        await caller.hangup(call)
        await wait_for(lambda: parts.records, 3)
        (record,) = parts.records
        assert record.outcome == "answered"  # its first answer still counts
        assert parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())

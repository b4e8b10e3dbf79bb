"""Real SIP over loopback sockets: our UAC against our UAS, malformed input, TCP, floods."""

from __future__ import annotations

import asyncio
import socket

import numpy as np
import pytest
from sip_samples import INVITE

from callcenter.media import g711
from callcenter.media.dtmf import detect_tone
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import play
from callcenter.media.tone import sine
from callcenter.sip.digest import DigestServer
from callcenter.sip.message import parse_message
from callcenter.sip.ratelimit import SourceRateLimiter, TokenBucket
from callcenter.sip.transport import SipEndpoint, open_endpoint
from callcenter.sip.useragent import UserAgent

pytestmark = [pytest.mark.sip, pytest.mark.timeout(20)]


async def pair(**uas_options):
    uas_ep = await open_endpoint(port=0, tcp=True)
    uac_ep = await open_endpoint(port=0)
    uas = UserAgent(uas_ep, user="12345", **uas_options)
    uac = UserAgent(uac_ep, user="1001")
    return uas, uac


async def close(*agents):
    for agent in agents:
        await agent.endpoint.close()


def test_uac_calls_uas_and_hangs_up():
    async def scenario():
        uas, uac = await pair()
        target = f"sip:12345@127.0.0.1:{uas.port}"
        call = await uac.call(target, ("127.0.0.1", uas.port))
        assert call.status == 200 and call.state == "confirmed"
        assert call.payload_type == 0 and call.dtmf_payload_type == 101
        assert call.remote_media is not None and call.remote_media[0] == "127.0.0.1"
        (server_call,) = list(uas.calls.values())
        await asyncio.wait_for(server_call.confirmed.wait(), 2)
        assert server_call.remote_media == (
            "127.0.0.1", int(call.local_sdp.split(b"m=audio ")[1].split()[0]))
        bye = await uac.hangup(call)
        assert bye is not None and bye.status == 200
        await asyncio.wait_for(server_call.ended.wait(), 2)
        assert server_call.end_reason == "remote BYE"
        assert not uas.calls and not uac.calls
        await close(uas, uac)

    asyncio.run(scenario())


def test_uas_hangs_up_and_uac_sees_bye():
    async def scenario():
        uas, uac = await pair()
        call = await uac.call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port))
        (server_call,) = list(uas.calls.values())
        await asyncio.wait_for(server_call.confirmed.wait(), 2)
        response = await uas.hangup(server_call)
        assert response is not None and response.status == 200
        await asyncio.wait_for(call.ended.wait(), 2)
        assert call.end_reason == "remote BYE"
        await close(uas, uac)

    asyncio.run(scenario())


def test_offer_without_g711_is_rejected_with_488():
    async def scenario():
        uas, uac = await pair()
        offer = (b"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 b"m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n")
        call = await uac.call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port),
                              offer=offer)
        assert call.status == 488 and call.state == "ended"
        await close(uas, uac)

    asyncio.run(scenario())


def test_options_and_register_with_digest():
    async def scenario():
        clock = asyncio.get_running_loop().time
        registrar = DigestServer("12345.local", b"s" * 32, clock, algorithm="SHA-256",
                                 lookup={"8001": "pw8001"}.get)
        uas, uac = await pair(registrar=registrar)
        addr = ("127.0.0.1", uas.port)
        pong = await uac.options(f"sip:127.0.0.1:{uas.port}", addr)
        assert pong.status == 200 and "INVITE" in pong.headers.get("allow")
        ok = await uac.register(f"sip:127.0.0.1:{uas.port}", addr, username="8001",
                                password="pw8001")
        assert ok.status == 200
        assert "8001" in uas.registrations
        bad = await uac.register(f"sip:127.0.0.1:{uas.port}", addr, username="8001",
                                 password="wrong")
        assert bad.status == 401
        await close(uas, uac)

    asyncio.run(scenario())


def udp_exchange(port: int, data: bytes, timeout: float = 2.0) -> bytes | None:
    """Send one datagram; return the first reply that is not a provisional response."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.bind(("127.0.0.1", 0))
        sock.sendto(data, ("127.0.0.1", port))
        try:
            while True:
                reply = sock.recv(65535)
                if not reply.startswith(b"SIP/2.0 1"):
                    return reply
        except TimeoutError:
            return None


def test_malformed_datagrams_do_not_take_the_endpoint_down():
    async def scenario():
        uas, uac = await pair()
        loop = asyncio.get_running_loop()
        port = uas.port
        garbage = await loop.run_in_executor(None, udp_exchange, port, b"\xff\x00garbage", 0.3)
        assert garbage is None
        no_call_id = b"\r\n".join(ln for ln in INVITE.split(b"\r\n")
                                  if not ln.startswith(b"Call-ID"))
        reply = await loop.run_in_executor(None, udp_exchange, port, no_call_id)
        assert reply is not None
        # The 400 copies what the request had; without a Call-ID it cannot be fully valid.
        assert reply.startswith(b"SIP/2.0 400 Bad Request - missing Call-ID")
        assert b"branch=z9hG4bK776asdhds" in reply and b"CSeq: 314159 INVITE" in reply
        assert uas.endpoint.dropped == 2
        pong = await uac.options(f"sip:127.0.0.1:{port}", ("127.0.0.1", port))
        assert pong.status == 200
        await close(uas, uac)

    asyncio.run(scenario())


def test_options_over_tcp_with_split_writes():
    async def scenario():
        uas, uac = await pair()
        reader, writer = await asyncio.open_connection("127.0.0.1", uas.endpoint.tcp_addr[1])
        local = writer.get_extra_info("sockname")
        options = (
            f"OPTIONS sip:12345@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:{local[1]};branch=z9hG4bKtcp1\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:12345@127.0.0.1>\r\n"
            f"Call-ID: tcp-probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n").encode()
        writer.write(b"\r\n\r\n" + options[:40])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(options[40:])
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        response = parse_message(head)
        assert response.status == 200 and response.call_id == "tcp-probe"
        writer.close()
        await close(uas, uac)

    asyncio.run(scenario())


def test_invite_flood_is_rate_limited_per_source():
    async def scenario():
        limiter = SourceRateLimiter(rate=1.0, burst=3)
        uas_ep = SipEndpoint(invite_limiter=limiter)
        await uas_ep.start("127.0.0.1", 0)
        uas = UserAgent(uas_ep, user="12345", ring=False)
        uac_ep = await open_endpoint(port=0)
        uac = UserAgent(uac_ep, user="1001")
        target, addr = f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port)
        calls = await asyncio.gather(*(uac.call(target, addr) for _ in range(8)))
        statuses = sorted(c.status for c in calls)
        assert statuses.count(200) == 3 and statuses.count(503) == 5
        assert limiter.rejected == 5
        await asyncio.gather(*(uac.hangup(c) for c in calls if c.status == 200))
        await close(uas, uac)

    asyncio.run(scenario())


def test_token_bucket_refills_with_the_injected_clock():
    bucket = TokenBucket(rate=2.0, burst=2, now=0.0)
    assert [bucket.allow(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.allow(0.5) and not bucket.allow(0.5)
    assert bucket.allow(10.0) and bucket.allow(10.0) and not bucket.allow(10.0)
    limiter = SourceRateLimiter(rate=1.0, burst=1, max_sources=2)
    assert limiter.allow("a", 0.0) and limiter.allow("b", 0.0) and limiter.allow("c", 0.0)
    assert len(limiter) == 2
    assert limiter.allow("a", 0.0)  # "a" was evicted, so it starts with a full bucket


def test_ringing_then_manual_answer():
    async def scenario():
        incoming = []
        uas, uac = await pair(auto_answer=False, on_call=incoming.append)
        call = uac.start_call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port))
        for _ in range(100):
            if call.state == "ringing":
                break
            await asyncio.sleep(0.01)
        assert call.state == "ringing" and call.status is None
        assert len(incoming) == 1 and incoming[0].state == "early"
        uas.answer(incoming[0])
        await asyncio.wait_for(call.answered.wait(), 2)
        assert call.status == 200
        await asyncio.wait_for(incoming[0].confirmed.wait(), 2)
        await uac.hangup(call)
        await close(uas, uac)

    asyncio.run(scenario())


def test_cancel_before_answer_gets_487_and_transaction_ack():
    async def scenario():
        incoming = []
        uas, uac = await pair(auto_answer=False, on_call=incoming.append)
        call = uac.start_call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port))
        while call.state != "ringing":
            await asyncio.sleep(0.01)
        uac.cancel(call)
        await asyncio.wait_for(call.ended.wait(), 2)
        assert call.status == 487 and call.end_reason == "rejected 487"
        await asyncio.wait_for(incoming[0].ended.wait(), 2)
        assert incoming[0].end_reason == "cancelled"
        await asyncio.sleep(0.05)
        # The UAS transaction got the ACK that the UAC's INVITE transaction generated.
        states = [t.state for t in uas.endpoint.layer
                  if t.request.method == "INVITE"]
        assert states == ["Confirmed"]
        await close(uas, uac)

    asyncio.run(scenario())


def test_in_dialog_info_and_reinvite():
    async def scenario():
        uas, uac = await pair()
        call = await uac.call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port))
        info = await uac.request(call, "INFO", body=b"Signal=5\r\nDuration=160\r\n",
                                 content_type="application/dtmf-relay")
        assert info.status == 200
        offer = call.local_sdp.replace(b"RTP/AVP 0 8 101", b"RTP/AVP 8 101")
        reinvite = await uac.request(call, "INVITE", body=offer, content_type="application/sdp")
        assert reinvite.status == 200
        assert b"RTP/AVP 8 101" in reinvite.body
        # The UAC ACKs the re-INVITE's 2xx, so no UAS transaction keeps retransmitting it.
        await asyncio.sleep(0.05)
        invites = [t for t in uas.endpoint.layer if t.request.method == "INVITE"]
        assert len(invites) == 2 and all(t.acked for t in invites)
        await uac.hangup(call)
        await close(uas, uac)

    asyncio.run(scenario())


def test_unsupported_require_and_exhausted_max_forwards():
    async def scenario():
        uas, uac = await pair()
        loop = asyncio.get_running_loop()
        base = INVITE.replace(b"sip:12345@192.168.1.10:5060", f"sip:12345@127.0.0.1:{uas.port}"
                              .encode())
        require = base.replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nRequire: 100rel\r\n")
        reply = await loop.run_in_executor(None, udp_exchange, uas.port, require)
        statuses = [parse_message(reply).status]
        response = parse_message(reply)
        hops = base.replace(b"Max-Forwards: 70", b"Max-Forwards: 0").replace(
            b"z9hG4bK776asdhds", b"z9hG4bKother")
        reply = await loop.run_in_executor(None, udp_exchange, uas.port, hops)
        statuses.append(parse_message(reply).status)
        assert not uas.calls
        await close(uas, uac)
        return statuses, response

    statuses, response = asyncio.run(scenario())
    assert statuses == [420, 483]
    assert response.headers.get("unsupported") == "100rel"


def test_delayed_offer_answer_in_ack():
    async def scenario():
        uas, uac = await pair()
        call = await uac.call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port),
                              offer=b"")
        assert call.invite.body == b""
        (server_call,) = list(uas.calls.values())
        await asyncio.wait_for(server_call.confirmed.wait(), 2)
        uas_port = int(server_call.local_sdp.split(b"m=audio ")[1].split()[0])
        uac_port = int(call.local_sdp.split(b"m=audio ")[1].split()[0])
        assert call.remote_media == ("127.0.0.1", uas_port)
        assert server_call.remote_media == ("127.0.0.1", uac_port)
        assert call.payload_type == server_call.payload_type == 0
        await uac.hangup(call)
        await close(uas, uac)

    asyncio.run(scenario())


def test_call_with_media_plays_a_tone_to_the_caller():
    async def scenario():
        uas_ep, uac_ep = await open_endpoint(port=0), await open_endpoint(port=0)
        uas = UserAgent(uas_ep, user="12345", media=True)
        uac = UserAgent(uac_ep, user="1001", media=True)
        call = await uac.call(f"sip:12345@127.0.0.1:{uas.port}", ("127.0.0.1", uas.port))
        heard: list[bytes] = []
        caller_rtp = await call.media()
        caller_rtp.on_packet = lambda packet, addr: heard.append(packet.payload)
        (server_call,) = list(uas.calls.values())
        server_rtp = await server_call.media()
        # The negotiated addresses are the sockets actually bound on each side.
        assert server_call.remote_media == caller_rtp.local_addr
        assert call.remote_media == server_rtp.local_addr
        prompt = PromptPlayer([sine(1004, 0.3, amplitude=0.3)])
        sent = await play(server_rtp, prompt, RtpSender(server_call.payload_type),
                          server_call.remote_media, payload_type=server_call.payload_type,
                          ptime=0.005)
        await asyncio.sleep(0.1)
        await uac.hangup(call)
        await asyncio.wait_for(server_call.ended.wait(), 2)
        closed = caller_rtp.transport.is_closing() and server_rtp.transport.is_closing()
        await close(uas, uac)
        return sent, heard, call.payload_type, closed

    sent, heard, payload_type, closed = asyncio.run(scenario())
    assert sent == 15 and len(heard) == sent
    audio = np.concatenate([g711.decode(p, payload_type) for p in heard])
    assert detect_tone(audio, 8000, 1004)
    assert closed

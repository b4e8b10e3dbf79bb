"""Hostile or broken input over loopback: each is refused or dropped, and the engine carries on."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from callcenter.sip.ratelimit import SourceRateLimiter
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from callcenter.telephony.agent_calls import AgentCalls
from callcenter.telephony.embedded import start_embedded

from .conftest import engine_parts
from .helpers import LOCAL, PASSWORDS, RawPeer, new_caller, start, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(30)]

def _idle(tel, parts) -> bool:
    return (parts.acd.live_calls() == 0 and not tel.control.callers and not tel.control.dialogs
            and not tel.control.invites)


async def assert_serving_and_idle(tel, parts) -> None:
    """A fresh peer still gets answers, and no call is left anywhere (once the last hang-up
    has been handled: awaited, not slept on)."""
    probe = RawPeer(tel.port)
    assert await probe.exchange(probe.request("OPTIONS")) == ["SIP/2.0 200 OK"]
    probe.sock.close()
    with contextlib.suppress(TimeoutError):
        await wait_for(lambda: _idle(tel, parts), 5)
    assert parts.acd.live_calls() == 0
    assert not tel.control.callers and not tel.control.dialogs and not tel.control.invites


async def assert_another_caller_answered(tel, parts) -> None:
    """A caller from elsewhere is answered and hung up as before, leaving the engine idle."""
    caller = await new_caller()
    call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
    assert call.status == 200
    await caller.hangup(call)
    await assert_serving_and_idle(tel, parts)
    await caller.endpoint.close()


def test_register_without_or_with_wrong_credentials_binds_nothing(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=tmp_path,
                                   passwords=PASSWORDS)
        peer = RawPeer(tel.port)
        (reply,) = await peer.exchange(peer.request("REGISTER", "1001"))
        assert reply == "SIP/2.0 401 Unauthorized"
        forged = 'Authorization: Digest username="1001", realm="callcenter", nonce="x", ' \
                 f'uri="sip:{LOCAL}", response="00000000000000000000000000000000"\r\n'
        (reply,) = await peer.exchange(peer.request("REGISTER", "1001", extra=forged))
        assert reply == "SIP/2.0 401 Unauthorized"  # a nonce we never issued: challenged again
        seat = UserAgent(await open_endpoint(port=0), user="1001")
        wrong = await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                    username="1001", password="not-the-password")
        assert wrong is not None and wrong.status == 403
        assert tel.registrar.contact_for("1001") is None
        await assert_serving_and_idle(tel, parts)
        peer.sock.close()
        await seat.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


def test_missing_call_id_and_oversized_messages_are_refused(tmp_path, caplog):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=tmp_path,
                                   passwords=PASSWORDS)
        peer = RawPeer(tel.port)
        sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
              b"m=audio 4000 RTP/AVP 0\r\n"
        (reply,) = await peer.exchange(peer.request("INVITE", call_id=None, body=sdp))
        assert reply == "SIP/2.0 400 Bad Request - missing Call-ID header"
        # The biggest datagram UDP carries, claiming a body of more than 64 KiB.
        padding = "X-Padding: " + "a" * 64_000 + "\r\n"
        huge = peer.request("INVITE", extra=padding, body=sdp, content_length=70_000)
        assert 64_000 < len(huge) <= 65_507
        (reply,) = await peer.exchange(huge)
        assert reply.startswith("SIP/2.0 400 ")
        with pytest.raises(OSError):  # more than 64 KiB cannot even leave as one datagram
            peer.send(peer.request("OPTIONS", extra="X: " + "a" * 66_000 + "\r\n"))
        # More than 64 KiB as a stream transport would hand it over: dropped and logged.
        dropped = tel.endpoint.dropped
        with caplog.at_level(logging.WARNING, logger="callcenter.sip.transport"):
            tel.endpoint.message_received(peer.request("OPTIONS", extra=padding * 2),
                                          (peer.host, peer.port), reliable=True)
        assert tel.endpoint.dropped == dropped + 1
        assert any("message too large" in r.getMessage() for r in caplog.records)
        await assert_serving_and_idle(tel, parts)
        peer.sock.close()
        await tel.close()

    asyncio.run(scenario())


def test_invite_flood_from_one_address_gets_503_and_others_are_served(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=tmp_path,
                                   passwords=PASSWORDS,
                                   invite_limiter=SourceRateLimiter(rate=1.0, burst=3))
        flooder = RawPeer(tel.port)
        for _ in range(20):
            flooder.send(flooder.request("INVITE", "99999", body=b"v=0\r\n"))
        finals = {call_id: line for line, call_id in await flooder.responses(0.6)
                  if not line.startswith("SIP/2.0 1")}  # retransmissions counted once
        assert len(finals) == 20
        assert list(finals.values()).count("SIP/2.0 404 Not Found") == 3
        assert list(finals.values()).count("SIP/2.0 503 Service Unavailable") == 17
        assert tel.endpoint.dropped >= 17
        # Other requests from the flooder and INVITEs from elsewhere are still answered.
        assert await flooder.exchange(flooder.request("OPTIONS")) == ["SIP/2.0 200 OK"]
        caller = UserAgent(await open_endpoint(host="127.0.0.2", port=0), user="13800138000",
                           media=True)
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        await caller.hangup(call)
        await assert_serving_and_idle(tel, parts)
        flooder.sock.close()
        await caller.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


def test_an_in_dialog_request_without_its_dialog_or_out_of_order_is_refused(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start(parts, prompts_dir)
        peer = RawPeer(tel.port)
        assert await peer.exchange(peer.request("BYE", to_tag="nosuch")) == [
            "SIP/2.0 481 Call/Transaction Does Not Exist"]
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200 and call.dialog is not None
        dialog = call.dialog  # a BYE in it whose CSeq is not past the INVITE's
        stale = peer.request("BYE", call_id=dialog.call_id, from_tag=dialog.local_tag,
                             to_tag=dialog.remote_tag, cseq=dialog.local_seq)
        assert await peer.exchange(stale) == ["SIP/2.0 500 Server Internal Error"]
        assert not call.ended.is_set() and len(tel.control.callers) == 1  # the call goes on
        await caller.hangup(call)
        await assert_serving_and_idle(tel, parts)
        peer.sock.close()
        await tel.close()
        await caller.endpoint.close()

    asyncio.run(scenario())


def test_an_invite_with_an_agent_task_call_id_is_refused_and_reaches_no_acd(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=tmp_path,
                                   passwords=PASSWORDS)
        peer = RawPeer(tel.port)
        sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
              b"m=audio 4000 RTP/AVP 0\r\n"
        spoofed = "outbound:return_visit-7"
        (reply,) = await peer.exchange(peer.request("INVITE", call_id=spoofed, body=sdp))
        assert reply == "SIP/2.0 400 Bad Request - reserved Call-ID"
        assert parts.acd.live_calls() == 0
        assert spoofed not in tel.control.calls and spoofed not in tel.control.callers
        # Other callers are answered as before.
        await assert_another_caller_answered(tel, parts)
        peer.sock.close()
        await tel.close()

    asyncio.run(scenario())


def test_placing_an_agent_task_under_a_call_id_in_use_is_refused_not_overwritten(tmp_path):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=tmp_path,
                                   passwords=PASSWORDS)
        caller = await new_caller()
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        assert call.status == 200
        (call_id,) = tel.control.callers
        live = tel.control.calls[call_id]
        agent_calls = AgentCalls(tel.control, (LOCAL, 5060), lambda task_id: True,
                                 lambda task_id, status: None)
        with pytest.raises(ValueError, match="already in use"):
            agent_calls.place(call_id, "return_visit-7", "13700137004", "12345", "zh", preview=True)
        assert tel.control.calls[call_id] is live and call_id not in tel.control.callbacks.routes
        await caller.hangup(call)
        await assert_serving_and_idle(tel, parts)
        await caller.endpoint.close()
        await tel.close()

    asyncio.run(scenario())

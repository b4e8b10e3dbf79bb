"""Digest authentication against guessing and replay, over loopback: unknown and known users
are answered alike, a guessing source is throttled and then blocked (logged, counted) and
let go after the block time, a captured REGISTER cannot be replayed, and feature codes need
the seat's credentials whatever address they come from."""

from __future__ import annotations

import asyncio
import logging

import pytest

from callcenter.metrics.sip_guard import SipGuardCollector
from callcenter.sip.digest import build_authorization
from callcenter.sip.lockout import LockoutPolicy
from callcenter.telephony.embedded import start_embedded
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, PASSWORDS, RawPeer, header

from .helpers import normal_call_has_two_way_audio

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


async def register(peer: RawPeer, user: str, password: str, *, qop: bool = True,
                   contact_port: int | None = None) -> tuple[str, bytes]:
    """Challenge, then answer it from ``peer``: (final status line, the REGISTER sent)."""
    challenge = await reply(peer, peer.request("REGISTER", user=user))
    if not challenge.startswith("SIP/2.0 401"):
        return challenge.split("\r\n", 1)[0], b""
    www = header(challenge, "www-authenticate")
    if not qop:
        www = www.replace(', qop="auth"', "")
    uri = f"sip:{LOCAL}:{peer.engine[1]}"
    auth = build_authorization(www, method="REGISTER", uri=uri, username=user, password=password)
    data = peer.request("REGISTER", user=user, extra=f"Authorization: {auth}\r\n", cseq=2)
    return (await reply(peer, data)).split("\r\n", 1)[0], data


async def reply(peer: RawPeer, data: bytes) -> str:
    """The first final response to ``data``."""
    peer.send(data)
    loop = asyncio.get_running_loop()
    while True:
        text = (await asyncio.wait_for(loop.sock_recv(peer.sock, 70_000), 2)).decode()
        if not text.startswith("SIP/2.0 1"):
            return text


def test_guessing_is_answered_alike_then_throttled_then_blocked_and_let_go(prompts_dir, caplog):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS,
                                   lockout=LockoutPolicy(throttle_after=3, throttle_seconds=0.3,
                                                         block_after=6, block_seconds=2.0))
        guesser = RawPeer(tel.port)
        unknown, _ = await register(guesser, "9999", "guess")
        wrong, _ = await register(guesser, "1001", "guess")
        assert unknown == wrong == "SIP/2.0 403 Forbidden"  # no enumeration
        registrar = tel.registrar
        guesses = 0
        while not registrar.sources.blocks:  # svcrack's pace: as fast as answers come
            assert (await register(guesser, "1001", f"guess{guesses}"))[0] == wrong
            guesses += 1
        # Throttled: most guesses were answered without being checked.
        assert registrar.sources.failures == 6 and guesses > 10
        assert registrar.sources.blocked(registrar.clock()) == 1
        assert "source 127.0.0.1 blocked" in caplog.text
        right, _ = await register(guesser, "1001", PASSWORDS["1001"])
        assert right == "SIP/2.0 403 Forbidden"  # blocked: even the right password
        other = RawPeer(tel.port, host="127.0.0.2")  # another source is not blocked
        assert (await register(other, "1001", PASSWORDS["1001"]))[0] == "SIP/2.0 200 OK"
        metrics = {(s.name, s.labels.get("kind")): s.value
                   for m in SipGuardCollector(tel).collect() for s in m.samples}
        assert metrics[("callcenter_sip_auth_blocked", "source")] == 1
        assert metrics[("callcenter_sip_auth_failures_total", "source")] >= 6
        await asyncio.sleep(2.1)  # the block time passes
        assert (await register(guesser, "1001", PASSWORDS["1001"]))[0] == "SIP/2.0 200 OK"
        assert "source 127.0.0.1 unblocked" in caplog.text
        await normal_call_has_two_way_audio(tel, parts, "1002")
        await tel.close()

    caplog.set_level(logging.INFO)
    asyncio.run(scenario())


def test_a_captured_register_cannot_be_replayed_and_feature_codes_need_credentials(prompts_dir):
    async def scenario():
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=PASSWORDS)
        seat = RawPeer(tel.port)
        status, captured = await register(seat, "1001", PASSWORDS["1001"])
        assert status == "SIP/2.0 200 OK"
        binding = tel.registrar.contact_for("1001")
        assert binding is not None and binding.addr == (seat.host, seat.port)
        captured = captured.replace(b"branch=z9hG4bKraw", b"branch=z9hG4bKreplayed")
        assert (await seat.exchange(captured))[0] == "SIP/2.0 403 Forbidden"  # same nc again
        attacker = RawPeer(tel.port)  # another port: the nonce is bound to the seat's
        replay = captured.replace(f"{seat.host}:{seat.port}".encode(),
                                  f"{attacker.host}:{attacker.port}".encode()).replace(
                                      b"z9hG4bKreplayed", b"z9hG4bKmoved")
        assert (await attacker.exchange(replay))[0].startswith("SIP/2.0 401")
        assert tel.registrar.contact_for("1001").addr == (seat.host, seat.port)
        no_qop, _ = await register(attacker, "1001", PASSWORDS["1001"], qop=False)
        assert no_qop == "SIP/2.0 403 Forbidden"
        # *11 from the seat's own registered address still needs its credentials.
        invite = seat.request("INVITE", user="*11", extra="Content-Type: application/sdp\r\n",
                              body=b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                                   b"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
        assert (await seat.exchange(invite))[0].startswith("SIP/2.0 401")
        assert not tel.control.callers
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())

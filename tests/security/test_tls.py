"""SIP over TLS, over loopback: baresip registers its seat over TLS with a self-signed
certificate generated for 127.0.0.1, dials *11 over TLS (answering the challenge), and the
engine's 200 carries no clear-text digest exchange on UDP or TCP."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from acd.events import AgentLoggedIn
from callcenter.sip.tls import self_signed, server_context
from callcenter.telephony.embedded import start_embedded
from tests.engine_parts import engine_parts
from tests.telephony.helpers import LOCAL, wait_for
from tests.telephony.test_baresip import MODULES, SEAT, SEAT_PASSWORD, baresip_home

from .helpers import normal_call_has_two_way_audio

pytestmark = [
    pytest.mark.sip, pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("baresip") is None or not (MODULES / "aufile.so").exists(),
                       reason="baresip is not installed"),
]


def test_a_seat_registers_over_tls_and_dials_a_feature_code(prompts_dir, tmp_path):
    async def scenario():
        cert, key = self_signed(tmp_path / "tls", LOCAL)
        assert cert.stat().st_mode & 0o777 == 0o644 and key.stat().st_mode & 0o777 == 0o600
        parts = engine_parts()
        tel = await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords={SEAT: SEAT_PASSWORD, "1001": "seat-1001-pass"},
                                   tls=server_context(cert, key))
        tls_port = tel.endpoint.tls_addr[1]
        (tmp_path / "home").mkdir()
        home = baresip_home(tmp_path / "home", tls_port)
        (home / "config").write_text((home / "config").read_text() + f"sip_cafile {cert}\n")
        (home / "accounts").write_text(
            f"<sip:{SEAT}@{LOCAL}:{tls_port};transport=tls>;auth_pass={SEAT_PASSWORD};"
            "answermode=auto;regint=300;audio_codecs=PCMU,PCMA\n")
        seen: list[tuple[str, int]] = []
        original = tel.control.on_request

        def spy(request, addr, txn):
            seen.append((request.method, addr[1]))
            original(request, addr, txn)

        tel.endpoint.tu = type("Spy", (), {"on_request": staticmethod(spy),
                                           "on_response": tel.control.on_response,
                                           "on_timeout": tel.control.on_timeout})()
        seat = await asyncio.create_subprocess_exec(
            "baresip", "-f", str(home), "-e",
            f"/dial sip:*11@{LOCAL}:{tls_port};transport=tls",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        try:
            await wait_for(lambda: parts.count(AgentLoggedIn), 15)
            binding = tel.registrar.contact_for(SEAT)
            assert binding is not None and binding.addr in tel.endpoint._tcp
            assert "transport=tls" in binding.contact.lower()
            tls_peers = {peer for peer, conn in tel.endpoint._tcp.items()
                         if conn.transport.get_extra_info("ssl_object") is not None}
            assert binding.addr in tls_peers  # the REGISTER and *11 came over TLS
            assert ("REGISTER", binding.addr[1]) in seen and ("INVITE", binding.addr[1]) in seen
        finally:
            seat.terminate()
            await asyncio.wait_for(seat.wait(), 5)
        tel.endpoint.tu = tel.control
        await normal_call_has_two_way_audio(tel, parts)
        await tel.close()

    asyncio.run(scenario())

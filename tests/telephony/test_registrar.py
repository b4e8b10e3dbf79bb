"""Agent seats register with digest auth against the explicit password mapping."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.sip.digest import build_authorization
from callcenter.sip.message import SIPRequest, parse_message
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from callcenter.telephony.embedded import start_embedded
from callcenter.telephony.registrar import Registrar

from .conftest import engine_parts

pytestmark = [pytest.mark.sip, pytest.mark.timeout(20)]

PASSWORDS = {"1001": "s3cret-1001", "1002": "other-pass"}


async def _start(tmp_path):
    parts = engine_parts()
    tel = await start_embedded(parts, host="127.0.0.1", port=0, prompts_dir=tmp_path,
                               passwords=PASSWORDS)
    seat = UserAgent(await open_endpoint(port=0), user="1001")
    return parts, tel, seat


def test_register_with_right_password_binds_contact(tmp_path):
    async def scenario():
        parts, tel, seat = await _start(tmp_path)
        registrar_uri = f"sip:127.0.0.1:{tel.port}"
        response = await seat.register(registrar_uri, ("127.0.0.1", tel.port), username="1001",
                                       password=PASSWORDS["1001"], expires=600)
        assert response is not None and response.status == 200
        binding = tel.registrar.contact_for("1001")
        assert binding is not None
        assert binding.contact == f"sip:1001@127.0.0.1:{seat.port}"
        assert binding.addr == ("127.0.0.1", seat.port)
        assert 590 < binding.expires_at - parts.driver.clock() <= 600
        assert "expires=" in (response.headers.get("contact") or "")
        assert tel.registrar.contact_for("1002") is None
        # expires=0 removes the binding
        response = await seat.register(registrar_uri, ("127.0.0.1", tel.port), username="1001",
                                       password=PASSWORDS["1001"], expires=0)
        assert response is not None and response.status == 200
        assert tel.registrar.contact_for("1001") is None
        await seat.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


def test_wrong_password_is_forbidden_and_binds_nothing(tmp_path):
    async def scenario():
        _, tel, seat = await _start(tmp_path)
        response = await seat.register(f"sip:127.0.0.1:{tel.port}", ("127.0.0.1", tel.port),
                                       username="1001", password="guess")
        assert response is not None and response.status == 403
        assert tel.registrar.contact_for("1001") is None
        await seat.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


def test_unknown_user_is_refused_like_a_wrong_password(tmp_path):
    async def scenario():
        _, tel, seat = await _start(tmp_path)
        addr = ("127.0.0.1", tel.port)
        response = await seat.register(f"sip:127.0.0.1:{tel.port}", addr, username="9999",
                                       password="whatever")
        assert response is not None and response.status == 403  # no account enumeration
        assert tel.registrar.contact_for("9999") is None
        await seat.endpoint.close()
        await tel.close()

    asyncio.run(scenario())


def test_no_default_passwords():
    with pytest.raises(ValueError):
        Registrar({"1001": ""})
    registrar = Registrar({})
    assert registrar.contact_for("1001") is None


def _register(to_user: str, authorization: str | None = None) -> SIPRequest:
    lines = [
        "REGISTER sip:127.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-reg1",
        f"From: <sip:{to_user}@127.0.0.1>;tag=abc",
        f"To: <sip:{to_user}@127.0.0.1>",
        "Call-ID: reg-1@127.0.0.1",
        "CSeq: 1 REGISTER",
        "Contact: <sip:seat@127.0.0.1:5099>",
        "Expires: 300",
    ]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    message = parse_message(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
    assert isinstance(message, SIPRequest)
    return message


def test_agent_cannot_register_another_agents_seat():
    registrar = Registrar(PASSWORDS)
    challenge = registrar.handle(_register("1001"), ("127.0.0.1", 5099))
    assert challenge.status == 401
    header = challenge.headers.get("www-authenticate") or ""
    auth = build_authorization(header, method="REGISTER", uri="sip:127.0.0.1", username="1002",
                               password=PASSWORDS["1002"])
    response = registrar.handle(_register("1001", auth), ("127.0.0.1", 5099))
    assert response.status == 403
    assert registrar.contact_for("1001") is None and registrar.contact_for("1002") is None
    auth = build_authorization(header, method="REGISTER", uri="sip:127.0.0.1", username="1002",
                               password=PASSWORDS["1002"], nc=2)
    response = registrar.handle(_register("1002", auth), ("127.0.0.1", 5099))
    assert response.status == 200
    assert registrar.contact_for("1002").contact == "sip:seat@127.0.0.1:5099"

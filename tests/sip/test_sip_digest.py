"""Digest authentication: RFC known answers, nonce lifetime, verification, client side."""

from __future__ import annotations

import hashlib

import pytest

from callcenter.sip.digest import (
    DigestServer,
    NonceManager,
    NonceStatus,
    build_authorization,
    compute_ha1,
    compute_response,
    parse_auth_header,
)


def test_rfc2617_section_3_5_example():
    ha1 = compute_ha1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life")
    response = compute_response(algorithm="MD5", ha1=ha1, method="GET", uri="/dir/index.html",
                                nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop="auth",
                                nc="00000001", cnonce="0a4f113b")
    assert response == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize("algorithm,expected", [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_rfc7616_section_3_9_1_examples(algorithm, expected):
    challenge = ('Digest realm="http-auth@example.org", qop="auth, auth-int", '
                 f'algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
                 'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
    header = build_authorization(challenge, method="GET", uri="/dir/index.html",
                                 username="Mufasa", password="Circle of Life",
                                 cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    scheme, params = parse_auth_header(header)
    assert scheme == "Digest"
    assert params["response"] == expected
    assert params["qop"] == "auth" and params["nc"] == "00000001"
    assert params["opaque"] == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make_server(clock, algorithm="MD5"):
    users = {"8001": "s3cret", "8002": "other"}
    return DigestServer("12345.local", b"k" * 32, clock, algorithm=algorithm, lifetime=60,
                        lookup=users.get)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_register_challenge_and_verify(algorithm):
    clock = Clock()
    server = make_server(clock, algorithm)
    challenge = server.challenge()
    assert f"algorithm={algorithm}" in challenge
    auth = build_authorization(challenge, method="REGISTER", uri="sip:12345.local",
                               username="8001", password="s3cret")
    result = server.verify(auth, "REGISTER")
    assert result.ok and result.username == "8001"
    assert not server.verify(auth, "REGISTER").ok  # same nonce count replayed
    again = build_authorization(challenge, method="REGISTER", uri="sip:12345.local",
                                username="8001", password="s3cret", nc=2)
    assert server.verify(again, "REGISTER").ok
    wrong = build_authorization(challenge, method="REGISTER", uri="sip:12345.local",
                                username="8001", password="guess")
    assert server.verify(wrong, "REGISTER").reason == "wrong response"
    assert not server.verify(auth.replace('username="8001"', 'username="9999"'), "REGISTER").ok
    assert server.verify(None, "REGISTER").reason == "no credentials"


def test_stale_nonce_reported_after_lifetime():
    clock = Clock()
    server = make_server(clock)
    challenge = server.challenge()
    clock.t += 61
    auth = build_authorization(challenge, method="REGISTER", uri="sip:h", username="8001",
                               password="s3cret")
    result = server.verify(auth, "REGISTER")
    assert not result.ok and result.stale
    assert "stale=TRUE" in server.challenge(stale=True)


def test_nonce_manager_rejects_forged_and_foreign_nonces():
    clock = Clock()
    mine = NonceManager(b"a" * 32, clock, 30)
    theirs = NonceManager(b"b" * 32, clock, 30)
    nonce = mine.issue()
    assert mine.check(nonce) is NonceStatus.VALID
    assert theirs.check(nonce) is NonceStatus.INVALID
    assert mine.check("not-a-nonce!!") is NonceStatus.INVALID
    assert mine.check(nonce[:-2] + ("A" if nonce[-2] != "A" else "B") + nonce[-1]) \
        is NonceStatus.INVALID
    clock.t += 31
    assert mine.check(nonce) is NonceStatus.STALE


def test_auth_int_and_unquoted_challenge_parsing():
    scheme, params = parse_auth_header('Digest realm="r", nonce=abc, qop="auth-int", stale=FALSE')
    assert params == {"realm": "r", "nonce": "abc", "qop": "auth-int", "stale": "FALSE"}
    header = build_authorization('Digest realm="r", nonce="n", qop="auth-int"', method="INVITE",
                                 uri="sip:x", username="u", password="p", cnonce="c",
                                 body=b"v=0\r\n")
    _, p = parse_auth_header(header)
    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha2 = md5(f"INVITE:sip:x:{md5('v=0' + chr(13) + chr(10))}")
    expected = md5(f"{md5('u:r:p')}:n:00000001:c:auth-int:{ha2}")
    assert p["qop"] == "auth-int" and p["response"] == expected

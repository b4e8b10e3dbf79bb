"""HTTP Digest authentication for SIP (RFC 2617, RFC 7616 SHA-256, RFC 3261 section 22).

Server side: :class:`DigestServer` issues stateless HMAC-signed nonces from an injected
secret and clock, builds ``WWW-Authenticate`` challenges and verifies ``Authorization``
headers (stale nonces are reported so the client can retry without prompting).
Client side: :func:`build_authorization` answers a challenge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

ALGORITHMS: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
}


def _hash(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    try:
        return ALGORITHMS[base](text.encode("utf-8"))
    except KeyError:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}") from None


def parse_auth_header(value: str) -> tuple[str, dict[str, str]]:
    """Split ``Digest a="b", c=d`` into the scheme and a lower-cased parameter dict."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " ,\t":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        name = rest[i:eq].strip().lower()
        i = eq + 1
        while i < n and rest[i] == " ":
            i += 1
        if i < n and rest[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(rest[i])
                i += 1
            value_text = "".join(chars)
            i += 1
        else:
            end = rest.find(",", i)
            end = n if end < 0 else end
            value_text = rest[i:end].strip()
            i = end
        params[name] = value_text
    return scheme, params


def compute_ha1(algorithm: str, username: str, realm: str, password: str,
                nonce: str = "", cnonce: str = "") -> str:
    """H(A1); for ``-sess`` algorithms, H(H(user:realm:pass):nonce:cnonce)."""
    ha1 = _hash(algorithm, f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
    return ha1


def compute_response(
    *,
    algorithm: str,
    ha1: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The ``response`` value (RFC 2617 section 3.2.2.1, RFC 7616 section 3.4.1)."""
    if qop == "auth-int":
        body_hash = _hash(algorithm, body.decode("utf-8", "surrogateescape"))
        ha2 = _hash(algorithm, f"{method}:{uri}:{body_hash}")
    else:
        ha2 = _hash(algorithm, f"{method}:{uri}")
    if qop in ("auth", "auth-int"):
        return _hash(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _hash(algorithm, f"{ha1}:{nonce}:{ha2}")


def build_challenge(realm: str, nonce: str, *, algorithm: str = "MD5", qop: str | None = "auth",
                    opaque: str | None = None, stale: bool = False) -> str:
    """A ``WWW-Authenticate`` / ``Proxy-Authenticate`` header value."""
    parts = [f'realm="{realm}"', f'nonce="{nonce}"']
    if opaque is not None:
        parts.append(f'opaque="{opaque}"')
    parts.append(f"algorithm={algorithm}")
    if qop:
        parts.append(f'qop="{qop}"')
    if stale:
        parts.append("stale=TRUE")
    return "Digest " + ", ".join(parts)


def build_authorization(
    challenge: str,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """Answer a ``WWW-Authenticate`` challenge with an ``Authorization`` header value."""
    scheme, params = parse_auth_header(challenge)
    if scheme.lower() != "digest":
        raise ValueError(f"unsupported auth scheme {scheme!r}")
    algorithm = params.get("algorithm", "MD5")
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    offered = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    qop = "auth" if "auth" in offered else ("auth-int" if "auth-int" in offered else None)
    nc_text = f"{nc:08x}"
    cnonce = cnonce or secrets.token_hex(8)
    ha1 = compute_ha1(algorithm, username, realm, password, nonce, cnonce)
    response = compute_response(algorithm=algorithm, ha1=ha1, method=method, uri=uri,
                                nonce=nonce, qop=qop, nc=nc_text, cnonce=cnonce, body=body)
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
             f'response="{response}"', f"algorithm={algorithm}"]
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f'cnonce="{cnonce}"']
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)


class NonceStatus(Enum):
    VALID = "valid"
    STALE = "stale"
    INVALID = "invalid"


class NonceManager:
    """Stateless nonces: issue time plus an HMAC over it (and over what the nonce is bound
    to, e.g. the client's address, so that it is invalid from anywhere else) under a secret."""

    def __init__(self, secret: bytes, clock: Callable[[], float], lifetime: float = 300.0) -> None:
        self.secret = secret
        self.clock = clock
        self.lifetime = lifetime

    def _mac(self, stamp: bytes, bound: str = "") -> bytes:
        return hmac.new(self.secret, stamp + bound.encode(), hashlib.sha256).digest()[:16]

    def issue(self, bound: str = "") -> str:
        stamp = struct.pack(">d", self.clock())
        return base64.urlsafe_b64encode(stamp + self._mac(stamp, bound)).decode().rstrip("=")

    def issued_at(self, nonce: str) -> float:
        """When a nonce that passed :meth:`check` was issued."""
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        return struct.unpack(">d", raw[:8])[0]

    def check(self, nonce: str, bound: str = "") -> NonceStatus:
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return NonceStatus.INVALID
        if len(raw) != 24 or not hmac.compare_digest(raw[8:], self._mac(raw[:8], bound)):
            return NonceStatus.INVALID
        (issued,) = struct.unpack(">d", raw[:8])
        age = self.clock() - issued
        if age < -1.0:
            return NonceStatus.INVALID
        return NonceStatus.STALE if age > self.lifetime else NonceStatus.VALID


@dataclass(frozen=True)
class AuthResult:
    """Outcome of verifying an Authorization header."""

    ok: bool
    username: str | None = None
    stale: bool = False
    reason: str = ""


class DigestServer:
    """Challenges and verifies REGISTER (or any request) credentials for one realm.

    ``lookup(username)`` returns the password or a precomputed H(A1) (``ha1=True``),
    or None for an unknown user. With ``require_qop`` (the default) a response without
    ``qop`` is refused, and the nonce count of every nonce is tracked for its lifetime: a
    replayed response fails. A nonce issued with ``bound`` (the client's address) is
    valid only when verified with the same ``bound``.
    """

    def __init__(self, realm: str, secret: bytes, clock: Callable[[], float], *,
                 algorithm: str = "MD5", lifetime: float = 300.0,
                 lookup: Callable[[str], str | None], ha1: bool = False,
                 require_qop: bool = True, max_nonces: int = 100_000) -> None:
        if algorithm.upper().removesuffix("-SESS") not in ALGORITHMS:
            raise ValueError(f"unsupported digest algorithm {algorithm!r}")
        self.realm = realm
        self.algorithm = algorithm
        self.nonces = NonceManager(secret, clock, lifetime)
        self.lookup = lookup
        self.lookup_is_ha1 = ha1
        self.require_qop = require_qop
        self.max_nonces = max_nonces
        self._last_nc: OrderedDict[str, int] = OrderedDict()  # in order of first use

    def challenge(self, *, stale: bool = False, bound: str = "") -> str:
        """A fresh ``WWW-Authenticate`` value (its nonce bound to ``bound``)."""
        return build_challenge(self.realm, self.nonces.issue(bound), algorithm=self.algorithm,
                               stale=stale)

    def verify(self, authorization: str | None, method: str, body: bytes = b"", *,
               bound: str = "") -> AuthResult:
        """Check an Authorization header value for a request with ``method``."""
        if not authorization:
            return AuthResult(False, reason="no credentials")
        scheme, p = parse_auth_header(authorization)
        if scheme.lower() != "digest":
            return AuthResult(False, reason="not digest")
        username = p.get("username")
        needed = ("username", "realm", "nonce", "uri", "response")
        if not username or any(k not in p for k in needed):
            return AuthResult(False, username, reason="missing parameters")
        if p["realm"] != self.realm:
            return AuthResult(False, username, reason="wrong realm")
        algorithm = p.get("algorithm", "MD5")
        if algorithm.upper() != self.algorithm.upper():
            return AuthResult(False, username, reason="wrong algorithm")
        status = self.nonces.check(p["nonce"], bound)
        if status is NonceStatus.INVALID:
            return AuthResult(False, username, reason="bad nonce")
        secret = self.lookup(username)
        if secret is None:
            return AuthResult(False, username, reason="unknown user")
        qop = p.get("qop")
        if self.require_qop and qop not in ("auth", "auth-int"):
            return AuthResult(False, username, reason="qop required")
        if qop and ("nc" not in p or "cnonce" not in p):
            return AuthResult(False, username, reason="missing nc/cnonce")
        ha1 = secret if self.lookup_is_ha1 else compute_ha1(
            algorithm, username, self.realm, secret, p["nonce"], p.get("cnonce", ""))
        expected = compute_response(algorithm=algorithm, ha1=ha1, method=method, uri=p["uri"],
                                    nonce=p["nonce"], qop=qop, nc=p.get("nc"),
                                    cnonce=p.get("cnonce"), body=body)
        if not hmac.compare_digest(expected, p["response"].lower()):
            return AuthResult(False, username, reason="wrong response")
        if status is NonceStatus.STALE:
            return AuthResult(False, username, stale=True, reason="stale nonce")
        if qop:
            try:
                nc = int(p["nc"], 16)
            except ValueError:
                return AuthResult(False, username, reason="bad nc")
            if nc <= self._last_nc.get(p["nonce"], 0):
                return AuthResult(False, username, reason="replayed nonce count")
            if p["nonce"] not in self._last_nc and not self._room():
                return AuthResult(False, username, stale=True, reason="too many nonces")
            self._last_nc[p["nonce"]] = nc
        return AuthResult(True, username)

    def _room(self) -> bool:
        """Forget the counts of expired nonces (they fail as stale anyway); False when every
        tracked nonce is still live and the table is full."""
        horizon = self.nonces.clock() - self.nonces.lifetime - 1.0
        while self._last_nc:
            oldest = next(iter(self._last_nc))
            if self.nonces.issued_at(oldest) > horizon:
                break
            del self._last_nc[oldest]
        return len(self._last_nc) < self.max_nonces

"""Structured SIP header values: SIP URIs, name-addr, Via and CSeq (RFC 3261 section 19, 20)."""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.sip.errors import SIPParseError
from callcenter.sip.headers import TOKEN_RE


def ascii_digits(text: str, max_len: int = 10) -> bool:
    """1 to ``max_len`` ASCII digits: every number in SIP fits (a CSeq is 32 bits), and int()
    is never asked for thousands of digits (Python refuses those with ValueError)."""
    return 0 < len(text) <= max_len and text.isascii() and text.isdigit()


def _parse_params(text: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        params[name.strip().lower()] = value.strip() if eq else None
    return params


def _format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


def _split_hostport(text: str) -> tuple[str, int | None]:
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SIPParseError(f"bad IPv6 reference: {text!r}")
        host, rest = text[: end + 1], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise SIPParseError(f"bad host:port: {text!r}")
        port_text = rest[1:] if rest else ""
    else:
        host, _, port_text = text.partition(":")
    if not host or any(ch in host for ch in " \t<>\"@"):
        raise SIPParseError(f"bad host: {text!r}")
    if not port_text:
        return host, None
    if not ascii_digits(port_text) or not 0 < int(port_text) < 65536:
        raise SIPParseError(f"bad port: {text!r}")
    return host, int(port_text)


@dataclass
class SipURI:
    """A ``sip:`` or ``sips:`` URI (RFC 3261 section 19.1)."""

    host: str
    user: str | None = None
    port: int | None = None
    scheme: str = "sip"
    password: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: str | None = None

    @classmethod
    def parse(cls, text: str) -> SipURI:
        """Parse ``sip:user:password@host:port;params?headers``."""
        text = text.strip()
        scheme, colon, rest = text.partition(":")
        scheme = scheme.lower()
        if not colon or scheme not in ("sip", "sips"):
            raise SIPParseError(f"not a SIP URI: {text!r}")
        rest, qmark, hdrs = rest.partition("?")
        user = password = None
        if "@" in rest:
            userinfo, _, rest = rest.rpartition("@")
            user, pcolon, pw = userinfo.partition(":")
            password = pw if pcolon else None
        hostport, _, params = rest.partition(";")
        host, port = _split_hostport(hostport)
        return cls(host, user, port, scheme, password, _parse_params(params),
                   hdrs if qmark else None)

    @property
    def transport(self) -> str:
        """The ``transport`` parameter, upper-case; UDP by default (TLS for sips)."""
        value = self.params.get("transport")
        if value:
            return value.upper()
        return "TLS" if self.scheme == "sips" else "UDP"

    def hostport(self) -> tuple[str, int]:
        """Host and port to send to, defaulting the port by scheme."""
        default = 5061 if self.scheme == "sips" else 5060
        return self.host.strip("[]"), self.port or default

    def __str__(self) -> str:
        userinfo = ""
        if self.user is not None:
            userinfo = self.user + (f":{self.password}" if self.password is not None else "") + "@"
        port = f":{self.port}" if self.port else ""
        hdrs = f"?{self.headers}" if self.headers is not None else ""
        return f"{self.scheme}:{userinfo}{self.host}{port}{_format_params(self.params)}{hdrs}"


def parse_uri(text: str) -> SipURI:
    """Parse a SIP URI (see :meth:`SipURI.parse`)."""
    return SipURI.parse(text)


@dataclass
class NameAddr:
    """A name-addr or addr-spec with header parameters, as in From/To/Contact/Route."""

    uri: str
    display_name: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        """Parse ``"Name" <sip:u@h>;tag=x`` or ``sip:u@h;tag=x``."""
        text = text.strip()
        display = None
        rest = text
        if text.startswith('"'):
            i = 1
            while i < len(text):
                if text[i] == "\\":
                    i += 2
                    continue
                if text[i] == '"':
                    break
                i += 1
            else:
                raise SIPParseError(f"unterminated display name: {text!r}")
            display = text[1:i]
            rest = text[i + 1 :].lstrip()
            if not rest.startswith("<"):
                raise SIPParseError(f"missing <uri> after display name: {text!r}")
        lt = rest.find("<")
        if lt >= 0:
            gt = rest.find(">", lt)
            if gt < 0:
                raise SIPParseError(f"unterminated <uri>: {text!r}")
            if display is None:
                display = rest[:lt].strip() or None
            uri = rest[lt + 1 : gt].strip()
            params = _parse_params(rest[gt + 1 :])
        else:
            uri, _, params_text = rest.partition(";")
            uri = uri.strip()
            params = _parse_params(params_text)
        if not uri or ":" not in uri and uri != "*":
            raise SIPParseError(f"bad address: {text!r}")
        return cls(uri, display, params)

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter, if any."""
        return self.params.get("tag")

    def sip_uri(self) -> SipURI:
        """The URI parsed as a SIP URI."""
        return SipURI.parse(self.uri)

    def with_tag(self, tag: str) -> NameAddr:
        """A copy with the ``tag`` parameter set."""
        return NameAddr(self.uri, self.display_name, {**self.params, "tag": tag})

    def __str__(self) -> str:
        name = f'"{self.display_name}" ' if self.display_name else ""
        return f"{name}<{self.uri}>{_format_params(self.params)}"


def parse_address(text: str) -> NameAddr:
    """Parse a name-addr / addr-spec (see :meth:`NameAddr.parse`)."""
    return NameAddr.parse(text)


@dataclass
class Via:
    """One Via header value (RFC 3261 section 20.42)."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    protocol: str = "SIP/2.0"

    @classmethod
    def parse(cls, text: str) -> Via:
        """Parse ``SIP/2.0/UDP host:port;branch=...``."""
        proto, _, rest = text.strip().partition(" ")
        parts = [p.strip() for p in proto.split("/")]
        rest = rest.strip()
        if len(parts) != 3 and "/" in rest:
            # Tolerate whitespace around the slashes: "SIP / 2.0 / UDP host".
            joined = text.strip().replace(" /", "/").replace("/ ", "/")
            proto, _, rest = joined.partition(" ")
            parts = [p.strip() for p in proto.split("/")]
            rest = rest.strip()
        if len(parts) != 3 or not rest:
            raise SIPParseError(f"bad Via: {text!r}")
        hostport, _, params = rest.partition(";")
        host, port = _split_hostport(hostport)
        return cls(parts[2].upper(), host, port, _parse_params(params), f"{parts[0]}/{parts[1]}")

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def sent_by(self) -> tuple[str, int]:
        """The sent-by host and port (port defaulted to 5060)."""
        return self.host, self.port or 5060

    def __str__(self) -> str:
        port = f":{self.port}" if self.port else ""
        return f"{self.protocol}/{self.transport} {self.host}{port}{_format_params(self.params)}"


def parse_via(text: str) -> Via:
    """Parse a single Via value (see :meth:`Via.parse`)."""
    return Via.parse(text)


@dataclass(frozen=True)
class CSeq:
    """The CSeq header: sequence number and method."""

    seq: int
    method: str

    @classmethod
    def parse(cls, text: str) -> CSeq:
        parts = text.split()
        if len(parts) != 2 or not ascii_digits(parts[0]) or not TOKEN_RE.match(parts[1]):
            raise SIPParseError(f"bad CSeq: {text[:40]!r}")
        seq = int(parts[0])
        if seq >= 2**31:
            raise SIPParseError(f"CSeq out of range: {text!r}")
        return cls(seq, parts[1].upper())

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    """Parse a CSeq value (see :meth:`CSeq.parse`)."""
    return CSeq.parse(text)

"""SIP message parsing and serialisation (RFC 3261 section 7, 20 and 25).

``parse_message(data)`` turns one datagram (or one framed stream message) into a
:class:`SIPRequest` or :class:`SIPResponse`; ``bytes(message)`` serialises it back.
Structured header values (URIs, name-addr, Via, CSeq) are parsed on demand.
Malformed input raises :class:`SIPParseError`, which can build a 400 when the
request carried enough headers to address one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

MAX_MESSAGE_SIZE = 64 * 1024
SIP_VERSION = "SIP/2.0"
BRANCH_MAGIC = "z9hG4bK"

COMPACT_FORMS = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "v": "via",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "u": "allow-events",
    "x": "session-expires",
}

_CANONICAL = {
    name.lower(): name
    for name in (
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
        "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
        "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "In-Reply-To",
        "Max-Forwards", "Min-Expires", "MIME-Version", "Organization", "Priority",
        "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "Reason", "Record-Route",
        "Refer-To", "Referred-By", "Reply-To", "Require", "Retry-After", "Route", "RSeq", "RAck",
        "Server", "Session-Expires", "Subject", "Subscription-State", "Supported", "Timestamp",
        "To", "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate",
    )
}

# Headers whose comma-separated values are separate entries (RFC 3261 section 7.3.1).
_LIST_HEADERS = frozenset({"via", "route", "record-route", "contact"})
_REQUIRED = ("via", "from", "to", "call-id", "cseq")

REASON_PHRASES = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 301: "Moved Permanently",
    302: "Moved Temporarily", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 407: "Proxy Authentication Required",
    408: "Request Timeout", 413: "Request Entity Too Large", 415: "Unsupported Media Type",
    420: "Bad Extension", 423: "Interval Too Brief", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    491: "Request Pending", 500: "Server Internal Error", 501: "Not Implemented",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")


class SIPParseError(ValueError):
    """A message that cannot be parsed.

    ``headers`` holds what was parsed before the failure (possibly empty) and
    ``method`` the request method if the start line was a valid request line,
    so that :meth:`bad_request` can answer with a 400 where RFC 3261 allows it.
    """

    def __init__(
        self,
        reason: str,
        *,
        method: str | None = None,
        headers: Headers | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.method = method
        self.headers = headers if headers is not None else Headers()
        self.status = status

    @property
    def can_respond(self) -> bool:
        """True if a response can be addressed: a non-ACK request with a Via header."""
        return self.method not in (None, "ACK") and self.headers.get("via") is not None

    def bad_request(self) -> SIPResponse | None:
        """A 400 (or ``status``) response built from whatever headers were parsed."""
        if not self.can_respond:
            return None
        headers = Headers()
        for name in _REQUIRED:
            for value in self.headers.get_all(name):
                headers.add(name, value)
        phrase = REASON_PHRASES.get(self.status, "Bad Request")
        reason = f"{phrase} - {_printable(self.reason)}"
        return SIPResponse(self.status, reason[:120], headers)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _printable(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


def canonical_name(name: str) -> str:
    """The canonical spelling of a header name, expanding compact forms."""
    lower = name.strip().lower()
    lower = COMPACT_FORMS.get(lower, lower)
    return _CANONICAL.get(lower, name.strip())


def _key(name: str) -> str:
    key = _KEY_CACHE.get(name)
    if key is None:
        lower = name.strip().lower()
        key = COMPACT_FORMS.get(lower, lower)
        if len(_KEY_CACHE) < 2048:  # bounded: header names come from the network
            _KEY_CACHE[name] = key
    return key


def _names(name: str) -> tuple[str, str]:
    """(lookup key, canonical spelling) of a header name, memoised for common names."""
    names = _NAME_CACHE.get(name)
    if names is None:
        names = (_key(name), canonical_name(name))
        if len(_NAME_CACHE) < 2048 and _TOKEN_RE.match(name.strip()):
            _NAME_CACHE[name] = names
    return names


_KEY_CACHE: dict[str, str] = {}
_NAME_CACHE: dict[str, tuple[str, str]] = {}


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, respecting quotes and angle brackets."""
    if "," not in value:
        return [value.strip()]
    parts: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    start = 0
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


class Headers:
    """Ordered, case-insensitive multi-map of header fields (names stored canonically)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = []
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append a header field."""
        self._items.append((*_names(name), str(value)))

    def prepend(self, name: str, value: str) -> None:
        """Insert a header field before all others (used for Via)."""
        self._items.insert(0, (*_names(name), str(value)))

    def set(self, name: str, value: str) -> None:
        """Replace all fields of ``name`` by one, keeping the first one's position."""
        key = _key(name)
        for i, item in enumerate(self._items):
            if item[0] == key:
                self._items[i] = (key, canonical_name(name), str(value))
                self._items = [it for j, it in enumerate(self._items) if j <= i or it[0] != key]
                return
        self.add(name, value)

    def remove(self, name: str) -> None:
        """Remove all fields of ``name``."""
        key = _key(name)
        self._items = [it for it in self._items if it[0] != key]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (for list headers, the first list element)."""
        key = _key(name)
        for k, _, value in self._items:
            if k == key:
                return split_list(value)[0] if key in _LIST_HEADERS else value
        return default

    def get_all(self, name: str) -> list[str]:
        """All values of ``name`` in order; list headers are split at commas."""
        key = _key(name)
        values: list[str] = []
        for k, _, value in self._items:
            if k == key:
                if key in _LIST_HEADERS:
                    values.extend(split_list(value))
                else:
                    values.append(value)
        return values

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k == _key(name) for k, _, _ in self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((name, value) for _, name, value in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        new = Headers()
        new._items = list(self._items)
        return new

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"


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
    if not _digits(port_text) or not 0 < int(port_text) < 65536:
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
        if len(parts) != 2 or not _digits(parts[0]) or not _TOKEN_RE.match(parts[1]):
            raise SIPParseError(f"bad CSeq: {text!r}")
        seq = int(parts[0])
        if seq >= 2**31:
            raise SIPParseError(f"CSeq out of range: {text!r}")
        return cls(seq, parts[1].upper())

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    """Parse a CSeq value (see :meth:`CSeq.parse`)."""
    return CSeq.parse(text)


class SIPMessage:
    """Common part of requests and responses: headers, body and header accessors."""

    headers: Headers
    body: bytes

    def _start_line(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SIPParseError(f"missing {canonical_name(name)} header")
        return value

    @property
    def call_id(self) -> str:
        return self._required("call-id")

    def _memo(self, name: str, header: str, parse: Callable[[str], object]) -> object:
        """Parse ``header`` once per distinct raw value; only immutable results are memoised."""
        raw = self._required(header)
        memo = self.__dict__.setdefault("_memos", {})
        entry = memo.get(name)
        if entry is not None and entry[0] == raw:
            return entry[1]
        value = parse(raw)
        memo[name] = (raw, value)
        return value

    @property
    def cseq(self) -> CSeq:
        return self._memo("cseq", "cseq", CSeq.parse)  # type: ignore[return-value]

    @property
    def from_addr(self) -> NameAddr:
        return NameAddr.parse(self._required("from"))

    @property
    def to_addr(self) -> NameAddr:
        return NameAddr.parse(self._required("to"))

    @property
    def from_tag(self) -> str | None:
        return self._memo("from_tag", "from", lambda v: NameAddr.parse(v).tag)  # type: ignore

    @property
    def to_tag(self) -> str | None:
        return self._memo("to_tag", "to", lambda v: NameAddr.parse(v).tag)  # type: ignore

    @property
    def vias(self) -> list[Via]:
        return [Via.parse(v) for v in self.headers.get_all("via")]

    @property
    def top_via(self) -> Via:
        return Via.parse(self._required("via"))

    @property
    def branch(self) -> str | None:
        """The branch parameter of the top Via."""
        return self._memo("branch", "via", lambda v: Via.parse(v).branch)  # type: ignore

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";")[0].strip().lower() if value else None

    @property
    def contact(self) -> NameAddr | None:
        value = self.headers.get("contact")
        return NameAddr.parse(value) if value else None

    def to_bytes(self) -> bytes:
        """Serialise with a Content-Length that matches the body."""
        lines = [self._start_line()]
        lines.extend(f"{name}: {value}" for name, value in self.headers
                     if name != "Content-Length")
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body

    def __bytes__(self) -> bytes:
        return self.to_bytes()


class SIPRequest(SIPMessage):
    """A SIP request."""

    def __init__(self, method: str, uri: str, headers: Headers | None = None,
                 body: bytes = b"") -> None:
        self.method = method
        self.uri = str(uri)
        self.headers = headers if headers is not None else Headers()
        self.body = body

    @property
    def is_request(self) -> bool:
        return True

    @property
    def request_uri(self) -> SipURI:
        return SipURI.parse(self.uri)

    def _start_line(self) -> str:
        return f"{self.method} {self.uri} {SIP_VERSION}"

    def __repr__(self) -> str:
        return f"<SIPRequest {self.method} {self.uri}>"


class SIPResponse(SIPMessage):
    """A SIP response."""

    def __init__(self, status: int, reason: str | None = None, headers: Headers | None = None,
                 body: bytes = b"") -> None:
        self.status = status
        self.reason = reason if reason is not None else REASON_PHRASES.get(status, "Unknown")
        self.headers = headers if headers is not None else Headers()
        self.body = body

    @property
    def is_request(self) -> bool:
        return False

    def _start_line(self) -> str:
        return f"{SIP_VERSION} {self.status} {self.reason}"

    def __repr__(self) -> str:
        return f"<SIPResponse {self.status} {self.reason}>"


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return data[:end], data[end + 4 :]
    end = data.find(b"\n\n")
    if end >= 0:
        return data[:end], data[end + 2 :]
    return data, b""


def _parse_start_line(line: str) -> tuple[str | None, str | None, int, str]:
    """Return (method, uri, 0, "") for a request or (None, None, status, reason).

    A request line with another SIP version returns (method, uri, 505, version).
    """
    if line.startswith("SIP/"):
        parts = line.split(" ", 2)
        if parts[0] != SIP_VERSION or len(parts) < 2:
            raise SIPParseError(f"bad status line: {line[:80]!r}")
        code = parts[1]
        if len(code) != 3 or not _digits(code) or not 100 <= int(code) <= 699:
            raise SIPParseError(f"bad status code: {line[:80]!r}")
        return None, None, int(code), parts[2] if len(parts) > 2 else ""
    parts = line.split(" ")
    if len(parts) != 3 or not _TOKEN_RE.match(parts[0]) or ":" not in parts[1]:
        raise SIPParseError(f"bad request line: {line[:80]!r}")
    if parts[2] != SIP_VERSION:
        return parts[0], parts[1], 505, parts[2][:20]
    return parts[0], parts[1], 0, ""


def _unfold(lines: list[str], method: str | None) -> list[str]:
    """Join continuation lines (leading space or tab) onto the previous header line."""
    out = [lines[0]]
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if len(out) == 1:
                raise SIPParseError("continuation line before any header", method=method)
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return out


def parse_message(data: bytes, *, stream: bool = False) -> SIPRequest | SIPResponse:
    """Parse one SIP message.

    Over UDP (``stream=False``) a missing Content-Length means the body runs to the end
    of the datagram and bytes beyond Content-Length are discarded; over a stream the
    framer has already cut the message, so Content-Length is required.
    """
    if len(data) > MAX_MESSAGE_SIZE:
        raise SIPParseError(f"message too large: {len(data)} bytes", status=513)
    data = data.lstrip(b"\r\n")
    if not data:
        raise SIPParseError("empty message")
    head, rest = _split_head(data)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SIPParseError(f"header section is not UTF-8: {exc.reason}") from None
    lines = text.replace("\r\n", "\n").split("\n")
    method, uri, status, reason = _parse_start_line(lines[0].strip())
    headers = Headers()
    items = headers._items
    if any(line[:1] in (" ", "\t") for line in lines):
        lines = _unfold(lines, method)
    names_cache = _NAME_CACHE
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        names = names_cache.get(name)
        if names is None or not colon:
            stripped = name.strip()
            if not colon or not stripped or not _TOKEN_RE.match(stripped):
                raise SIPParseError(f"bad header line: {line[:80]!r}", method=method,
                                    headers=headers)
            names = _names(name)
        items.append((names[0], names[1], value.strip()))
    if method is not None and status == 505:
        raise SIPParseError(f"unsupported version: {reason!r}", method=method, headers=headers,
                            status=505)
    present = {key for key, _, value in items if value}
    for required in _REQUIRED:
        if required not in present:
            raise SIPParseError(f"missing {canonical_name(required)} header", method=method,
                                headers=headers)
    length_text = headers.get("content-length")
    if length_text is None:
        if stream:
            raise SIPParseError("missing Content-Length on stream transport", method=method,
                                headers=headers)
        body = rest
    else:
        if not _digits(length_text):
            raise SIPParseError(f"bad Content-Length: {length_text!r}", method=method,
                                headers=headers)
        length = int(length_text)
        if length > len(rest):
            raise SIPParseError("body shorter than Content-Length", method=method,
                                headers=headers)
        body = rest[:length]
    message: SIPRequest | SIPResponse
    if method is not None:
        message = SIPRequest(method, uri or "", headers, body)
    else:
        message = SIPResponse(status, reason, headers, body)
    try:
        message.cseq  # noqa: B018 - validates and memoises
        message.branch  # noqa: B018
    except SIPParseError as exc:
        raise SIPParseError(exc.reason, method=method, headers=headers) from None
    return message


class StreamFramer:
    """Split a TCP byte stream into SIP messages using Content-Length (RFC 3261 18.3).

    CRLF keep-alives between messages (RFC 5626) are skipped. A header section over
    :data:`MAX_MESSAGE_SIZE` or without Content-Length raises :class:`SIPParseError`;
    the connection should then be closed because framing is lost.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self._buffer = bytearray()
        self.max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete messages now available."""
        self._buffer += data
        frames: list[bytes] = []
        while True:
            start = 0
            while start < len(self._buffer) and self._buffer[start] in (13, 10):
                start += 1
            if start:
                del self._buffer[:start]
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > self.max_size:
                    raise SIPParseError("header section too large", status=513)
                return frames
            head = bytes(self._buffer[:end])
            length = _content_length(head)
            total = end + 4 + length
            if total > self.max_size:
                raise SIPParseError(f"message too large: {total} bytes", status=513)
            if len(self._buffer) < total:
                return frames
            frames.append(bytes(self._buffer[:total]))
            del self._buffer[:total]

    @property
    def buffered(self) -> int:
        """Bytes waiting for the rest of a message."""
        return len(self._buffer)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):
            value = value.strip()
            if not value.isdigit():
                raise SIPParseError(f"bad Content-Length: {value[:20]!r}")
            return int(value)
    raise SIPParseError("missing Content-Length on stream transport")


def make_response(
    request: SIPRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SIPResponse:
    """Build a response to ``request`` as in RFC 3261 section 8.2.6.

    Via (all, in order), From, To, Call-ID and CSeq are copied; ``to_tag`` is added to
    To unless it already has one or the status is 100. Record-Route is copied for
    responses between 101 and 299 to dialog-creating requests.
    """
    out = Headers()
    for value in request.headers.get_all("via"):
        out.add("Via", value)
    out.add("From", request.headers.get("from") or "")
    to_value = request.headers.get("to") or ""
    if to_tag and status != 100:
        to = NameAddr.parse(to_value)
        if to.tag is None:
            to_value = str(to.with_tag(to_tag))
    out.add("To", to_value)
    out.add("Call-ID", request.headers.get("call-id") or "")
    out.add("CSeq", request.headers.get("cseq") or "")
    if 100 < status < 300 and request.method in ("INVITE", "SUBSCRIBE"):
        for value in request.headers.get_all("record-route"):
            out.add("Record-Route", value)
    for name, value in headers:
        out.add(name, value)
    if body and content_type:
        out.add("Content-Type", content_type)
    return SIPResponse(status, reason, out, body)

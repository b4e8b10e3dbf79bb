"""SIP message parsing and serialisation (RFC 3261 section 7, 20 and 25).

``parse_message(data)`` turns one datagram (or one framed stream message) into a
:class:`SIPRequest` or :class:`SIPResponse`; ``bytes(message)`` serialises it back.
Structured header values (URIs, name-addr, Via, CSeq) are parsed on demand.
Malformed input raises :class:`SIPParseError`, which can build a 400 when the
request carried enough headers to address one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from callcenter.sip.addresses import (
    CSeq,
    NameAddr,
    SipURI,
    Via,
    ascii_digits,
    parse_address,
    parse_cseq,
    parse_uri,
    parse_via,
)
from callcenter.sip.errors import SIPParseError
from callcenter.sip.framing import MAX_MESSAGE_SIZE, StreamFramer
from callcenter.sip.headers import (
    COMPACT_FORMS,
    HEADER_NAME_CACHE,
    TOKEN_RE,
    Headers,
    canonical_name,
    header_names,
    split_list,
)

__all__ = [
    "BRANCH_MAGIC", "COMPACT_FORMS", "MAX_MESSAGE_SIZE", "REASON_PHRASES", "SIP_VERSION",
    "CSeq", "Headers", "NameAddr", "SIPMessage", "SIPParseError", "SIPRequest", "SIPResponse",
    "SipURI", "StreamFramer", "Via", "canonical_name", "make_response", "parse_address",
    "parse_cseq", "parse_message", "parse_uri", "parse_via", "split_list",
]

SIP_VERSION = "SIP/2.0"
BRANCH_MAGIC = "z9hG4bK"
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
        if len(code) != 3 or not ascii_digits(code) or not 100 <= int(code) <= 699:
            raise SIPParseError(f"bad status code: {line[:80]!r}")
        return None, None, int(code), parts[2] if len(parts) > 2 else ""
    parts = line.split(" ")
    if len(parts) != 3 or not TOKEN_RE.match(parts[0]) or ":" not in parts[1]:
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
    names_cache = HEADER_NAME_CACHE
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        names = names_cache.get(name)
        if names is None or not colon:
            stripped = name.strip()
            if not colon or not stripped or not TOKEN_RE.match(stripped):
                raise SIPParseError(f"bad header line: {line[:80]!r}", method=method,
                                    headers=headers)
            names = header_names(name)
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
        if not ascii_digits(length_text):
            raise SIPParseError(f"bad Content-Length: {length_text[:20]!r}", method=method,
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

"""Sans-IO Asterisk Manager Interface (AMI) codec: CRLF framing, banner, messages, actions.

    conn = AMIConnection()
    conn.receive_data(chunk)            # b"" means the peer closed
    event = conn.next_event()           # BannerReceived | MessageReceived | ConnectionClosed
    wire = format_action("Ping", action_id="a-1")

A message is an ordered list of ``(name, value)`` headers; names may repeat (``Output:`` lines of
``Action: Command``, ``Variable:`` in Originate). Event lists come as a ``Response`` with
``EventList: start``, the item events, then an event with ``EventList: Complete``, all carrying
the action's ``ActionID``. Line, message and header-count limits guard the buffers; bad input
raises :class:`AMIProtocolError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from .need_data import NEED_DATA, NeedData

MAX_LINE_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 1024 * 1024
MAX_HEADERS = 10_000
LEGACY_END = "--END COMMAND--"
_HEADER_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_BANNER = re.compile(r"(?P<product>[^/]+)/(?P<version>\d+(?:\.\d+)+)")
_HEADER = re.compile(r"(?P<name>[A-Za-z0-9_\-]+):(?P<value>.*)")
_HEADER_LINES = re.compile(r"^([A-Za-z0-9_\-]+): ?(.*)$", re.MULTILINE)


class AMIError(Exception):
    """Base class of AMI failures."""


class AMIProtocolError(AMIError):
    """The peer sent bytes that are not valid AMI."""


@dataclass(frozen=True)
class AMIMessage:
    """One AMI message: a response, an event, or (server side) an action."""

    headers: tuple[tuple[str, str], ...]
    body: tuple[str, ...] = ()  # legacy ``Response: Follows`` lines without a header name

    @classmethod
    def of(cls, *pairs: tuple[str, str], **named: str) -> AMIMessage:
        return cls(tuple(pairs) + tuple(named.items()))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header (names compare case-insensitively)."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def as_dict(self) -> dict[str, str]:
        """Headers as a dict; for a repeated name the first value wins."""
        result: dict[str, str] = {}
        for key, value in self.headers:
            result.setdefault(key, value)
        return result

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def is_event(self) -> bool:
        return "Event" in self

    @property
    def is_response(self) -> bool:
        """A reply to an action. ``OriginateResponse`` events carry ``Response:`` too."""
        return "Response" in self and "Event" not in self

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def action(self) -> str | None:
        return self.get("Action")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def event_list(self) -> str | None:
        """``"start"`` or ``"complete"`` (lower-cased) on event-list messages, else None."""
        value = self.get("EventList")
        return value.lower() if value is not None else None

    @property
    def output(self) -> list[str]:
        """CLI output of ``Action: Command``: ``Output:`` headers, or legacy body lines."""
        return self.get_all("Output") + [line for line in self.body if line != LEGACY_END]


@dataclass(frozen=True)
class BannerReceived:
    """``Asterisk Call Manager/12.0.0``: ``version`` is the AMI protocol version."""

    product: str
    version: str


@dataclass(frozen=True)
class MessageReceived:
    message: AMIMessage


@dataclass(frozen=True)
class ConnectionClosed:
    pass


Event = BannerReceived | MessageReceived | ConnectionClosed


class State(Enum):
    BANNER = "banner"
    OPEN = "open"
    CLOSED = "closed"
    ERROR = "error"


def _check_text(kind: str, text: str) -> str:
    if "\r" in text or "\n" in text:
        raise ValueError(f"AMI {kind} must not contain CR or LF: {text!r}")
    return text


def format_message(headers: Iterable[tuple[str, str]]) -> bytes:
    """Serialise headers as one CRLF-framed AMI message."""
    lines = []
    for name, value in headers:
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"bad AMI header name: {name!r}")
        lines.append(f"{name}: {_check_text('header value', str(value))}\r\n")
    if not lines:
        raise ValueError("an AMI message needs at least one header")
    return ("".join(lines) + "\r\n").encode()


def format_action(
    action: str,
    headers: Mapping[str, object] | Iterable[tuple[str, object]] = (),
    *,
    action_id: str | None = None,
) -> bytes:
    """``Action``, then ``ActionID``, then the headers in the order given (names may repeat)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    rendered = [("Action", action)]
    if action_id is not None:
        rendered.append(("ActionID", action_id))
    rendered += [(name, str(value)) for name, value in pairs]
    return format_message(rendered)


class AMIConnection:
    """AMI stream state. ``expect_banner=False`` parses the client side (for fake servers)."""

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        max_headers: int = MAX_HEADERS,
    ) -> None:
        self.state = State.BANNER if expect_banner else State.OPEN
        self.banner: BannerReceived | None = None
        self.max_line_bytes = max_line_bytes
        self.max_message_bytes = max_message_bytes
        self.max_headers = max_headers
        self._buffer = bytearray()
        self._eof = False

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._eof = True
        self._buffer += data

    def send_action(
        self,
        action: str,
        headers: Mapping[str, object] | Iterable[tuple[str, object]] = (),
        *,
        action_id: str | None = None,
    ) -> bytes:
        if self.state in (State.CLOSED, State.ERROR):
            raise AMIError(f"cannot send in state {self.state.value}")
        return format_action(action, headers, action_id=action_id)

    def next_event(self) -> Event | NeedData:
        if self.state is State.ERROR:
            raise AMIProtocolError("connection already failed")
        if self.state is State.CLOSED:
            return ConnectionClosed()
        try:
            if self.state is State.BANNER:
                line = self._next_line()
                if line is None:
                    return self._at_end_of_data()
                return self._banner(line)
            while True:
                block = self._next_block()
                if block is None:
                    return self._at_end_of_data()
                message = self._parse_block(block)
                if message is not None:
                    return MessageReceived(message)
        except AMIProtocolError:
            self.state = State.ERROR
            raise

    def _next_line(self) -> str | None:
        end = self._buffer.find(b"\n", 0, self.max_line_bytes + 1)
        if end < 0:
            if len(self._buffer) > self.max_line_bytes:
                raise AMIProtocolError(f"line longer than {self.max_line_bytes} bytes")
            return None
        raw = bytes(self._buffer[:end]).removesuffix(b"\r")
        del self._buffer[: end + 1]
        return raw.decode("utf-8", errors="replace")

    def _next_block(self) -> str | None:
        """Cut one message (up to its blank line) off the buffer, checking the size limits."""
        buffer, limit = self._buffer, self.max_message_bytes
        end, skip = buffer.find(b"\r\n\r\n", 0, limit + 4), 4
        bare = buffer.find(b"\n\n", 0, end + 2 if end >= 0 else limit + 2)
        if bare >= 0 and (end < 0 or bare < end):
            end, skip = bare, 2
        if end < 0:
            if len(buffer) > limit:
                raise AMIProtocolError(f"message larger than {limit} bytes")
            if len(buffer) - buffer.rfind(b"\n") - 1 > self.max_line_bytes:
                raise AMIProtocolError(f"line longer than {self.max_line_bytes} bytes")
            return None
        raw = bytes(buffer[:end])
        del buffer[: end + skip]
        if end > self.max_line_bytes and max(map(len, raw.split(b"\n"))) > self.max_line_bytes:
            raise AMIProtocolError(f"line longer than {self.max_line_bytes} bytes")
        return raw.decode("utf-8", errors="replace")

    def _at_end_of_data(self) -> Event | NeedData:
        if not self._eof:
            return NEED_DATA
        if self._buffer.strip(b"\r\n"):
            raise AMIProtocolError("connection closed in the middle of a message")
        self.state = State.CLOSED
        return ConnectionClosed()

    def _banner(self, line: str) -> BannerReceived:
        match = _BANNER.fullmatch(line)
        if match is None:
            raise AMIProtocolError(f"not an AMI banner: {line[:80]!r}")
        self.state = State.OPEN
        self.banner = BannerReceived(match["product"], match["version"])
        return self.banner

    def _parse_block(self, block: str) -> AMIMessage | None:
        text = block.replace("\r\n", "\n").lstrip("\n")
        if not text:
            return None  # stray blank lines between messages
        pairs = _HEADER_LINES.findall(text)
        if len(pairs) > self.max_headers:
            raise AMIProtocolError(f"more than {self.max_headers} headers in one message")
        if len(pairs) == text.count("\n") + 1:
            return AMIMessage(tuple(pairs))
        return self._parse_lines(text.split("\n"))

    def _parse_lines(self, lines: list[str]) -> AMIMessage:
        """Slow path: legacy ``Response: Follows`` bodies, or a precise error for a bad line."""
        headers: list[tuple[str, str]] = []
        body: list[str] = []
        for line in lines:
            match = None if body else _HEADER.fullmatch(line)
            if match is None:
                if not any(k.lower() == "response" and v == "Follows" for k, v in headers):
                    raise AMIProtocolError(f"not an AMI header line: {line[:80]!r}")
                body.append(line)
                continue
            value = match["value"]
            headers.append((match["name"], value[1:] if value.startswith(" ") else value))
        return AMIMessage(tuple(headers), tuple(body))

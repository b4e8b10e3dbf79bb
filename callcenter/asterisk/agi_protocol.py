"""Sans-IO FastAGI codec in the h11 style: bytes in, events out; commands in, bytes out.

    conn = AGIConnection()
    conn.receive_data(chunk)          # b"" means the peer closed
    event = conn.next_event()         # an event, or NEED_DATA
    wire = conn.send_command("ANSWER")

Events: :class:`EnvironmentReceived`, :class:`CommandResult`, :class:`CommandFailed`,
:class:`HangupReceived` (a bare ``HANGUP`` line; may come while idle, during a command, and again
later) and :class:`ConnectionClosed`. Malformed, oversized or truncated input raises
:class:`AGIProtocolError` from :meth:`AGIConnection.next_event`, after which the connection is
unusable. Command formatting lives in :mod:`.agi_commands`, see it for what came from pyst2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from . import agi_commands as commands
from .agi_environment import AGIEnvironment
from .agi_errors import (
    STATUS_ERRORS,
    AGIDeadChannel,
    AGIError,
    AGILocalProtocolError,
    AGIProtocolError,
    AGIStatusError,
    AGIUnexpectedStatus,
    AGIUnknownCommand,
    AGIUsageError,
    CallerHungUp,
)
from .agi_responses import (
    AGIResponse,
    ChannelStatus,
    DataResult,
    StreamResult,
    channel_status,
    data_result,
    digit_from_code,
    parse_result,
    parse_status_line,
    stream_result,
    variable_value,
)
from .need_data import NEED_DATA, NeedData

__all__ = [
    "AGIConnection",
    "AGIDeadChannel",
    "AGIEnvironment",
    "AGIError",
    "AGIProtocolError",
    "AGIResponse",
    "AGIStatusError",
    "AGIUnknownCommand",
    "AGIUsageError",
    "CallerHungUp",
    "ChannelStatus",
    "CommandFailed",
    "CommandResult",
    "ConnectionClosed",
    "DataResult",
    "EnvironmentReceived",
    "HangupReceived",
    "NEED_DATA",
    "State",
    "StreamResult",
    "channel_status",
    "commands",
    "data_result",
    "digit_from_code",
    "parse_result",
    "stream_result",
    "variable_value",
]

MAX_LINE_BYTES = 64 * 1024
MAX_ENV_BYTES = 64 * 1024
MAX_USAGE_LINES = 256
_ENV_LINE = re.compile(r"(?P<key>agi_[A-Za-z0-9_]+): ?(?P<value>.*)")




@dataclass(frozen=True)
class EnvironmentReceived:
    environment: AGIEnvironment


@dataclass(frozen=True)
class CommandResult:
    """A ``200`` answer to ``command``."""

    command: str
    response: AGIResponse


@dataclass(frozen=True)
class CommandFailed:
    """A non-200 answer (510, 511, 520, ...) to ``command``; ``error`` is ready to raise."""

    command: str
    error: AGIStatusError


@dataclass(frozen=True)
class HangupReceived:
    """A bare ``HANGUP`` line; ``count`` is 1 for the first one on this connection."""

    count: int


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the connection cleanly (between lines)."""


Event = EnvironmentReceived | CommandResult | CommandFailed | HangupReceived | ConnectionClosed


class State(Enum):
    ENVIRONMENT = "environment"  # reading the agi_* block
    IDLE = "idle"  # no command in flight
    AWAITING_RESULT = "awaiting_result"
    CLOSED = "closed"
    ERROR = "error"


class AGIConnection:
    """FastAGI server-side protocol state. Does no I/O and never reads the clock."""

    def __init__(
        self, *, max_line_bytes: int = MAX_LINE_BYTES, max_env_bytes: int = MAX_ENV_BYTES
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.max_env_bytes = max_env_bytes
        self.state = State.ENVIRONMENT
        self.environment: AGIEnvironment | None = None
        self.pending_command: str | None = None
        self.hangup_count = 0
        self._buffer = bytearray()
        self._eof = False
        self._env_pairs: list[tuple[str, str]] = []
        self._env_bytes = 0
        self._usage: list[str] | None = None

    @property
    def hangup_received(self) -> bool:
        return self.hangup_count > 0

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the socket; ``b""`` signals end of stream."""
        if self._eof and data:
            raise AGILocalProtocolError("data received after end of stream")
        if not data:
            self._eof = True
        self._buffer += data

    def send_command(self, line: str, *args: commands.Arg) -> bytes:
        """Encode a command and mark it in flight.

        Either a full line from :mod:`.agi_commands` (``send_command(commands.answer())``) or a
        command name plus arguments, each quoted as needed (``send_command("GET DATA", "beep",
        5000, 4)``).
        """
        if args:
            line = commands.build(line, *(commands.quote(arg) for arg in args))
        if self.state is not State.IDLE:
            raise AGILocalProtocolError(f"cannot send a command in state {self.state.value}")
        if "\n" in line or "\r" in line or not line.strip():
            raise AGILocalProtocolError(f"bad command line: {line!r}")
        self.pending_command = line
        self.state = State.AWAITING_RESULT
        return line.encode() + b"\n"

    def next_event(self) -> Event | NeedData:
        """Return the next event, or ``NEED_DATA`` if more bytes are needed."""
        if self.state is State.ERROR:
            raise AGIProtocolError("connection already failed")
        if self.state is State.CLOSED:
            return ConnectionClosed()
        try:
            while True:
                line = self._next_line()
                if line is None:
                    return self._at_end_of_data()
                event = self._handle_line(line)
                if event is not None:
                    return event
        except AGIProtocolError:
            self.state = State.ERROR
            raise

    def _next_line(self) -> str | None:
        end = self._buffer.find(b"\n", 0, self.max_line_bytes + 1)
        if end < 0:
            if len(self._buffer) > self.max_line_bytes:
                raise AGIProtocolError(f"line longer than {self.max_line_bytes} bytes")
            return None
        raw = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        if self.state is State.ENVIRONMENT:
            self._env_bytes += end + 1
            if self._env_bytes > self.max_env_bytes:
                raise AGIProtocolError(f"environment block larger than {self.max_env_bytes} bytes")
        if b"\x00" in raw:
            raise AGIProtocolError("NUL byte in AGI line")
        return raw.removesuffix(b"\r").decode("utf-8", errors="replace")

    def _at_end_of_data(self) -> Event | NeedData:
        if not self._eof:
            return NEED_DATA
        if self._buffer:
            raise AGIProtocolError("connection closed in the middle of a line")
        if self.state is State.ENVIRONMENT:
            raise AGIProtocolError("connection closed before the environment block ended")
        self.state = State.CLOSED
        return ConnectionClosed()

    def _handle_line(self, line: str) -> Event | None:
        if self.state is State.ENVIRONMENT:
            return self._environment_line(line)
        if line == "HANGUP" and self._usage is None:
            self.hangup_count += 1
            return HangupReceived(self.hangup_count)
        if self.state is not State.AWAITING_RESULT:
            raise AGIProtocolError(f"unsolicited line while idle: {line[:80]!r}")
        if self._usage is not None:
            return self._usage_line(line)
        code, continued, text = parse_status_line(line)
        if code == 200:
            return self._finish(CommandResult(self._command, parse_result(line)))
        if code == 520 and continued:
            self._usage = [text]
            return None
        error_type = STATUS_ERRORS.get(code)
        if error_type is None:
            error: AGIStatusError = AGIUnexpectedStatus(self._command, code, text)
        else:
            error = error_type(self._command, text)
        return self._finish(CommandFailed(self._command, error))

    def _environment_line(self, line: str) -> Event | None:
        if line == "":
            if not self._env_pairs:
                raise AGIProtocolError("empty AGI environment block")
            self.environment = AGIEnvironment.from_pairs(self._env_pairs)
            self.state = State.IDLE
            return EnvironmentReceived(self.environment)
        match = _ENV_LINE.fullmatch(line)
        if not match:
            raise AGIProtocolError(f"not an AGI environment line: {line[:80]!r}")
        self._env_pairs.append((match["key"], match["value"]))
        return None

    def _usage_line(self, line: str) -> Event | None:
        assert self._usage is not None
        if line.startswith("520 "):
            first, *usage = self._usage
            self._usage = None
            error = AGIUsageError(self._command, first, tuple(usage))
            return self._finish(CommandFailed(self._command, error))
        if len(self._usage) >= MAX_USAGE_LINES:
            raise AGIProtocolError(f"520 usage text longer than {MAX_USAGE_LINES} lines")
        self._usage.append(line)
        return None

    @property
    def _command(self) -> str:
        return self.pending_command or ""

    def _finish(self, event: Event) -> Event:
        self.pending_command = None
        self.state = State.IDLE
        return event


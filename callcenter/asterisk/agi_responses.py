"""AGI response lines (``200 result=...``) and the typed results built from them (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

from .agi_errors import AGIProtocolError

_STATUS = re.compile(r"(?P<code>\d{3})(?P<sep>[ -])(?P<text>.*)")
_RESULT = re.compile(r"result=(?P<result>\S*)(?P<rest>.*)")
_DATA_AND_PAIRS = re.compile(r" \((?P<data>.*?)\)(?P<pairs>(?: [A-Za-z_]\w*=\S*)*)")
_PAIRS = re.compile(r"(?P<pairs>(?: [A-Za-z_]\w*=\S*)*)")
_PAIR = re.compile(r" (?P<key>[A-Za-z_]\w*)=(?P<value>\S*)")


@dataclass(frozen=True)
class AGIResponse:
    """A parsed ``200 result=R [(data)] [key=value ...]`` line.

    ``result`` is kept as text: GET DATA answers with the digits themselves and
    ``200 result= (timeout)`` has an empty result.
    """

    result: str
    data: str | None = None
    extras: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    line: str = ""

    @property
    def result_int(self) -> int | None:
        """The result as an integer, or None when it is empty or not a number."""
        try:
            return int(self.result)
        except ValueError:
            return None

    @property
    def endpos(self) -> int | None:
        value = self.extras.get("endpos")
        return int(value) if value is not None and value.lstrip("-").isdigit() else None

    @property
    def timed_out(self) -> bool:
        return self.data == "timeout"


def parse_status_line(line: str) -> tuple[int, bool, str]:
    """Split ``"200 result=0"`` into ``(200, False, "result=0")``; the bool marks ``520-``."""
    match = _STATUS.fullmatch(line)
    if not match:
        raise AGIProtocolError(f"not an AGI status line: {line[:80]!r}")
    return int(match["code"]), match["sep"] == "-", match["text"]


def parse_result(line: str) -> AGIResponse:
    """Parse a full ``200 result=...`` line; raises :class:`AGIProtocolError` otherwise."""
    code, continued, text = parse_status_line(line)
    match = _RESULT.fullmatch(text)
    if code != 200 or continued or not match:
        raise AGIProtocolError(f"not an AGI 200 result line: {line[:80]!r}")
    rest = match["rest"]
    data: str | None = None
    with_data = _DATA_AND_PAIRS.fullmatch(rest)
    if with_data:
        data, pairs = with_data["data"], with_data["pairs"]
    elif _PAIRS.fullmatch(rest):
        pairs = rest
    else:
        raise AGIProtocolError(f"unparseable AGI result: {line[:80]!r}")
    extras = {m["key"]: m["value"] for m in _PAIR.finditer(pairs)}
    return AGIResponse(match["result"], data, MappingProxyType(extras), line)


def digit_from_code(code: int) -> str | None:
    """DTMF results are ASCII codes: 49 -> "1"; 0 means no digit."""
    if code <= 0:
        return None
    if not 0 < code < 128:
        raise AGIProtocolError(f"DTMF result out of ASCII range: {code}")
    return chr(code)


class ChannelStatus(IntEnum):
    """CHANNEL STATUS results (res_agi ``handle_channelstatus``)."""

    DOWN_AVAILABLE = 0
    DOWN_RESERVED = 1
    OFF_HOOK = 2
    DIGITS_DIALED = 3
    RINGING_LINE = 4
    REMOTE_RINGING = 5
    UP = 6
    BUSY = 7


@dataclass(frozen=True)
class StreamResult:
    """STREAM FILE outcome: the escape digit pressed (or None) and where playback stopped."""

    digit: str | None
    endpos: int | None


@dataclass(frozen=True)
class DataResult:
    """GET DATA outcome: digits entered (without the ``#`` terminator) and whether it timed out."""

    digits: str
    timed_out: bool



def stream_result(response: AGIResponse) -> StreamResult:
    """STREAM FILE: ``result=49 endpos=5920`` -> digit "1", stopped at sample 5920."""
    return StreamResult(digit_from_code(response.result_int or 0), response.endpos)


def data_result(response: AGIResponse) -> DataResult:
    """GET DATA: ``result=34`` -> "34"; ``result= (timeout)`` -> "" with ``timed_out``."""
    return DataResult(response.result, response.timed_out)


def variable_value(response: AGIResponse) -> str | None:
    """GET VARIABLE / GET FULL VARIABLE / DATABASE GET: ``result=1 (value)`` or ``result=0``."""
    return (response.data or "") if response.result == "1" else None


def channel_status(response: AGIResponse) -> ChannelStatus:
    """CHANNEL STATUS: ``result=6`` -> :attr:`ChannelStatus.UP`."""
    try:
        return ChannelStatus(response.result_int)
    except ValueError:
        raise AGIProtocolError(f"unknown channel status: {response.line!r}") from None

"""DTMF: RFC 4733 telephone-event packets, and in-band detection with the Goertzel algorithm."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from callcenter.media.rtp import RtpPacket, RtpSender, ts_diff

EVENTS = "0123456789*#ABCD"
ROW_FREQS = (697.0, 770.0, 852.0, 941.0)
COL_FREQS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")
_EVENT = struct.Struct("!BBH")


def digit_to_event(digit: str) -> int:
    """RFC 4733 event code of a DTMF digit ('0'-'9' -> 0-9, '*' 10, '#' 11, 'A'-'D' 12-15)."""
    index = EVENTS.find(digit.upper())
    if len(digit) != 1 or index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return index


def event_to_digit(event: int) -> str:
    if not 0 <= event < len(EVENTS):
        raise ValueError(f"not a DTMF event: {event}")
    return EVENTS[event]


def dtmf_frequencies(digit: str) -> tuple[float, float]:
    """(row, column) frequencies of a keypad digit."""
    for r, row in enumerate(KEYPAD):
        c = row.find(digit.upper())
        if c >= 0:
            return ROW_FREQS[r], COL_FREQS[c]
    raise ValueError(f"not a DTMF digit: {digit!r}")


@dataclass(frozen=True)
class TelephoneEvent:
    """The 4-byte RFC 4733 event payload."""

    event: int
    end: bool = False
    volume: int = 10
    duration: int = 0

    def to_bytes(self) -> bytes:
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | (self.volume & 0x3F),
                           min(self.duration, 0xFFFF))

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise ValueError("telephone-event payload shorter than 4 bytes")
        event, flags, duration = _EVENT.unpack_from(payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)


def dtmf_packets(sender: RtpSender, digit: str, *, payload_type: int = 101,
                 duration_ms: int = 100, packet_ms: int = 20, end_repeats: int = 3,
                 rate: int = 8000) -> list[RtpPacket]:
    """The packets for one digit: marker on the first, growing duration, 3 end packets.

    All packets share the event's start timestamp (RFC 4733 section 2.5.1); the sender's
    timestamp then advances past the event so that audio continues after it.
    """
    event = digit_to_event(digit)
    step = rate * packet_ms // 1000
    total = rate * duration_ms // 1000
    packets = []
    duration = step
    first = True
    while duration < total:
        payload = TelephoneEvent(event, False, 10, duration).to_bytes()
        packets.append(sender.packet(payload, 0, marker=first, payload_type=payload_type,
                                     advance=False))
        first = False
        duration += step
    for _ in range(end_repeats):
        payload = TelephoneEvent(event, True, 10, total).to_bytes()
        packets.append(sender.packet(payload, 0, marker=first, payload_type=payload_type,
                                     advance=False))
        first = False
    sender.timestamp = (sender.timestamp + total) & 0xFFFFFFFF
    return packets


@dataclass(frozen=True)
class DtmfDigit:
    """A received digit with its RTP start timestamp and duration in samples."""

    digit: str
    timestamp: int
    duration: int


class DtmfReceiver:
    """Turns telephone-event packets into digits, once per event.

    A digit is reported on its first end packet; repeated end packets (and late updates)
    for the same event timestamp are ignored. If an event's end packets are all lost, it
    is reported when the next event (a new timestamp) starts. Timestamps are compared within
    one stream: a new SSRC (a phone that restarts its stream, a re-INVITE) starts afresh, and
    an event the old stream left without an end is reported then.
    """

    def __init__(self) -> None:
        self._current: tuple[int, int, int] | None = None  # (timestamp, event, duration)
        self._reported: int | None = None
        self._ssrc: int | None = None

    def feed(self, packet: RtpPacket) -> list[DtmfDigit]:
        try:
            ev = TelephoneEvent.parse(packet.payload)
            digit = event_to_digit(ev.event)
        except ValueError:
            return []
        ts = packet.timestamp
        out: list[DtmfDigit] = []
        if packet.ssrc != self._ssrc:
            if self._current is not None:
                out.append(DtmfDigit(event_to_digit(self._current[1]), self._current[0], self._current[2]))
            self._ssrc, self._current, self._reported = packet.ssrc, None, None
        if self._reported is not None and ts_diff(ts, self._reported) <= 0:
            return []  # end-packet repeat or a late packet of a finished event
        current = self._current
        if current is not None and current[0] != ts:
            if ts_diff(ts, current[0]) < 0:
                return []
            out.append(DtmfDigit(event_to_digit(current[1]), current[0], current[2]))
            self._reported = current[0]
            self._current = None
        if ev.end:
            out.append(DtmfDigit(digit, ts, ev.duration))
            self._reported = ts
            self._current = None
        else:
            self._current = (ts, ev.event, ev.duration)
        return out


def goertzel_power(samples: np.ndarray, rate: int, freq: float) -> float:
    """Squared magnitude of the DFT of ``samples`` at ``freq`` (Goertzel algorithm)."""
    x = np.asarray(samples, dtype=np.float64)
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for value in x.tolist():
        s0 = value + coeff * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def tone_ratio(samples: np.ndarray, rate: int, freq: float) -> float:
    """Share of the signal's energy at ``freq``: about 1.0 for a pure tone, near 0 otherwise."""
    x = np.asarray(samples, dtype=np.float64)
    energy = float(np.dot(x, x))
    if energy <= 0.0 or len(x) == 0:
        return 0.0
    return 2.0 * goertzel_power(x, rate, freq) / (len(x) * energy)


def detect_tone(samples: np.ndarray, rate: int, freq: float, threshold: float = 0.5) -> bool:
    """True if at least ``threshold`` of the energy of ``samples`` is at ``freq``."""
    return tone_ratio(samples, rate, freq) >= threshold


def detect_dtmf(samples: np.ndarray, rate: int = 8000, *, block_ms: int = 40,
                min_blocks: int = 2, threshold: float = 0.2) -> str:
    """Digits heard in audio: per block, one row and one column tone must dominate.

    A digit is reported once when it has been present for ``min_blocks`` consecutive
    blocks; it can repeat only after a block without it.
    """
    x = np.asarray(samples, dtype=np.float64)
    n = rate * block_ms // 1000
    digits: list[str] = []
    previous: str | None = None
    run = 0
    for start in range(0, len(x) - n + 1, n):
        block = x[start : start + n]
        rows = [tone_ratio(block, rate, f) for f in ROW_FREQS]
        cols = [tone_ratio(block, rate, f) for f in COL_FREQS]
        r, c = int(np.argmax(rows)), int(np.argmax(cols))
        found = None
        if rows[r] >= threshold and cols[c] >= threshold and rows[r] + cols[c] >= 0.6:
            found = KEYPAD[r][c]
        if found is not None and found == previous:
            run += 1
        else:
            run = 1 if found else 0
        if found and run == min_blocks:
            digits.append(found)
        previous = found
    return "".join(digits)

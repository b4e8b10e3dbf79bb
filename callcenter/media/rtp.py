"""RTP packets (RFC 3550 section 5.1): build, parse, and 16/32-bit wrap-around arithmetic."""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass, field

RTP_VERSION = 2
_HEADER = struct.Struct("!BBHII")


class RtpParseError(ValueError):
    """A datagram that is not a valid RTP packet."""


@dataclass
class RtpPacket:
    """One RTP packet."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: list[int] = field(default_factory=list)
    extension: tuple[int, bytes] | None = None

    def to_bytes(self) -> bytes:
        if not 0 <= self.payload_type < 128:
            raise ValueError(f"payload type out of range: {self.payload_type}")
        if len(self.csrc) > 15:
            raise ValueError("at most 15 CSRCs")
        first = (RTP_VERSION << 6) | (0x10 if self.extension else 0) | len(self.csrc)
        second = (0x80 if self.marker else 0) | self.payload_type
        out = [_HEADER.pack(first, second, self.sequence & 0xFFFF,
                            self.timestamp & 0xFFFFFFFF, self.ssrc & 0xFFFFFFFF)]
        out.extend(struct.pack("!I", c) for c in self.csrc)
        if self.extension:
            profile, data = self.extension
            if len(data) % 4:
                raise ValueError("extension data must be a multiple of 4 bytes")
            out.append(struct.pack("!HH", profile, len(data) // 4) + data)
        out.append(self.payload)
        return b"".join(out)

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse a datagram; padding is removed and the extension kept."""
        if len(data) < 12:
            raise RtpParseError("shorter than the RTP fixed header")
        first, second, seq, ts, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != RTP_VERSION:
            raise RtpParseError(f"RTP version {first >> 6}")
        offset = 12 + 4 * (first & 0x0F)
        if len(data) < offset:
            raise RtpParseError("truncated CSRC list")
        csrc = list(struct.unpack_from(f"!{first & 0x0F}I", data, 12))
        extension = None
        if first & 0x10:
            if len(data) < offset + 4:
                raise RtpParseError("truncated header extension")
            profile, words = struct.unpack_from("!HH", data, offset)
            end = offset + 4 + 4 * words
            if len(data) < end:
                raise RtpParseError("truncated header extension")
            extension = (profile, bytes(data[offset + 4 : end]))
            offset = end
        end = len(data)
        if first & 0x20:
            pad = data[-1]
            if pad == 0 or offset + pad > end:
                raise RtpParseError("bad padding")
            end -= pad
        return cls(second & 0x7F, seq, ts, ssrc, bytes(data[offset:end]), bool(second & 0x80),
                   csrc, extension)


def seq_add(seq: int, n: int) -> int:
    """Sequence number ``seq + n`` modulo 2**16."""
    return (seq + n) & 0xFFFF


def seq_diff(a: int, b: int) -> int:
    """Signed distance a - b on the 16-bit circle, in [-32768, 32767]."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


def ts_diff(a: int, b: int) -> int:
    """Signed distance a - b on the 32-bit timestamp circle."""
    return ((a - b + 0x80000000) & 0xFFFFFFFF) - 0x80000000


class RtpSender:
    """Numbers outgoing packets of one stream: random start seq/timestamp, wrap-around."""

    def __init__(self, payload_type: int, *, ssrc: int | None = None, sequence: int | None = None,
                 timestamp: int | None = None) -> None:
        self.payload_type = payload_type
        self.ssrc = secrets.randbits(32) if ssrc is None else ssrc
        self.sequence = secrets.randbits(16) if sequence is None else sequence & 0xFFFF
        self.timestamp = secrets.randbits(32) if timestamp is None else timestamp & 0xFFFFFFFF

    def packet(self, payload: bytes, samples: int, *, marker: bool = False,
               payload_type: int | None = None, advance: bool = True) -> RtpPacket:
        """The next packet; the timestamp then advances by ``samples`` if ``advance``."""
        pkt = RtpPacket(self.payload_type if payload_type is None else payload_type,
                        self.sequence, self.timestamp, self.ssrc, payload, marker)
        self.sequence = seq_add(self.sequence, 1)
        if advance:
            self.timestamp = (self.timestamp + samples) & 0xFFFFFFFF
        return pkt


class SequenceTracker:
    """Extends 16-bit sequence numbers to a monotonic count (RFC 3550 appendix A.1, simplified).

    ``update(seq)`` returns the extended sequence number, or None for a duplicate or a
    packet older than the highest seen by more than ``max_misorder``.
    """

    def __init__(self, max_misorder: int = 100) -> None:
        self.max_misorder = max_misorder
        self.highest: int | None = None
        self.received = 0
        self._recent: set[int] = set()

    def update(self, seq: int) -> int | None:
        if self.highest is None:
            self.highest = seq
            extended = seq
        else:
            extended = self.highest + seq_diff(seq, self.highest & 0xFFFF)
            if extended in self._recent or extended < self.highest - self.max_misorder:
                return None
            self.highest = max(self.highest, extended)
        self._recent.add(extended)
        if len(self._recent) > 2 * self.max_misorder:
            floor = self.highest - self.max_misorder
            self._recent = {s for s in self._recent if s >= floor}
        self.received += 1
        return extended

    @property
    def cycles(self) -> int:
        """How many times the 16-bit sequence number wrapped."""
        return 0 if self.highest is None else self.highest >> 16

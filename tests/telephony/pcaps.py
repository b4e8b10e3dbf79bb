"""RFC 2833 digit sequences for SIPp, joined from sip-tester's one-digit pcaps.

Each shipped pcap starts at its own RTP timestamp; played one after another, a later digit
can look older than the one before and a receiver rightly drops it. Joining them into one
pcap with increasing sequence numbers and timestamps gives a proper key sequence.
"""

from __future__ import annotations

import struct
from pathlib import Path

PCAPS = Path("/usr/share/sip-tester")
RTP_OFFSET = 14 + 20 + 8  # Ethernet, IPv4 without options, UDP


def _records(path: Path) -> tuple[bytes, list[tuple[float, bytes]]]:
    data = path.read_bytes()
    header, offset, records = data[:24], 24, []
    while offset + 16 <= len(data):
        seconds, micros, length, _ = struct.unpack("<IIII", data[offset:offset + 16])
        offset += 16
        records.append((seconds + micros / 1e6, data[offset:offset + length]))
        offset += length
    return header, records


def dtmf_pcap(digits: str, out: Path, *, gap: float = 0.8) -> Path:
    """Write a pcap that sends ``digits`` ``gap`` seconds apart; returns ``out``."""
    names = {"*": "star", "#": "pound"}
    chunks, header, seq, base_ts, start = [], b"", 1000, 160_000, None
    for index, digit in enumerate(digits):
        header, records = _records(PCAPS / f"dtmf_2833_{names.get(digit, digit)}.pcap")
        first_time = records[0][0]
        first_ts = struct.unpack(">I", records[0][1][RTP_OFFSET + 4:RTP_OFFSET + 8])[0]
        start = first_time if start is None else start
        for when, packet in records:
            rtp = bytearray(packet)
            old_ts = struct.unpack(">I", rtp[RTP_OFFSET + 4:RTP_OFFSET + 8])[0]
            timestamp = base_ts + int(index * gap * 8000) + (old_ts - first_ts)
            struct.pack_into(">HI", rtp, RTP_OFFSET + 2, seq & 0xFFFF, timestamp & 0xFFFFFFFF)
            struct.pack_into(">H", rtp, RTP_OFFSET - 2, 0)  # UDP checksum: none
            seq += 1
            moment = start + index * gap + (when - first_time)
            chunks.append(struct.pack("<IIII", int(moment), int(moment % 1 * 1e6), len(rtp),
                                      len(rtp)) + bytes(rtp))
    out.write_bytes(header + b"".join(chunks))
    return out

"""RTP header build/parse, marker, wrap-around of sequence numbers and timestamps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.media.rtp import (
    RtpPacket,
    RtpParseError,
    RtpSender,
    SequenceTracker,
    seq_add,
    seq_diff,
    ts_diff,
)


def test_fixed_header_layout():
    pkt = RtpPacket(0, 0x1234, 0xDEADBEEF, 0x01020304, b"\xff" * 160, marker=True)
    data = pkt.to_bytes()
    assert data[:12] == bytes([0x80, 0x80, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4])
    assert len(data) == 172
    assert RtpPacket.parse(data) == pkt


@given(pt=st.integers(0, 127), seq=st.integers(0, 0xFFFF), ts=st.integers(0, 2**32 - 1),
       ssrc=st.integers(0, 2**32 - 1), marker=st.booleans(), payload=st.binary(max_size=200),
       csrc=st.lists(st.integers(0, 2**32 - 1), max_size=15))
def test_round_trip(pt, seq, ts, ssrc, marker, payload, csrc):
    pkt = RtpPacket(pt, seq, ts, ssrc, payload, marker, csrc)
    assert RtpPacket.parse(pkt.to_bytes()) == pkt


def test_extension_and_padding():
    pkt = RtpPacket(8, 1, 2, 3, b"abcd", extension=(0xBEDE, b"\x10\x01\x00\x00"))
    assert RtpPacket.parse(pkt.to_bytes()).extension == (0xBEDE, b"\x10\x01\x00\x00")
    padded = bytearray(RtpPacket(8, 1, 2, 3, b"abcd").to_bytes() + b"\x00\x00\x03")
    padded[0] |= 0x20
    assert RtpPacket.parse(bytes(padded)).payload == b"abcd"


@pytest.mark.parametrize("data", [b"", b"\x80" * 11, b"\x40" + b"\x00" * 11,
                                  b"\x8f" + b"\x00" * 11, b"\xa0" + b"\x00" * 11])
def test_bad_packets(data):
    with pytest.raises(RtpParseError):
        RtpPacket.parse(data)


def test_sender_wraps_sequence_and_timestamp():
    sender = RtpSender(0, ssrc=7, sequence=0xFFFE, timestamp=2**32 - 160)
    packets = [sender.packet(b"x", 160) for _ in range(3)]
    assert [p.sequence for p in packets] == [0xFFFE, 0xFFFF, 0]
    assert [p.timestamp for p in packets] == [2**32 - 160, 0, 160]
    assert all(RtpPacket.parse(p.to_bytes()) == p for p in packets)


def test_wrap_arithmetic():
    assert seq_add(0xFFFF, 1) == 0
    assert seq_diff(0, 0xFFFF) == 1 and seq_diff(0xFFFF, 0) == -1
    assert seq_diff(100, 50) == 50
    assert ts_diff(10, 2**32 - 10) == 20


def test_sequence_tracker_across_wrap_with_reordering_and_duplicates():
    tracker = SequenceTracker()
    seqs = [65533, 65534, 0, 65535, 1, 1, 2]
    out = [tracker.update(s) for s in seqs]
    assert out == [65533, 65534, 65536, 65535, 65537, None, 65538]
    assert tracker.cycles == 1 and tracker.received == 6
    assert tracker.update(65000) is None  # far older than the reorder window

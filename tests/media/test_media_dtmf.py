"""RFC 4733 events, end-packet de-duplication, Goertzel and in-band DTMF detection."""

from __future__ import annotations

import numpy as np
import pytest

from callcenter.media.dtmf import (
    DtmfReceiver,
    TelephoneEvent,
    detect_dtmf,
    detect_tone,
    digit_to_event,
    dtmf_packets,
    tone_ratio,
)
from callcenter.media.rtp import RtpPacket, RtpSender
from callcenter.media.tone import dtmf_tone, sine


def test_event_codes():
    assert [digit_to_event(d) for d in "09*#AD"] == [0, 9, 10, 11, 12, 15]
    with pytest.raises(ValueError):
        digit_to_event("E")


def test_event_payload_layout():
    ev = TelephoneEvent(11, end=True, volume=10, duration=800)
    assert ev.to_bytes() == bytes([11, 0x8A, 0x03, 0x20])
    assert TelephoneEvent.parse(ev.to_bytes()) == ev


def test_packets_for_a_digit():
    sender = RtpSender(0, ssrc=1, sequence=65534, timestamp=1000)
    packets = dtmf_packets(sender, "5", duration_ms=100)
    events = [TelephoneEvent.parse(p.payload) for p in packets]
    assert packets[0].marker and not any(p.marker for p in packets[1:])
    assert {p.timestamp for p in packets} == {1000}
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert [p.sequence for p in packets][:3] == [65534, 65535, 0]
    assert sender.timestamp == 1800


def wire(packets):
    return [RtpPacket.parse(p.to_bytes()) for p in packets]


def test_receiver_reports_each_digit_once_despite_end_repeats():
    sender = RtpSender(101, ssrc=1)
    stream = []
    for digit in "12#":
        stream += wire(dtmf_packets(sender, digit))
    receiver = DtmfReceiver()
    got = [d for p in stream for d in receiver.feed(p)]
    assert [d.digit for d in got] == ["1", "2", "#"]
    assert all(d.duration == 800 for d in got)
    # Replaying late end packets of an already-reported event changes nothing.
    assert receiver.feed(stream[-1]) == []
    assert receiver.feed(stream[5]) == []


def test_receiver_recovers_when_all_end_packets_are_lost():
    sender = RtpSender(101, ssrc=1)
    first = [p for p in dtmf_packets(sender, "7")
             if not TelephoneEvent.parse(p.payload).end]
    second = dtmf_packets(sender, "8")
    receiver = DtmfReceiver()
    got = [d.digit for p in wire(first + second) for d in receiver.feed(p)]
    assert got == ["7", "8"]


def test_repeated_same_digit_is_two_events():
    sender = RtpSender(101, ssrc=1)
    receiver = DtmfReceiver()
    stream = wire(dtmf_packets(sender, "3") + dtmf_packets(sender, "3"))
    assert [d.digit for p in stream for d in receiver.feed(p)] == ["3", "3"]


def test_goertzel_tone_detection():
    tone = sine(1004, 0.1)
    assert tone_ratio(tone, 8000, 1004) > 0.9
    assert detect_tone(tone, 8000, 1004)
    assert not detect_tone(tone, 8000, 697)
    noise = np.random.default_rng(1).normal(0, 3000, 800).astype(np.int16)
    assert not detect_tone(noise, 8000, 1004)
    assert tone_ratio(np.zeros(160), 8000, 1004) == 0.0


def test_inband_dtmf_detection():
    audio = dtmf_tone("12345#*0", tone=0.1, gap=0.06)
    noise = np.random.default_rng(2).normal(0, 300, len(audio))
    assert detect_dtmf((audio + noise).astype(np.int16)) == "12345#*0"
    assert detect_dtmf(sine(440, 1.0)) == ""
    assert detect_dtmf(dtmf_tone("55", tone=0.1, gap=0.06)) == "55"


def test_a_new_stream_starts_its_timestamps_afresh():
    """A phone that restarts its RTP stream (new SSRC, timestamps from a new random base) is
    heard: its keys are not dropped as late packets of the old stream."""
    first = RtpSender(101, ssrc=1, timestamp=900_000)
    second = RtpSender(101, ssrc=2, timestamp=1000)
    one = dtmf_packets(first, "1")
    unended = [p for p in dtmf_packets(first, "4") if not TelephoneEvent.parse(p.payload).end]
    stream = wire(one + unended + dtmf_packets(second, "2") + dtmf_packets(second, "#"))
    receiver = DtmfReceiver()
    assert [d.digit for p in stream for d in receiver.feed(p)] == ["1", "4", "2", "#"]

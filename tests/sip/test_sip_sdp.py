"""SDP parsing and offer/answer tests."""

from __future__ import annotations

import pytest
from sip_samples import SDP_OFFER

from callcenter.sip.sdp import (
    NoCommonCodec,
    SDPError,
    answer_offer,
    build_offer,
    parse_answer,
    parse_sdp,
)


def test_parse_offer():
    sdp = parse_sdp(SDP_OFFER.encode())
    audio = sdp.audio()
    assert audio is not None
    assert audio.port == 49170
    assert audio.formats == ["0", "8", "96", "101"]
    assert audio.rtpmap[96] == ("opus", 48000)
    assert audio.fmtp[101] == "0-16"
    assert audio.direction == "sendrecv"
    assert audio.attribute("ptime") == "20"
    assert sdp.connection_address(audio) == "10.0.0.1"


def test_round_trip():
    sdp = parse_sdp(SDP_OFFER)
    assert parse_sdp(sdp.to_bytes()).to_bytes() == sdp.to_bytes()
    assert sdp.to_bytes().decode().splitlines() == SDP_OFFER.splitlines()


def test_answer_prefers_offer_order_and_keeps_dtmf_pt():
    offer = SDP_OFFER.replace("RTP/AVP 0 8 96 101", "RTP/AVP 8 0 96 97").replace(
        "101 telephone-event", "97 telephone-event").replace("fmtp:101", "fmtp:97")
    answer = answer_offer(offer.encode(), "127.0.0.1", 40000)
    assert answer.codec.payload_type == 8 and answer.codec.name == "PCMA"
    assert answer.dtmf_payload_type == 97
    assert (answer.remote_address, answer.remote_port) == ("10.0.0.1", 49170)
    audio = parse_sdp(answer.to_bytes()).audio()
    assert audio.formats == ["8", "97"] and audio.port == 40000
    assert audio.rtpmap[97] == ("telephone-event", 8000)
    assert parse_answer(answer.to_bytes())[0].payload_type == 8


def test_answer_direction_is_reversed():
    offer = SDP_OFFER.replace("a=sendrecv", "a=sendonly")
    answer = answer_offer(offer, "127.0.0.1", 40000)
    assert answer.direction == "recvonly"
    assert parse_sdp(answer.to_bytes()).audio().direction == "recvonly"


def test_no_common_codec_is_488():
    offer = SDP_OFFER.replace("RTP/AVP 0 8 96 101", "RTP/AVP 96 101")
    with pytest.raises(NoCommonCodec) as info:
        answer_offer(offer, "127.0.0.1", 40000)
    assert info.value.status == 488


def test_video_stream_rejected_with_port_zero():
    offer = SDP_OFFER + "m=video 49180 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    answer = parse_sdp(answer_offer(offer, "127.0.0.1", 40000).to_bytes())
    assert [(m.media, m.port) for m in answer.media] == [("audio", 40000), ("video", 0)]


def test_offer_and_answer_between_us():
    offer = build_offer("127.0.0.1", 30000, codecs=(8,), dtmf_payload_type=None)
    answer = answer_offer(offer.to_bytes(), "127.0.0.2", 30002)
    assert answer.codec.name == "PCMA" and answer.dtmf_payload_type is None
    codec, dtmf, host, port = parse_answer(answer.to_bytes())
    assert (codec.name, dtmf, host, port) == ("PCMA", None, "127.0.0.2", 30002)


@pytest.mark.parametrize(
    "bad", [b"\xff\xfe", "x=1\r\n", "v=1\r\n", "v=0\r\nm=audio x RTP/AVP 0\r\n"]
)
def test_bad_sdp(bad):
    with pytest.raises(SDPError):
        parse_sdp(bad)

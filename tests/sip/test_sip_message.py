"""Parser, serialiser and response-building tests for callcenter.sip.message."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sip_samples import ALL, INVITE, OK_200, REGISTER, SDP_OFFER

from callcenter.sip.message import (
    MAX_MESSAGE_SIZE,
    CSeq,
    Headers,
    NameAddr,
    SIPParseError,
    SIPRequest,
    SIPResponse,
    StreamFramer,
    make_response,
    parse_address,
    parse_message,
    parse_uri,
    parse_via,
)


def test_invite_fields():
    msg = parse_message(INVITE)
    assert isinstance(msg, SIPRequest)
    assert msg.method == "INVITE"
    assert msg.request_uri.user == "12345"
    assert msg.request_uri.port == 5060
    assert msg.call_id == "a84b4c76e66710@10.0.0.1"
    assert msg.cseq == CSeq(314159, "INVITE")
    assert msg.from_tag == "1928301774"
    assert msg.from_addr.display_name == "Zhang San"
    assert msg.to_tag is None
    assert msg.branch == "z9hG4bK776asdhds"
    assert msg.body.decode() == SDP_OFFER
    assert msg.content_type == "application/sdp"


def test_response_fields():
    msg = parse_message(OK_200)
    assert isinstance(msg, SIPResponse)
    assert (msg.status, msg.reason) == (200, "OK")
    assert msg.to_tag == "a6c85cf"
    assert msg.top_via.params["received"] == "10.0.0.1"
    assert msg.top_via.params["rport"] == "5062"


@pytest.mark.parametrize("name", sorted(ALL))
def test_round_trip_is_stable(name):
    first = parse_message(ALL[name])
    again = parse_message(bytes(first))
    assert bytes(again) == bytes(first)
    assert list(again.headers) == list(first.headers)
    assert again.body == first.body


def test_compact_forms_and_case_insensitive_names():
    raw = (
        b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"f: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: cid\r\ncSeQ: 2 OPTIONS\r\n"
        b"m: <sip:x@y:5070>\r\nk: timer\r\nc: text/plain\r\nl: 2\r\n\r\nhi"
    )
    msg = parse_message(raw)
    assert msg.call_id == "cid"
    assert msg.headers.get("CALL-ID") == "cid"
    assert msg.headers.get("Supported") == "timer"
    assert msg.contact.sip_uri().port == 5070
    assert msg.body == b"hi"
    assert b"Call-ID: cid\r\n" in bytes(msg)
    assert b"Content-Type: text/plain\r\n" in bytes(msg)


def test_multiple_via_in_one_line_and_separate_lines():
    raw = INVITE.replace(
        b"Via: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK776asdhds\r\n",
        b"Via: SIP/2.0/UDP p1:5070;branch=z9hG4bKp1, SIP/2.0/TCP [::1]:5080;branch=z9hG4bKp2\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKua\r\n",
    )
    vias = parse_message(raw).vias
    assert [v.branch for v in vias] == ["z9hG4bKp1", "z9hG4bKp2", "z9hG4bKua"]
    assert vias[1].transport == "TCP" and vias[1].host == "[::1]" and vias[1].port == 5080
    assert vias[2].sent_by == ("10.0.0.1", 5060)


def test_header_folding():
    raw = INVITE.replace(b"Subject", b"X").replace(
        b"User-Agent: Softphone 5.1\r\n", b"User-Agent: Softphone\r\n   5.1\r\n\tbeta\r\n"
    )
    assert parse_message(raw).headers.get("user-agent") == "Softphone 5.1 beta"


def test_body_cut_at_content_length_and_bare_lf_tolerated():
    raw = ACK_LF = (
        b"ACK sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nFrom: <sip:x@y>;tag=1\n"
        b"To: <sip:a@b>;tag=2\nCall-ID: c\nCSeq: 1 ACK\nContent-Length: 3\n\nabcdef"
    )
    assert parse_message(ACK_LF).body == b"abc"
    without_length = raw.replace(b"Content-Length: 3\n", b"")
    assert parse_message(without_length).body == b"abcdef"
    with pytest.raises(SIPParseError):
        parse_message(without_length, stream=True)


@pytest.mark.parametrize("missing", [b"Call-ID", b"CSeq", b"From", b"To", b"Via"])
def test_missing_mandatory_header(missing):
    lines = [ln for ln in INVITE.split(b"\r\n") if not ln.startswith(missing + b":")]
    with pytest.raises(SIPParseError) as info:
        parse_message(b"\r\n".join(lines))
    assert missing.decode().lower() in info.value.reason.lower()
    assert info.value.method == "INVITE"
    if missing != b"Via":
        response = info.value.bad_request()
        assert response is not None and response.status == 400
        reparsed_vias = [v for n, v in response.headers if n == "Via"]
        assert reparsed_vias == ["SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK776asdhds"]
    else:
        assert info.value.bad_request() is None


@pytest.mark.parametrize(
    "raw",
    [
        b"INVITE sip:a@b\r\n\r\n",
        b"INVITE sip:a@b SIP/3.0\r\nVia: x\r\n\r\n",
        b"SIP/2.0 99 Low\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"\xff\xfe\xfa INVITE",
        b"",
        INVITE.replace(b"CSeq: 314159 INVITE", b"CSeq: abc INVITE"),
        INVITE.replace(b"Content-Length: ", b"Content-Length: 9"),
        INVITE.replace(b"Max-Forwards: 70", b"Max Forwards 70"),
    ],
)
def test_malformed_raises_parse_error(raw):
    with pytest.raises(SIPParseError):
        parse_message(raw)


def test_oversize_rejected():
    raw = INVITE.replace(b"\r\n\r\n", b"\r\nX-Pad: " + b"a" * MAX_MESSAGE_SIZE + b"\r\n\r\n", 1)
    with pytest.raises(SIPParseError) as info:
        parse_message(raw)
    assert info.value.status == 513


def test_bad_request_for_garbage_request_body_length():
    raw = INVITE.replace(b"Content-Length: ", b"Content-Length: 9")
    with pytest.raises(SIPParseError) as info:
        parse_message(raw)
    response = info.value.bad_request()
    assert response is not None
    parsed = parse_message(bytes(response))
    assert parsed.status == 400 and parsed.call_id == "a84b4c76e66710@10.0.0.1"


def test_uri_parsing():
    uri = parse_uri("sips:agent:pw@[2001:db8::1]:5071;transport=tcp;lr?Subject=x")
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips", "agent", "pw", "[2001:db8::1]", 5071)
    assert uri.params == {"transport": "tcp", "lr": None}
    assert uri.transport == "TCP"
    assert str(uri) == "sips:agent:pw@[2001:db8::1]:5071;transport=tcp;lr?Subject=x"
    assert parse_uri("sip:example.com").hostport() == ("example.com", 5060)
    for bad in ("http://x", "sip:", "sip:user@host:99999", "sip:u@ho st"):
        with pytest.raises(SIPParseError):
            parse_uri(bad)


def test_name_addr_forms():
    a = parse_address('"Li \\"Si\\"" <sip:1002@h;transport=udp>;tag=99;expires=60')
    assert a.display_name == 'Li \\"Si\\"'
    assert a.uri == "sip:1002@h;transport=udp"
    assert a.tag == "99" and a.params["expires"] == "60"
    b = parse_address("sip:1002@h;tag=77")
    assert b.uri == "sip:1002@h" and b.tag == "77"
    c = parse_address("Bob <sip:bob@h>")
    assert c.display_name == "Bob" and c.tag is None
    assert parse_address(str(a)) == a
    assert NameAddr.parse(str(c.with_tag("t1"))).tag == "t1"


def test_via_parsing_tolerates_spaces():
    via = parse_via("SIP / 2.0 / UDP host.example:5070 ; branch=z9hG4bKa ; rport")
    assert via.transport == "UDP" and via.port == 5070 and via.branch == "z9hG4bKa"


def test_make_response_copies_rfc3261_headers():
    req = parse_message(INVITE.replace(
        b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\n"
        b"Via: SIP/2.0/UDP second;branch=z9hG4bK2\r\n"))
    resp = make_response(req, 180, to_tag="uas1")
    assert resp.reason == "Ringing"
    assert resp.headers.get_all("via") == req.headers.get_all("via")
    assert resp.to_tag == "uas1" and resp.from_tag == req.from_tag
    assert resp.call_id == req.call_id and resp.cseq == req.cseq
    assert resp.headers.get_all("record-route") == ["<sip:p1;lr>", "<sip:p2;lr>"]
    trying = make_response(req, 100, to_tag="uas1")
    assert trying.to_tag is None
    assert "record-route" not in trying.headers
    reg = parse_message(REGISTER)
    assert make_response(reg, 200, to_tag="t").to_tag == "t"


def test_stream_framer_splits_by_content_length():
    framer = StreamFramer()
    stream = b"\r\n\r\n" + INVITE + OK_200 + b"\r\n" + REGISTER
    frames: list[bytes] = []
    for i in range(0, len(stream), 7):
        frames.extend(framer.feed(stream[i : i + 7]))
    assert frames == [INVITE, OK_200, REGISTER]
    assert framer.buffered == 0
    assert [parse_message(f, stream=True).cseq.method for f in frames] == [
        "INVITE", "INVITE", "REGISTER"]


def test_stream_framer_errors():
    with pytest.raises(SIPParseError):
        StreamFramer().feed(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n")
    with pytest.raises(SIPParseError):
        StreamFramer().feed(b"A" * (MAX_MESSAGE_SIZE + 10))


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["INVITE", "BYE", "OPTIONS", "REGISTER", "INFO", "X-CUSTOM"]),
    user=_token,
    host=_token,
    port=st.one_of(st.none(), st.integers(1, 65535)),
    seq=st.integers(0, 2**31 - 1),
    tag=_token,
    extra=st.lists(st.tuples(st.sampled_from(["X-A", "Subject", "User-Agent", "k"]),
                             st.text(alphabet="abc xyz=;,<>:@0129", max_size=20)), max_size=4),
    body=st.binary(max_size=64),
)
def test_generated_messages_serialise_stably(method, user, host, port, seq, tag, extra, body):
    port_text = f":{port}" if port else ""
    headers = [
        f"{method} sip:{user}@{host}{port_text} SIP/2.0",
        f"Via: SIP/2.0/UDP {host}{port_text};branch=z9hG4bK{tag}",
        f"From: <sip:{user}@{host}>;tag={tag}",
        f"To: <sip:{user}@{host}>",
        f"Call-ID: {tag}@{host}",
        f"CSeq: {seq} {method}",
    ] + [f"{n}: {v.strip()}" for n, v in extra]
    raw = ("\r\n".join(headers) + f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    msg = parse_message(raw)
    assert msg.cseq == CSeq(seq, method)
    assert msg.from_tag == tag
    assert msg.body == body
    once = bytes(msg)
    assert bytes(parse_message(once)) == once


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_parse_error(data):
    with contextlib.suppress(SIPParseError):
        parse_message(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(INVITE) - 1), st.binary(min_size=1, max_size=8))
def test_mutated_invite_only_raises_parse_error(pos, junk):
    data = INVITE[:pos] + junk + INVITE[pos + len(junk):]
    try:
        msg = parse_message(data)
    except SIPParseError:
        return
    for accessor in ("call_id", "cseq", "from_addr", "to_addr", "vias"):
        with contextlib.suppress(SIPParseError):
            getattr(msg, accessor)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=6))
def test_stream_framer_random_chunks_only_raise_parse_error(chunks):
    framer = StreamFramer(max_size=1024)
    try:
        for chunk in chunks:
            for frame in framer.feed(chunk):
                with contextlib.suppress(SIPParseError):
                    parse_message(frame, stream=True)
    except SIPParseError:
        pass


def test_version_error_answers_505():
    raw = INVITE.replace(b"INVITE sip:12345@192.168.1.10:5060 SIP/2.0",
                         b"INVITE sip:12345@192.168.1.10:5060 SIP/3.0")
    with pytest.raises(SIPParseError) as info:
        parse_message(raw)
    response = info.value.bad_request()
    assert response is not None and response.status == 505
    assert response.reason.startswith("Version Not Supported")


def test_header_line_without_colon_rejected_even_for_known_names():
    Headers([("Via", "x"), ("Bad Name", "y")])  # programmatic names must not whitelist lines
    for line in (b"Via", b"Bad Name: y", b"Call-ID"):
        raw = INVITE.replace(b"Max-Forwards: 70", line)
        with pytest.raises(SIPParseError):
            parse_message(raw)


def test_parsed_fields_follow_header_edits():
    msg = parse_message(INVITE)
    assert msg.cseq.seq == 314159 and msg.from_tag == "1928301774"
    msg.headers.set("CSeq", "7 INVITE")
    msg.headers.set("From", "<sip:x@y>;tag=changed")
    assert msg.cseq.seq == 7 and msg.from_tag == "changed"

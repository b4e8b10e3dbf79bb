"""Realistic SIP messages shared by the SIP tests and the parser benchmark."""

from __future__ import annotations

SDP_OFFER = (
    "v=0\r\n"
    "o=1001 2890844526 2890844526 IN IP4 10.0.0.1\r\n"
    "s=call\r\n"
    "c=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 96 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
)

INVITE = (
    "INVITE sip:12345@192.168.1.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:12345@192.168.1.10>\r\n"
    'From: "Zhang San" <sip:1001@10.0.0.1>;tag=1928301774\r\n'
    "Call-ID: a84b4c76e66710@10.0.0.1\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:1001@10.0.0.1:5062;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: Softphone 5.1\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(SDP_OFFER)}\r\n"
    "\r\n" + SDP_OFFER
).encode()

OK_200 = (
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5062;rport=5062;branch=z9hG4bK776asdhds;received=10.0.0.1\r\n"
    'From: "Zhang San" <sip:1001@10.0.0.1>;tag=1928301774\r\n'
    "To: <sip:12345@192.168.1.10>;tag=a6c85cf\r\n"
    "Call-ID: a84b4c76e66710@10.0.0.1\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:12345@192.168.1.10:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(SDP_OFFER)}\r\n"
    "\r\n" + SDP_OFFER
).encode()

ACK = (
    b"ACK sip:12345@192.168.1.10:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK776asdhdt\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:12345@192.168.1.10>;tag=a6c85cf\r\n"
    b'From: "Zhang San" <sip:1001@10.0.0.1>;tag=1928301774\r\n'
    b"Call-ID: a84b4c76e66710@10.0.0.1\r\n"
    b"CSeq: 314159 ACK\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)

BYE = (
    b"BYE sip:1001@10.0.0.1:5062 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKnashds7\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:12345@192.168.1.10>;tag=a6c85cf\r\n"
    b'To: "Zhang San" <sip:1001@10.0.0.1>;tag=1928301774\r\n'
    b"Call-ID: a84b4c76e66710@10.0.0.1\r\n"
    b"CSeq: 231 BYE\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)

REGISTER = (
    b"REGISTER sip:192.168.1.10 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.7:5066;rport;branch=z9hG4bKnashd92\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:agent8001@192.168.1.10>\r\n"
    b"From: <sip:agent8001@192.168.1.10>;tag=456248\r\n"
    b"Call-ID: 843817637684230@998sdasdh09\r\n"
    b"CSeq: 1826 REGISTER\r\n"
    b"Contact: <sip:agent8001@10.0.0.7:5066>\r\n"
    b"Expires: 3600\r\n"
    b'Authorization: Digest username="agent8001", realm="12345.local", '
    b'nonce="MTcwMDAwMDAwMC4wOmFiY2RlZg", uri="sip:192.168.1.10", '
    b'response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, '
    b'nc=00000001, cnonce="0a4f113b"\r\n'
    b"Content-Length: 0\r\n"
    b"\r\n"
)

ALL = {"INVITE": INVITE, "200 OK": OK_200, "ACK": ACK, "BYE": BYE, "REGISTER": REGISTER}

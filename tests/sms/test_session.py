"""The SMPP session without sockets: bytes and a virtual clock in, events and bytes out."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator

from callcenter.sms.session import (
    MAX_PDU,
    Accepted,
    BindRefused,
    Bound,
    LinkClosed,
    Receipt,
    Refused,
    Session,
)
from callcenter.sms.text import split
from tests.sms.smsc import receipt_pdu

SRC, DST = ("12345", 0, 1), ("8613800000001", 1, 1)


def parse(data: bytes) -> list:
    """The PDUs in ``data`` as the SMSC would read them."""
    out = []
    while data:
        (length,) = struct.unpack(">L", data[:4])
        out.append(smpp.parse_pdu(data[:length], client=SimpleSequenceGenerator()))
        data = data[length:]
    return out


def resp(command: str, seq: int, status: int = 0, **fields) -> bytes:
    pdu = smpp.make_pdu(command, client=SimpleSequenceGenerator(), sequence=seq, status=status, **fields)
    pdu.sequence = seq
    return pdu.generate()


def bound(**options) -> Session:
    session = Session("hotline", "s3cret", **options)
    session.bind(0.0)
    [bind] = parse(session.outgoing())
    assert (bind.command, bind.system_id, bind.password) == ("bind_transceiver", b"hotline", b"s3cret")
    reply = resp("bind_transceiver_resp", bind.sequence, system_id="smsc")
    assert session.receive(reply, 0.0) == [Bound("smsc")]
    return session


def test_a_refused_bind_closes_the_session():
    session = Session("hotline", "wrong")
    session.bind(0.0)
    [bind] = parse(session.outgoing())
    events = session.receive(resp("bind_transceiver_resp", bind.sequence, consts.SMPP_ESME_RINVPASWD), 0.0)
    assert events == [BindRefused(0x0E, "0x0000000E Invalid Password")] and session.state == "closed"


def test_submit_accept_refuse_and_window_count():
    session = bound()
    parts = split("中" * 100, "case/intake")
    seqs = [session.submit(p, ("m", p.seq), 1.0, source=SRC, destination=DST) for p in parts]
    sent = parse(session.outgoing())
    assert [p.command for p in sent] == ["submit_sm", "submit_sm"] and session.in_flight == 2
    assert [p.short_message for p in sent] == [p.short_message for p in parts]
    assert {(p.esm_class, p.data_coding, p.registered_delivery) for p in sent} == {(0x40, 8, 1)}
    accepted = session.receive(resp("submit_sm_resp", seqs[0], message_id="A1"), 1.1)
    assert accepted == [Accepted(("m", 1), "A1")]
    [refused] = session.receive(resp("submit_sm_resp", seqs[1], consts.SMPP_ESME_RTHROTTLED), 1.2)
    assert isinstance(refused, Refused) and refused.throttled and refused.temporary and session.in_flight == 0
    assert not Refused(None, consts.SMPP_ESME_RINVDSTADR, "").temporary


def test_receipts_wait_for_their_ack_other_deliveries_are_acked_at_once():
    session = bound()
    seq = SimpleSequenceGenerator()
    with_tlvs = receipt_pdu(seq, "A1", "DELIVRD")
    text_only = receipt_pdu(seq, "A2", "UNDELIV", tlvs=False)
    citizen = smpp.make_pdu("deliver_sm", client=seq, source_addr="8613800000001", destination_addr="12345",
                            esm_class=0, short_message=b"TD")
    events = session.receive(with_tlvs.generate() + text_only.generate() + citizen.generate(), 2.0)
    assert events == [Receipt(with_tlvs.sequence, "A1", "DELIVRD", True, "000"),
                      Receipt(text_only.sequence, "A2", "UNDELIV", False, "000")]
    [ack] = parse(session.outgoing())  # only the citizen's message so far
    assert (ack.command, ack.sequence) == ("deliver_sm_resp", citizen.sequence) and session.ignored == 1
    session.ack(with_tlvs.sequence)
    assert parse(session.outgoing())[0].sequence == with_tlvs.sequence


def test_enquire_link_when_idle_and_a_silent_smsc_closes_the_link():
    session = bound(enquire_link=30.0, response_timeout=10.0)
    assert session.next_deadline() == 30.0
    assert session.on_timer(29.9) == [] and session.outgoing() == b""
    assert session.on_timer(30.0) == []
    [ping] = parse(session.outgoing())
    assert ping.command == "enquire_link" and session.next_deadline() == 40.0
    assert session.receive(resp("enquire_link_resp", ping.sequence), 35.0) == []
    assert session.next_deadline() == 65.0  # heard at 35
    session.on_timer(65.0)
    session.outgoing()
    assert session.on_timer(75.0) == [LinkClosed("no enquire_link_resp within 10 s")]
    assert session.state == "closed" and session.next_deadline() is None


def test_the_smsc_pinging_and_unbinding():
    session = bound()
    ping = smpp.make_pdu("enquire_link", client=SimpleSequenceGenerator())
    assert session.receive(ping.generate(), 1.0) == []
    assert parse(session.outgoing())[0].command == "enquire_link_resp"
    unbind = smpp.make_pdu("unbind", client=SimpleSequenceGenerator())
    assert session.receive(unbind.generate(), 2.0) == [LinkClosed("the SMSC unbound")]
    assert parse(session.outgoing())[0].command == "unbind_resp"


def test_an_oversized_command_length_closes_before_anything_is_buffered():
    session = bound()
    events = session.receive(struct.pack(">L", 0xFFFFFFF0) + b"\0" * 12, 1.0)
    assert events == [LinkClosed(f"command_length 4294967280 outside 16..{MAX_PDU}")]
    assert session.receive(b"\0" * 100_000, 1.0) == [] and len(session._buffer) == 0


def test_unknown_commands_get_generic_nack_and_too_many_close_the_link():
    session = bound(max_malformed=3)
    junk = struct.pack(">LLLL", 16, 0x00000099, 0, 5)
    assert session.receive(junk * 3, 1.0) == []
    nacks = parse(session.outgoing())
    assert [(n.command, n.status, n.sequence) for n in nacks] == [("generic_nack", 3, 5)] * 3
    assert session.receive(junk, 1.0) == [LinkClosed("4 malformed PDUs (last: unknown command 0x00000099)")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_any_bytes_from_the_smsc_never_raise_and_stay_bounded(chunks):
    session = bound()
    for chunk in chunks:
        events = session.receive(chunk, 1.0)
        assert all(isinstance(e, (Receipt, LinkClosed, Accepted, Refused)) for e in events)
        assert len(session._buffer) <= MAX_PDU
        session.outgoing()


def test_a_split_stream_is_reassembled():
    session = bound()
    data = receipt_pdu(SimpleSequenceGenerator(), "A9", "DELIVRD").generate() * 2
    events = [e for i in range(len(data)) for e in session.receive(data[i:i + 1], 1.0)]
    assert [e.smsc_id for e in events] == ["A9", "A9"]

"""Dialog creation from both sides and in-dialog request construction."""

from __future__ import annotations

import pytest
from sip_samples import INVITE

from callcenter.sip.dialog import Dialog, dialog_id
from callcenter.sip.message import make_response, parse_message

RR = b"Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com:5070;lr>\r\n"


def invite_with_rr():
    return parse_message(INVITE.replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\n" + RR))


def ok_for(invite, tag="uas-tag"):
    return make_response(invite, 200, to_tag=tag,
                         headers=[("Contact", "<sip:12345@192.168.1.10:5060>")])


def test_uas_and_uac_sides_mirror_each_other():
    invite = invite_with_rr()
    ok = parse_message(bytes(ok_for(invite)))
    uas = Dialog.from_uas(invite, ok, local_contact="<sip:12345@192.168.1.10:5060>")
    uac = Dialog.from_uac(invite, ok)
    assert uas.id == (invite.call_id, "uas-tag", "1928301774")
    assert uac.id == (invite.call_id, "1928301774", "uas-tag")
    assert uas.remote_target == "sip:1001@10.0.0.1:5062;transport=udp"
    assert uac.remote_target == "sip:12345@192.168.1.10:5060"
    assert uas.route_set == ["<sip:p2.example.com;lr>", "<sip:p1.example.com:5070;lr>"]
    assert uac.route_set == list(reversed(uas.route_set))
    assert uas.remote_seq == 314159 and uac.local_seq == 314159


def test_bye_from_uas_is_routed_and_matches_the_uac_dialog():
    invite = invite_with_rr()
    ok = parse_message(bytes(ok_for(invite)))
    uas = Dialog.from_uas(invite, ok)
    uac = Dialog.from_uac(invite, ok)
    before = uas.local_seq
    bye = parse_message(bytes(uas.create_request("BYE", via_host="192.168.1.10",
                                                 via_port=5060)))
    assert bye.method == "BYE" and bye.uri == uas.remote_target
    assert bye.cseq.seq == before + 1
    assert bye.headers.get_all("route") == uas.route_set
    assert bye.from_tag == "uas-tag" and bye.to_tag == "1928301774"
    assert dialog_id(bye) == uac.id
    assert uas.next_hop() == ("p2.example.com", 5060)
    assert uac.receive_request(bye)
    assert not uac.receive_request(bye)  # same CSeq again: out of order


def test_ack_reuses_invite_cseq_and_reinvite_increments():
    invite = parse_message(INVITE)
    ok = parse_message(bytes(ok_for(invite)))
    uac = Dialog.from_uac(invite, ok)
    ack = uac.create_ack(invite.cseq.seq, via_host="10.0.0.1", via_port=5062)
    assert ack.cseq.seq == invite.cseq.seq and ack.cseq.method == "ACK"
    assert ack.branch != invite.branch and ack.uri == "sip:12345@192.168.1.10:5060"
    reinvite = uac.create_request("INVITE", via_host="10.0.0.1", via_port=5062,
                                  body=b"v=0\r\n", content_type="application/sdp")
    assert reinvite.cseq.seq == invite.cseq.seq + 1
    assert reinvite.headers.get("contact") == invite.headers.get("contact")
    refer = uac.create_request("REFER", via_host="10.0.0.1", via_port=5062,
                               headers=[("Refer-To", "<sip:8001@192.168.1.10>")])
    assert refer.cseq.seq == invite.cseq.seq + 2
    assert parse_message(bytes(refer)).headers.get("refer-to") == "<sip:8001@192.168.1.10>"
    with pytest.raises(ValueError):
        uac.create_request("ACK", via_host="h", via_port=1)


def test_strict_route_puts_target_last():
    invite = parse_message(INVITE.replace(
        b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nRecord-Route: <sip:strict.example.com>\r\n"))
    uas = Dialog.from_uas(invite, parse_message(bytes(ok_for(invite))))
    info = uas.create_request("INFO", via_host="h", via_port=5060)
    assert info.uri == "sip:strict.example.com"
    assert info.headers.get_all("route")[-1] == f"<{uas.remote_target}>"


def test_target_refresh_on_reinvite():
    invite = parse_message(INVITE)
    uas = Dialog.from_uas(invite, parse_message(bytes(ok_for(invite))))
    reinvite = parse_message(INVITE.replace(b"314159 INVITE", b"314160 INVITE").replace(
        b"<sip:1001@10.0.0.1:5062;transport=udp>", b"<sip:1001@10.0.0.9:5090>"))
    assert uas.receive_request(reinvite)
    assert uas.remote_target == "sip:1001@10.0.0.9:5090"
    assert uas.next_hop() == ("10.0.0.9", 5090)

"""Transaction state machines driven by a hand-advanced clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sip_samples import BYE, INVITE, REGISTER

from callcenter.sip.message import Headers, SIPRequest, make_response, parse_message
from callcenter.sip.transactions import (
    Deliver,
    Send,
    Terminated,
    Timeout,
    TimerConfig,
    TransactionLayer,
    TransactionStateError,
)

PEER = ("127.0.0.1", 5062)
T1 = 0.5


def run_until(layer: TransactionLayer, end: float) -> list[tuple[float, object]]:
    """Fire timers in deadline order up to ``end``; return (time, action) pairs."""
    log: list[tuple[float, object]] = []
    while (deadline := layer.next_deadline()) is not None and deadline <= end:
        log.extend((deadline, action) for action in layer.on_timer(deadline))
    return log


def derive(invite: SIPRequest, method: str, *, branch: str | None = None,
           to_tag: str | None = None) -> SIPRequest:
    """A CANCEL or ACK built from ``invite`` the way a UAC would, round-tripped through bytes."""
    headers = Headers()
    via = invite.top_via
    if branch:
        via.params["branch"] = branch
    headers.add("Via", str(via))
    to = invite.to_addr.with_tag(to_tag) if to_tag else invite.to_addr
    for name, value in (("From", invite.headers.get("from")), ("To", str(to)),
                        ("Call-ID", invite.call_id), ("CSeq", f"{invite.cseq.seq} {method}")):
        headers.add(name, value)
    return request(bytes(SIPRequest(method, invite.uri, headers)))


def sends(log):
    return [t for t, a in log if isinstance(a, Send)]


def request(raw: bytes) -> SIPRequest:
    msg = parse_message(raw)
    assert isinstance(msg, SIPRequest)
    return msg


def test_invite_client_retransmits_on_timer_a_and_times_out_on_b():
    layer = TransactionLayer()
    key, actions = layer.send_request(request(INVITE), PEER, now=100.0)
    assert [type(a) for a in actions] == [Send]
    log = run_until(layer, 200.0)
    # Timer A doubles with no cap: T1, 2T1, 4T1, ... until timer B = 64*T1.
    expected, t, interval = [], 100.0, T1
    while t + interval < 100.0 + 64 * T1:
        t += interval
        expected.append(t)
        interval *= 2
    assert sends(log) == pytest.approx(expected)
    assert len(expected) == 6
    timeouts = [(t, a) for t, a in log if isinstance(a, Timeout)]
    assert len(timeouts) == 1
    assert timeouts[0][0] == pytest.approx(100.0 + 64 * T1) and timeouts[0][1].kind == "B"
    assert any(isinstance(a, Terminated) and a.transaction == key for _, a in log)
    assert len(layer) == 0 and layer.next_deadline() is None


def test_invite_client_provisional_stops_retransmission():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.send_request(invite, PEER, now=0.0)
    ringing = make_response(invite, 180, to_tag="x")
    out = layer.receive(ringing, PEER, now=0.2)
    assert [type(a) for a in out] == [Deliver]
    assert sends(run_until(layer, 10.0)) == []


def test_invite_client_acks_non_2xx_and_absorbs_retransmissions():
    layer = TransactionLayer()
    invite = request(INVITE)
    key, _ = layer.send_request(invite, PEER, now=0.0)
    busy = make_response(invite, 486, to_tag="uas")
    out = layer.receive(busy, PEER, now=0.1)
    assert [type(a) for a in out] == [Send, Deliver]
    ack = parse_message(out[0].data)
    assert ack.method == "ACK" and ack.uri == invite.uri
    assert ack.cseq.seq == invite.cseq.seq and ack.cseq.method == "ACK"
    assert ack.branch == invite.branch and ack.to_tag == "uas"
    again = layer.receive(busy, PEER, now=0.6)
    assert [type(a) for a in again] == [Send] and again[0].data == out[0].data
    log = run_until(layer, 100.0)
    assert [t for t, a in log if isinstance(a, Terminated)] == pytest.approx([0.1 + 32.0])


def test_invite_client_2xx_retransmissions_reach_the_tu():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.send_request(invite, PEER, now=0.0)
    ok = make_response(invite, 200, to_tag="uas")
    assert [type(a) for a in layer.receive(ok, PEER, now=0.1)] == [Deliver]
    assert [type(a) for a in layer.receive(ok, PEER, now=0.6)] == [Deliver]
    assert sends(run_until(layer, 100.0)) == []


def test_non_invite_client_timer_e_caps_at_t2_and_f_times_out():
    layer = TransactionLayer()
    layer.send_request(request(REGISTER), PEER, now=0.0)
    log = run_until(layer, 100.0)
    times = sends(log)
    gaps = [round(b - a, 6) for a, b in zip([0.0, *times], times, strict=False)]
    assert gaps[:4] == [0.5, 1.0, 2.0, 4.0]
    assert set(gaps[4:]) == {4.0}
    assert [a.kind for _, a in log if isinstance(a, Timeout)] == ["F"]
    assert [t for t, a in log if isinstance(a, Timeout)] == pytest.approx([32.0])


def test_non_invite_client_proceeding_retransmits_at_t2():
    layer = TransactionLayer()
    reg = request(REGISTER)
    layer.send_request(reg, PEER, now=0.0)
    layer.receive(make_response(reg, 100), PEER, now=0.1)
    times = sends(run_until(layer, 9.0))
    assert times == pytest.approx([0.5, 4.5, 8.5])
    final = layer.receive(make_response(reg, 200, to_tag="r"), PEER, now=9.0)
    assert [type(a) for a in final] == [Deliver]
    assert layer.receive(make_response(reg, 200, to_tag="r"), PEER, now=9.1) == []
    log = run_until(layer, 100.0)
    assert sends(log) == []
    assert [t for t, a in log if isinstance(a, Terminated)] == pytest.approx([9.0 + 5.0])


def test_invite_server_trying_and_retransmitted_request_absorbed():
    layer = TransactionLayer()
    invite = request(INVITE)
    out = layer.receive(invite, PEER, now=0.0)
    assert [type(a) for a in out] == [Send, Deliver]
    assert parse_message(out[0].data).status == 100
    again = layer.receive(request(INVITE), PEER, now=0.5)
    assert [type(a) for a in again] == [Send] and parse_message(again[0].data).status == 100
    layer.respond(make_response(invite, 180, to_tag="t"), now=0.6)
    third = layer.receive(request(INVITE), PEER, now=1.0)
    assert parse_message(third[0].data).status == 180


def test_invite_server_non_2xx_retransmits_on_g_until_h():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.receive(invite, PEER, now=0.0)
    layer.respond(make_response(invite, 486, to_tag="t"), now=1.0)
    log = run_until(layer, 100.0)
    times = sends(log)
    gaps = [round(b - a, 6) for a, b in zip([1.0, *times], times, strict=False)]
    assert gaps[:4] == [0.5, 1.0, 2.0, 4.0] and set(gaps[4:]) == {4.0}
    assert times[-1] < 1.0 + 64 * T1
    assert [(t, a.kind) for t, a in log if isinstance(a, Timeout)] == [(1.0 + 32.0, "H")]


def test_invite_server_ack_stops_g_and_timer_i_terminates():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.receive(invite, PEER, now=0.0)
    final = make_response(invite, 603, to_tag="t")
    layer.respond(final, now=1.0)
    run_until(layer, 1.6)
    ack = derive(invite, "ACK", to_tag="t")
    assert layer.receive(ack, PEER, now=1.7) == []
    assert layer.receive(ack, PEER, now=1.8) == []
    log = run_until(layer, 100.0)
    assert sends(log) == []
    assert [t for t, a in log if isinstance(a, Terminated)] == pytest.approx([1.7 + 5.0])


def test_invite_server_2xx_retransmitted_until_ack_with_new_branch():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.receive(invite, PEER, now=0.0)
    ok = make_response(invite, 200, to_tag="uas")
    layer.respond(ok, now=0.0)
    assert sends(run_until(layer, 1.6)) == pytest.approx([0.5, 1.5])
    ack = derive(invite, "ACK", branch="z9hG4bKnewack", to_tag="uas")
    out = layer.receive(ack, PEER, now=1.7)
    assert [type(a) for a in out] == [Deliver] and out[0].message.method == "ACK"
    assert layer.receive(ack, PEER, now=1.8) == []
    log = run_until(layer, 100.0)
    assert sends(log) == [] and not [a for _, a in log if isinstance(a, Timeout)]


def test_invite_server_2xx_without_ack_reports_timeout_l():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.receive(invite, PEER, now=0.0)
    layer.respond(make_response(invite, 200, to_tag="uas"), now=0.0)
    log = run_until(layer, 100.0)
    times = sends(log)
    assert times[:4] == pytest.approx([0.5, 1.5, 3.5, 7.5]) and times[-1] < 32.0
    assert [(t, a.kind) for t, a in log if isinstance(a, Timeout)] == [(32.0, "L")]


def test_non_invite_server_timer_j_and_retransmission_answered():
    layer = TransactionLayer()
    bye = request(BYE)
    out = layer.receive(bye, PEER, now=0.0)
    assert [type(a) for a in out] == [Deliver]
    assert layer.receive(request(BYE), PEER, now=0.1) == []  # Trying: absorbed
    sent = layer.respond(make_response(bye, 200), now=0.2)
    again = layer.receive(request(BYE), PEER, now=0.3)
    assert again == [Send(sent[0].data, PEER)]
    with pytest.raises(TransactionStateError):
        layer.respond(make_response(bye, 500), now=0.4)
    log = run_until(layer, 100.0)
    assert [t for t, a in log if isinstance(a, Terminated)] == pytest.approx([0.2 + 32.0])
    assert len(layer) == 0


def test_reliable_transport_has_no_retransmissions():
    layer = TransactionLayer()
    layer.send_request(request(REGISTER), PEER, now=0.0, reliable=True)
    log = run_until(layer, 100.0)
    assert sends(log) == []
    assert [(t, a.kind) for t, a in log if isinstance(a, Timeout)] == [(32.0, "F")]


def test_custom_t1_scales_timers():
    layer = TransactionLayer(TimerConfig(t1=0.1, t2=0.4))
    layer.send_request(request(BYE), PEER, now=0.0)
    log = run_until(layer, 100.0)
    assert [t for t, a in log if isinstance(a, Timeout)] == pytest.approx([6.4])


def test_cancel_matches_invite_and_stray_response_delivered():
    layer = TransactionLayer()
    invite = request(INVITE)
    layer.receive(invite, PEER, now=0.0)
    cancel = derive(invite, "CANCEL")
    out = layer.receive(cancel, PEER, now=0.1)
    assert [type(a) for a in out] == [Deliver]
    assert layer.matching_invite(cancel) == out[0].transaction[:-1] + ("INVITE",)
    stray = make_response(request(BYE), 200)
    assert layer.receive(stray, PEER, now=0.2) == [Deliver(stray, PEER, None)]


_server_events = st.lists(st.one_of(
    st.just(("retransmit",)),
    st.tuples(st.just("respond"), st.sampled_from([180, 183, 200, 486, 603])),
    st.just(("ack",)),
    st.just(("ack-2xx",)),
    st.tuples(st.just("wait"), st.floats(0.0, 10.0)),
), max_size=25)


@settings(max_examples=150, deadline=None)
@given(_server_events)
def test_invite_server_random_timelines_always_terminate(events):
    layer = TransactionLayer()
    invite = request(INVITE)
    now = 0.0
    delivered = [a for a in layer.receive(invite, PEER, now) if isinstance(a, Deliver)]
    key = delivered[0].transaction
    for event in events:
        if event[0] == "retransmit":
            if layer.get(key) is None:
                continue  # a copy after the transaction ended would be a new request
            out = layer.receive(request(INVITE), PEER, now)
        elif event[0] == "respond":
            try:
                out = layer.respond(make_response(invite, event[1], to_tag="t"), now)
            except TransactionStateError:
                out = []
        elif event[0] == "ack":
            out = layer.receive(derive(invite, "ACK", to_tag="t"), PEER, now)
        elif event[0] == "ack-2xx":
            out = layer.receive(derive(invite, "ACK", branch="z9hG4bKack2", to_tag="t"),
                                PEER, now)
        else:
            end = now + event[1]
            out = [a for _, a in run_until(layer, end)]
            now = end
        delivered += [a for a in out if isinstance(a, Deliver) and a.message.method == "INVITE"]
        for action in out:
            if isinstance(action, Send):
                assert action.addr == PEER
                assert parse_message(action.data).cseq.seq == invite.cseq.seq
    assert len(delivered) == 1  # retransmissions never reach the TU twice
    run_until(layer, now + 1000.0)
    if layer.get(key) is not None:
        # Still Proceeding (no final response was sent): the TU owns that timeout.
        assert layer.get(key).state == "Proceeding"
    else:
        assert layer.next_deadline() is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("response"), st.sampled_from([100, 180, 200, 404, 486])),
    st.tuples(st.just("wait"), st.floats(0.0, 5.0)),
), max_size=20), st.sampled_from([INVITE, BYE, REGISTER]))
def test_client_random_timelines_always_terminate(events, raw):
    layer = TransactionLayer()
    req = request(raw)
    now = 0.0
    layer.send_request(req, PEER, now)
    finals = 0
    for event in events:
        if event[0] == "response":
            out = layer.receive(make_response(req, event[1], to_tag="t"), PEER, now)
            finals += sum(1 for a in out if isinstance(a, Deliver) and a.message.status >= 300
                          and a.transaction is not None)
        else:
            now += event[1]
            run_until(layer, now)
    # Within its transaction a non-2xx final reaches the TU at most once (later copies
    # after the transaction ended are strays with transaction=None).
    assert finals <= 1
    run_until(layer, now + 1000.0)
    if len(layer):
        # An INVITE left in Proceeding waits for the TU (no timer B after a 1xx).
        (txn,) = list(layer)
        assert txn.state == "Proceeding" and req.method == "INVITE"
    else:
        assert layer.next_deadline() is None

"""Arbitrary bytes never crash the codecs: they parse, or fail with the protocol error."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.asterisk import ami_protocol
from callcenter.asterisk.agi_protocol import (
    NEED_DATA,
    AGIConnection,
    AGIProtocolError,
    ConnectionClosed,
)
from callcenter.asterisk.ami_protocol import AMIConnection, AMIProtocolError

AGI_PIECES = st.sampled_from(
    [b"agi_network: yes\n", b"\n", b"200 result=1 (x)\n", b"HANGUP\n", b"520-usage\n",
     b"520 End\n", b"511 dead\n", b"200 result= (timeout)\n", b"\r", b"\x00", b"(", b"result="]
)
AMI_PIECES = st.sampled_from(
    [b"Asterisk Call Manager/12.0.0\r\n", b"Event: X\r\n", b"\r\n", b"Response: Follows\r\n",
     b"Output: a\r\n", b"--END COMMAND--\r\n", b"no colon\r\n", b"\n", b":\r\n", b"\xff"]
)


def chunks(pieces):
    return st.lists(st.one_of(pieces, st.binary(min_size=1, max_size=20)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(chunks(AGI_PIECES), st.booleans())
def test_agi_connection_only_raises_protocol_errors(parts, close):
    conn = AGIConnection(max_line_bytes=64, max_env_bytes=256)
    try:
        for part in parts:
            conn.receive_data(part)
            while (event := conn.next_event()) is not NEED_DATA:
                if isinstance(event, ConnectionClosed):
                    return
                if conn.state.value == "idle":
                    conn.send_command("NOOP")
        if close:
            conn.receive_data(b"")
            while not isinstance(conn.next_event(), ConnectionClosed):
                pass
    except AGIProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(chunks(AMI_PIECES), st.booleans())
def test_ami_connection_only_raises_protocol_errors(parts, close):
    conn = AMIConnection(max_line_bytes=64, max_message_bytes=512, max_headers=8)
    try:
        for part in parts + ([b""] if close else []):
            conn.receive_data(part)
            while True:
                event = conn.next_event()
                if event is ami_protocol.NEED_DATA:
                    break
                if isinstance(event, ami_protocol.ConnectionClosed):
                    return
    except AMIProtocolError:
        pass


def test_both_codecs_share_one_need_data_sentinel():
    assert ami_protocol.NEED_DATA is NEED_DATA
    assert AGIConnection().next_event() is AMIConnection().next_event() is NEED_DATA

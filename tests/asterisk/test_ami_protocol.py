"""AMI codec against the recorded AMI transcripts."""

from __future__ import annotations

import pytest

from callcenter.asterisk.ami_protocol import (
    NEED_DATA,
    AMIConnection,
    AMIMessage,
    AMIProtocolError,
    BannerReceived,
    ConnectionClosed,
    MessageReceived,
    format_action,
)
from callcenter.asterisk.transcripts import RECEIVED, SENT, ami_blocks, wire_bytes

from .fixtures import fixture_path, transcript

AMI_FILES = [
    "ami_actions.txt",
    "ami_login_and_events.txt",
    "ami_login_and_events_filtered.txt",
    "ami_originate.txt",
    "ami_queue_abandon.txt",
]


def drain(conn: AMIConnection) -> list[object]:
    events = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return events


def parse_side(name: str, direction: str, chunk: int) -> tuple[list[object], list]:
    blocks = [b for b in ami_blocks(transcript(name).lines) if b.direction == direction]
    wire = b"".join(
        wire_bytes(b.lines if b.is_banner else [*b.lines, ""], b"\r\n") for b in blocks
    )
    conn = AMIConnection(expect_banner=direction == RECEIVED)
    events: list[object] = []
    for start in range(0, len(wire), chunk):
        conn.receive_data(wire[start : start + chunk])
        events += drain(conn)
    conn.receive_data(b"")
    events += drain(conn)
    return events, blocks


@pytest.mark.parametrize("name", AMI_FILES)
@pytest.mark.parametrize("chunk", [1, 1000, 1 << 20])
def test_received_side_parses_to_the_recorded_messages(name, chunk):
    events, blocks = parse_side(name, RECEIVED, chunk)
    assert isinstance(events[0], BannerReceived) and isinstance(events[-1], ConnectionClosed)
    messages = [e.message for e in events[1:-1]]
    assert all(isinstance(e, MessageReceived) for e in events[1:-1])
    assert [m.headers for m in messages] == [tuple(b.headers()) for b in blocks[1:]]
    assert all(m.is_event != m.is_response for m in messages)
    originate_events = [m for m in messages if m.event == "OriginateResponse"]
    assert all(m.is_event and m.response is not None for m in originate_events)


def test_banner_carries_the_ami_protocol_version():
    versions = dict(
        line.split(": ", 1)
        for line in fixture_path("asterisk_version.txt").read_text().splitlines()
        if not line.startswith("#")
    )
    events, _ = parse_side("ami_actions.txt", RECEIVED, 4096)
    banner = events[0]
    assert f"{banner.product}/{banner.version}" == versions["ami_banner"]
    assert banner.version == "12.0.0"


@pytest.mark.parametrize("name", AMI_FILES)
def test_sent_actions_are_serialised_byte_exactly(name):
    events, blocks = parse_side(name, SENT, 1 << 20)
    assert len(events) == len(blocks) + 1
    for event, block in zip(events, blocks, strict=False):
        message = event.message
        rest = [(k, v) for k, v in message.headers if k not in ("Action", "ActionID")]
        wire = format_action(message.action, rest, action_id=message.action_id)
        assert wire == wire_bytes([*block.lines, ""], b"\r\n")


def test_command_output_keeps_repeated_headers_and_spaces():
    events, blocks = parse_side("ami_actions.txt", RECEIVED, 4096)
    messages = [e.message for e in events if isinstance(e, MessageReceived)]
    (queue_show,) = [m for m in messages if len(m.get_all("Output")) > 1]
    recorded = [
        line[len("Output: ") :]
        for block in blocks
        for line in block.lines
        if line.startswith("Output: ") and block.get("ActionID") == queue_show.action_id
    ]
    assert queue_show.output == recorded and len(recorded) == 6
    assert queue_show.output[1].endswith("Members: ") and queue_show.output[-1] == ""


def test_event_lists_are_marked_start_and_complete():
    events, _ = parse_side("ami_actions.txt", RECEIVED, 4096)
    messages = [e.message for e in events if isinstance(e, MessageReceived)]
    status = [m for m in messages if m.action_id == "act-3"]
    assert status[0].response == "Success" and status[0].event_list == "start"
    assert [m.event for m in status[1:]] == ["QueueParams", "QueueMember", "QueueStatusComplete"]
    assert status[-1].event_list == "complete" and status[-1]["ListItems"] == "2"


def test_legacy_follows_body_is_output():
    conn = AMIConnection(expect_banner=False)
    conn.receive_data(
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n"
        b"line one: with colon\r\nline two\r\n--END COMMAND--\r\n\r\n"
    )
    (event,) = drain(conn)
    assert event.message.output == ["line one: with colon", "line two"]


def test_message_lookup_is_case_insensitive_and_ordered():
    message = AMIMessage.of(("Output", "a"), ("output", "b"), Event="X")
    assert message.get("OUTPUT") == "a" and message.get_all("Output") == ["a", "b"]
    assert "event" in message and message["Event"] == "X"
    with pytest.raises(KeyError):
        message["Missing"]


@pytest.mark.parametrize(
    "wire, reason",
    [
        (b"HTTP/1.1 200 OK\r\n", "banner"),
        (b"Asterisk Call Manager/12.0.0\r\nno colon here\r\n\r\n", "header line"),
        (b"Asterisk Call Manager/12.0.0\r\nEvent: X\r\nA: " + b"x" * 70_000, "longer than"),
        (b"Asterisk Call Manager/12.0.0\r\nEvent: X\r\n", "middle of a message"),
        (b"Asterisk Call Manager/12.0.0\r\n" + b"H: v\r\n" * 10_001 + b"\r\n", "headers"),
    ],
)
def test_bad_input_is_a_protocol_error(wire, reason):
    conn = AMIConnection()
    conn.receive_data(wire)
    conn.receive_data(b"")
    with pytest.raises(AMIProtocolError, match=reason):
        drain(conn)
    with pytest.raises(AMIProtocolError):
        conn.next_event()


def test_message_size_is_guarded():
    conn = AMIConnection(expect_banner=False, max_message_bytes=1000)
    conn.receive_data(b"Event: Big\r\n" + b"Header: 0123456789\r\n" * 100)
    with pytest.raises(AMIProtocolError, match="message larger"):
        drain(conn)


def test_actions_refuse_header_injection():
    with pytest.raises(ValueError):
        format_action("Originate", [("Channel", "PJSIP/x\r\nAction: Command")])
    with pytest.raises(ValueError):
        format_action("Ping", [("Bad Name", "x")])
    assert format_action("Ping", action_id="p1") == b"Action: Ping\r\nActionID: p1\r\n\r\n"


def test_bare_lf_framing_and_stray_blank_lines_are_tolerated():
    conn = AMIConnection()
    conn.receive_data(b"Asterisk Call Manager/12.0.0\n\r\n\r\nEvent: A\nX: 1\n\nEvent: B\r\n\r\n")
    conn.receive_data(b"")
    events = drain(conn)
    assert [e.message.headers for e in events[1:-1]] == [
        (("Event", "A"), ("X", "1")),
        (("Event", "B"),),
    ]
    assert isinstance(events[-1], ConnectionClosed)

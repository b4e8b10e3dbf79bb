"""Seat reachability and call tracking from AMI events."""

from __future__ import annotations

import pytest

from callcenter.asterisk.ami_protocol import AMIMessage
from callcenter.asterisk.ami_tracking import CallTracker, SeatTracker, endpoint_of_device
from callcenter.asterisk.transcripts import RECEIVED, ami_blocks

from .fixtures import transcript


def recorded_messages(name: str) -> list[AMIMessage]:
    return [
        AMIMessage(tuple(block.headers()))
        for block in ami_blocks(transcript(name).lines)
        if block.direction == RECEIVED and not block.is_banner
    ]


def device_state(device: str, state: str) -> AMIMessage:
    return AMIMessage.of(("Event", "DeviceStateChange"), ("Device", device), ("State", state))


def contact_status(aor: str, uri: str, status: str) -> AMIMessage:
    return AMIMessage.of(
        ("Event", "ContactStatus"),
        ("URI", uri),
        ("ContactStatus", status),
        ("AOR", aor),
        ("EndpointName", aor),
    )


RECORDED = ("ami_originate.txt", "ami_login_and_events.txt", "ami_actions.txt")


def test_recorded_calls_leave_agent_seats_reachable():
    lost: list[str] = []
    seats = SeatTracker(on_seat_unreachable=lost.append, seats=frozenset({"agent1001", "agent1002"}))
    for name in RECORDED:
        for message in recorded_messages(name):
            seats.handle(message)
    assert lost == []
    assert seats.reachable["agent1001"] and all(seats.reachable.values())


def test_unfiltered_tracker_reports_the_unregistered_caller_endpoint():
    lost: list[str] = []
    seats = SeatTracker(on_seat_unreachable=lost.append)
    for message in recorded_messages("ami_login_and_events.txt"):
        seats.handle(message)
    assert lost == ["caller"]


def test_unavailable_device_is_reported_once_per_transition():
    lost: list[str] = []
    back: list[str] = []
    seats = SeatTracker(on_seat_unreachable=lost.append, on_seat_reachable=back.append)
    seats.handle(device_state("PJSIP/agent1001", "NOT_INUSE"))
    seats.handle(device_state("PJSIP/agent1001", "UNAVAILABLE"))
    seats.handle(device_state("PJSIP/agent1001", "UNAVAILABLE"))
    seats.handle(device_state("Queue:support_avail", "UNAVAILABLE"))
    assert lost == ["agent1001"] and back == []
    seats.handle(device_state("PJSIP/agent1001", "NOT_INUSE"))
    seats.handle(device_state("PJSIP/agent1001", "INVALID"))
    assert lost == ["agent1001", "agent1001"] and back == ["agent1001"]


def test_contacts_make_a_seat_unreachable_only_when_all_are_gone():
    lost: list[str] = []
    seats = SeatTracker(on_seat_unreachable=lost.append)
    seats.handle(contact_status("agent1002", "sip:a@127.0.0.1:5072", "Reachable"))
    seats.handle(contact_status("agent1002", "sip:b@127.0.0.1:5073", "Reachable"))
    seats.handle(contact_status("agent1002", "sip:a@127.0.0.1:5072", "Unreachable"))
    assert lost == []
    seats.handle(contact_status("agent1002", "sip:b@127.0.0.1:5073", "Removed"))
    assert lost == ["agent1002"]


@pytest.mark.parametrize(
    "device, endpoint",
    [("PJSIP/agent1001", "agent1001"), ("Queue:support_avail", None), ("SIP/x", None)],
)
def test_endpoint_of_device(device, endpoint):
    assert endpoint_of_device(device) == endpoint


def test_call_tracker_sees_the_agent_bridge_and_both_hangups():
    bridged: list[frozenset[str]] = []
    calls = CallTracker(on_bridged=lambda bridge, members: bridged.append(members))
    messages = recorded_messages("ami_login_and_events.txt")
    for message in messages:
        calls.handle(message)
    entered = {m["Channel"] for m in messages if m.event == "BridgeEnter"}
    assert bridged == [frozenset(entered)] and len(entered) == 2
    assert {h.channel for h in calls.hangups} == entered
    assert calls.bridges == {}
    linked = {h.linkedid for h in calls.hangups}
    assert len(linked) == 1

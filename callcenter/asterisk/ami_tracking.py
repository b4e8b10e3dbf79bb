"""Follow seats and calls through AMI events (pure; feed it messages, it calls you back).

    seats = SeatTracker(on_seat_unreachable=engine.seat_lost)
    client.subscribe(seats.handle, *SeatTracker.EVENTS)

A seat (a PJSIP endpoint such as ``agent1001``) becomes unreachable when its device state turns
``UNAVAILABLE``/``INVALID`` or when all its registered contacts are ``Unreachable``/``Removed``.
The callback fires once per transition, not once per event. Pass ``seats`` to watch only agent
endpoints: caller-side endpoints that never register (the recorded SIPp caller) go
``UNAVAILABLE`` when their call ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .ami_protocol import AMIMessage

UNREACHABLE_DEVICE_STATES = frozenset({"UNAVAILABLE", "INVALID"})
REACHABLE_DEVICE_STATES = frozenset(
    {"NOT_INUSE", "INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD"}
)
UNREACHABLE_CONTACT_STATES = frozenset({"Unreachable", "Removed"})
REACHABLE_CONTACT_STATES = frozenset({"Reachable", "Created", "Updated", "NonQualified"})


def endpoint_of_device(device: str, technology: str = "PJSIP") -> str | None:
    """``PJSIP/agent1001`` -> ``agent1001``; other devices (``Queue:...``) -> None."""
    prefix = f"{technology}/"
    name = device[len(prefix) :] if device.startswith(prefix) else ""
    return name if name and "/" not in name else None


@dataclass
class SeatTracker:
    """Reachability of agent seats from ``DeviceStateChange`` and ``ContactStatus`` events."""

    on_seat_unreachable: Callable[[str], None]
    on_seat_reachable: Callable[[str], None] | None = None
    technology: str = "PJSIP"
    seats: frozenset[str] | None = None  # None: every endpoint of ``technology``
    reachable: dict[str, bool] = field(default_factory=dict)
    _contacts: dict[str, dict[str, bool]] = field(default_factory=dict)

    EVENTS = ("DeviceStateChange", "ContactStatus")

    def handle(self, message: AMIMessage) -> None:
        if message.event == "DeviceStateChange":
            endpoint = endpoint_of_device(message.get("Device", ""), self.technology)
            state = message.get("State", "")
            if endpoint is None:
                return
            if state in UNREACHABLE_DEVICE_STATES:
                self._set(endpoint, False)
            elif state in REACHABLE_DEVICE_STATES:
                self._set(endpoint, True)
        elif message.event == "ContactStatus":
            endpoint = message.get("EndpointName") or message.get("AOR")
            status = message.get("ContactStatus", "")
            if not endpoint:
                return
            contacts = self._contacts.setdefault(endpoint, {})
            uri = message.get("URI", "")
            if status in UNREACHABLE_CONTACT_STATES:
                contacts[uri] = False
            elif status in REACHABLE_CONTACT_STATES:
                contacts[uri] = True
            else:
                return
            if status == "Removed":
                contacts.pop(uri, None)
            self._set(endpoint, any(contacts.values()))

    def _set(self, endpoint: str, reachable: bool) -> None:
        if self.seats is not None and endpoint not in self.seats:
            return
        before = self.reachable.get(endpoint)
        self.reachable[endpoint] = reachable
        if before is reachable:
            return
        if not reachable:
            self.on_seat_unreachable(endpoint)
        elif before is False and self.on_seat_reachable is not None:
            self.on_seat_reachable(endpoint)


@dataclass(frozen=True)
class ChannelHangup:
    channel: str
    uniqueid: str
    linkedid: str
    cause: int | None
    cause_text: str


@dataclass
class CallTracker:
    """Channels in bridges and channel hangups, from ``Bridge*`` and ``Hangup`` events."""

    on_hangup: Callable[[ChannelHangup], None] | None = None
    on_bridged: Callable[[str, frozenset[str]], None] | None = None
    bridges: dict[str, set[str]] = field(default_factory=dict)
    hangups: list[ChannelHangup] = field(default_factory=list)

    EVENTS = ("BridgeEnter", "BridgeLeave", "BridgeDestroy", "Hangup")

    def handle(self, message: AMIMessage) -> None:
        event = message.event
        bridge = message.get("BridgeUniqueid", "")
        channel = message.get("Channel", "")
        if event == "BridgeEnter":
            members = self.bridges.setdefault(bridge, set())
            members.add(channel)
            if len(members) == 2 and self.on_bridged is not None:
                self.on_bridged(bridge, frozenset(members))
        elif event == "BridgeLeave":
            self.bridges.get(bridge, set()).discard(channel)
        elif event == "BridgeDestroy":
            self.bridges.pop(bridge, None)
        elif event == "Hangup":
            cause = message.get("Cause", "")
            hangup = ChannelHangup(
                channel,
                message.get("Uniqueid", ""),
                message.get("Linkedid", ""),
                int(cause) if cause.isdigit() else None,
                message.get("Cause-txt", ""),
            )
            self.hangups.append(hangup)
            for members in self.bridges.values():
                members.discard(channel)
            if self.on_hangup is not None:
                self.on_hangup(hangup)

"""What the engine does over AMI, and the ``manager.conf`` classes that allow it and no more.

Asterisk sends an event only to a user whose ``read=`` holds the event's class, and runs an
action only for a user whose ``write=`` holds one of the action's classes. The rendered AMI
user gets exactly :data:`READ_CLASSES` and :data:`WRITE_CLASSES`, derived from these tables.
"""

from __future__ import annotations

from collections.abc import Mapping

EVENTS: Mapping[str, str] = {
    **{event: "system" for event in ("FullyBooted", "ContactStatus")},
    **{event: "call" for event in ("DeviceStateChange", "BridgeEnter", "BridgeLeave", "BridgeDestroy",
                                   "Hangup", "OriginateResponse", "Newchannel")},
    # The hotline's calls as Asterisk holds them: callers in the fallback queue, where a
    # channel is in the dialplan, its FastAGI sessions.
    **{event: "agent" for event in ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
                                    "AgentConnect", "AgentComplete")},
    **{event: "dialplan" for event in ("Newexten", "VarSet")},
    **{event: "agi" for event in ("AGIExecStart", "AGIExecEnd")},
}
"""Event the engine reads -> the class Asterisk sends it under (as recorded: ``Privilege:``)."""

ACTIONS: Mapping[str, frozenset[str]] = {
    "Login": frozenset(), "Logoff": frozenset(), "Ping": frozenset(),
    "DeviceStateList": frozenset({"call", "reporting"}),  # seats' states after (re)connecting
    # the hotline's calls Asterisk holds at (re)connect, and what the engine left on them
    "CoreShowChannels": frozenset({"system", "reporting"}),
    "Getvar": frozenset({"call", "reporting"}),
    "Originate": frozenset({"originate"}),  # callbacks, outbound calls, a three-way call's department
    # the desk's transfer and three-way call (as Asterisk documents their privilege: call)
    "Redirect": frozenset({"call"}),
    "ConfbridgeKick": frozenset({"call"}),
    # Asterisk refuses an Originate whose Application runs AGI (or System, Exec) without
    # 'system': a callback answered by the caller is handed to the engine's FastAGI.
    "Originate of the AGI application": frozenset({"system"}),
}
"""Action the engine sends -> the write classes, any one of which lets it run."""

READ_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(EVENTS.values()))
WRITE_CLASSES: tuple[str, ...] = ("call", "originate", "system")
"""One class for each need of :data:`ACTIONS`; never ``command`` (any CLI command), ``config``
(read and write Asterisk's config files) or ``all``."""
FORBIDDEN_WRITE = frozenset({"command", "config", "all"})

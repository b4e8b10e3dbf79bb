"""The agent seat state machine on two axes.

* ``Presence``: the agent's own choice (logged out, available, not ready with a reason).
* ``Activity``: the system's view (idle, ringing, on call, wrap-up).

Transitions come from an explicit table; an illegal one raises ``IllegalTransition`` and
changes nothing. The seat is pure data: deadlines (ring timeout, wrap-up end) are kept by
the ACD, never by timers or threads here.
"""

from __future__ import annotations

import contextlib
from enum import StrEnum
from typing import Final


class Presence(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    NOT_READY = "not_ready"


class Activity(StrEnum):
    IDLE = "idle"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class IllegalTransition(Exception):
    """An event that is not allowed in the seat's current state; nothing was changed."""


# Presence transitions: (event, current presence) -> new presence.
_PRESENCE: dict[tuple[str, Presence], Presence] = {
    ("login", Presence.LOGGED_OUT): Presence.NOT_READY,
    ("ready", Presence.NOT_READY): Presence.AVAILABLE,
    ("ready", Presence.AVAILABLE): Presence.AVAILABLE,
    ("not_ready", Presence.AVAILABLE): Presence.NOT_READY,
    ("not_ready", Presence.NOT_READY): Presence.NOT_READY,
    ("logout", Presence.AVAILABLE): Presence.LOGGED_OUT,
    ("logout", Presence.NOT_READY): Presence.LOGGED_OUT,
}

# Activity transitions: (event, current activity) -> new activity.
_ACTIVITY: dict[tuple[str, Activity], Activity] = {
    ("offer", Activity.IDLE): Activity.RINGING,
    ("answer", Activity.RINGING): Activity.ON_CALL,
    ("ring_end", Activity.RINGING): Activity.IDLE,
    ("hang_up", Activity.ON_CALL): Activity.WRAP_UP,
    ("wrap_up_end", Activity.WRAP_UP): Activity.IDLE,
    # Logging out ends wrap-up and cancels a ringing offer; on a call it is refused.
    ("logout", Activity.IDLE): Activity.IDLE,
    ("logout", Activity.RINGING): Activity.IDLE,
    ("logout", Activity.WRAP_UP): Activity.IDLE,
}

_PRESENCE_EVENTS = frozenset(e for e, _ in _PRESENCE)
_ACTIVITY_EVENTS = frozenset(e for e, _ in _ACTIVITY)


_PRESENCES = tuple(Presence)
_ACTIVITIES = tuple(Activity)


def _state_code(presence: Presence, activity: Activity) -> int:
    """The (presence, activity) pair as one small int: the index into the table's rows."""
    return _PRESENCES.index(presence) * len(_ACTIVITIES) + _ACTIVITIES.index(activity)


_ROUTABLE: Final = _state_code(Presence.AVAILABLE, Activity.IDLE)
_NOT_READY: Final = Presence.NOT_READY


class Seat:
    """State of one agent seat. ``apply`` is the only way to change it."""

    __slots__ = ("agent_id", "presence", "activity", "reason", "since", "state")

    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self.presence = Presence.LOGGED_OUT
        self.activity = Activity.IDLE
        self.state = _state_code(self.presence, self.activity)  # kept in step by ``apply``
        self.reason = ""
        self.since = 0.0

    @property
    def routable(self) -> bool:
        """True when the ACD may offer this seat a call."""
        return self.state == _ROUTABLE

    def check(self, event: str) -> tuple[Presence, Activity]:
        """The state ``event`` would lead to; raises ``IllegalTransition`` if not allowed."""
        presence, activity = self.presence, self.activity
        if event in _PRESENCE_EVENTS:
            new_presence = _PRESENCE.get((event, presence))
            if new_presence is None:
                raise IllegalTransition(
                    f"agent {self.agent_id}: {event!r} not allowed while {presence.value}"
                )
            presence = new_presence
        elif event == "offer" and presence is not Presence.AVAILABLE:
            raise IllegalTransition(
                f"agent {self.agent_id}: cannot offer a call while {presence.value}"
            )
        if event in _ACTIVITY_EVENTS:
            new_activity = _ACTIVITY.get((event, activity))
            if new_activity is None:
                raise IllegalTransition(
                    f"agent {self.agent_id}: {event!r} not allowed while {activity.value}"
                )
            activity = new_activity
        elif event not in _PRESENCE_EVENTS:
            raise IllegalTransition(f"agent {self.agent_id}: unknown seat event {event!r}")
        return presence, activity

    def apply(self, event: str, now: float, reason: str | None = None) -> bool:
        """Apply ``event`` at ``now``. Returns True if the visible state changed."""
        row = _TABLE.get(event)
        target = row[self.state] if row is not None else None
        if target is None:
            self.check(event)  # raises with the precise reason
            raise IllegalTransition(f"agent {self.agent_id}: {event!r} not allowed")  # pragma: no cover
        state, presence, activity = target
        if presence is _NOT_READY:
            new_reason = self.reason if reason is None else reason
        else:
            new_reason = ""
        if state == self.state and new_reason == self.reason:
            return False
        self.state, self.presence, self.activity, self.reason = state, presence, activity, new_reason
        self.since = now
        return True

    def __repr__(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"Seat({self.agent_id}: {self.presence.value}{reason}/{self.activity.value})"


_Target = tuple[int, Presence, Activity]


def _build_table() -> dict[str, list[_Target | None]]:
    """For each event, a row indexed by the seat's state code: the outcome of every legal
    (presence, activity), or None; precomputed from ``check``."""
    table: dict[str, list[_Target | None]] = {}
    seat = Seat("table")
    for event in sorted(_PRESENCE_EVENTS | _ACTIVITY_EVENTS):
        row: list[_Target | None] = []
        for presence in _PRESENCES:
            for activity in _ACTIVITIES:
                seat.presence, seat.activity = presence, activity
                target = None
                with contextlib.suppress(IllegalTransition):
                    new_presence, new_activity = seat.check(event)
                    target = (_state_code(new_presence, new_activity), new_presence, new_activity)
                row.append(target)
        table[event] = row
    return table


_TABLE: Final = _build_table()

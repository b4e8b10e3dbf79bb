"""Events into the IVR interpreter: what happened on the call (past tense). No behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CallStarted:
    """The call reached the flow; ``line`` is the number dialled, ``caller`` the caller's."""

    line: str | None = None
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class DigitPressed:
    """A DTMF key: ``0``-``9``, ``*`` or ``#``."""

    digit: str


@dataclass(frozen=True, slots=True)
class PromptFinished:
    """The prompt sequence started by ``PlayPrompts(play_id)`` played to its end."""

    play_id: int


@dataclass(frozen=True, slots=True)
class QueryAnswered:
    """A plug-in answered ``RunQuery(query_id)`` with an outcome such as ``found``."""

    query_id: int
    outcome: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TimerFired:
    """The deadline reported by ``next_deadline()`` has passed (same as ``on_timer``)."""


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    """The caller hung up; nothing more can be played."""


Event = CallStarted | DigitPressed | PromptFinished | QueryAnswered | TimerFired | CallerHungUp
EVENT_TYPES = (CallStarted, DigitPressed, PromptFinished, QueryAnswered, TimerFired, CallerHungUp)

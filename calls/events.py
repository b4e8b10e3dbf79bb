"""Events into a call object: what happened on the wire (past tense). ACD commands about the
call (``OfferCall``, ``CancelOffer``, ...) and ``ivr_flows.events.QueryAnswered`` go in as they are."""

from __future__ import annotations

from dataclasses import dataclass

from acd.events import Event as AcdEvent


@dataclass(frozen=True, slots=True)
class Arrived:
    """A call reached ``line``; ``number`` is the caller's own phone number if it may be called
    back (the adapter vouches for it: never a number keyed in), else None."""

    caller: str | None = None
    number: str | None = None


@dataclass(frozen=True, slots=True)
class TaskPlaced:
    """An agent's outbound task (a return visit by an agent) the ACD now holds: nobody is on
    the line; once the offered seat answers, ``number`` (the dialer's, validated) is dialled.
    With ``preview`` the seat rings only when the agent starts the call (``PreviewCall``)."""

    number: str
    preview: bool = False


@dataclass(frozen=True, slots=True)
class PreviewCall:
    """The agent offered a preview task starts the call: their seat rings now."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class Digit:
    """The caller pressed a key."""

    digit: str


@dataclass(frozen=True, slots=True)
class PlayDone:
    """``Play(play_id)`` played to its end (or was stopped)."""

    play_id: int


@dataclass(frozen=True, slots=True)
class DialAnswered:
    """The party the call's ``Dial`` rang answered (``kind``: agent, department, callback)."""

    kind: str
    target: str


@dataclass(frozen=True, slots=True)
class DialFailed:
    """The party did not answer; ``status`` is SIP's (408 for no answer) for the seat's NOTIFY."""

    kind: str
    target: str
    status: int = 480
    reason: str = "Temporarily Unavailable"


@dataclass(frozen=True, slots=True)
class PartyGone:
    """An answered party hung up; ``lost`` when it vanished (no RTP, unreachable seat)."""

    kind: str
    target: str
    lost: bool = False


@dataclass(frozen=True, slots=True)
class TransferRequested:
    """The talking seat asked to transfer the caller to a department (number from the config)."""

    agent_id: str
    department_id: str
    number: str


@dataclass(frozen=True, slots=True)
class ThreeWayRequested:
    """The talking seat's agent brings a department (number from the config) into the call:
    once it answers, caller, agent and department all talk (三方通话)."""

    agent_id: str
    department_id: str
    number: str


@dataclass(frozen=True, slots=True)
class AgentLeaves:
    """The agent leaves the three-way call (from the desk): caller and department talk on."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class CallerGone:
    """The caller's leg ended: they hung up (``left``), or it was lost on our side."""

    reason: str
    left: bool = True


@dataclass(frozen=True, slots=True)
class Shutdown:
    """The engine stops: end the call and close its record as lost."""


@dataclass(frozen=True, slots=True)
class AcdRefused:
    """The routing core refused ``event`` (it raced the core's own decision); nothing changed."""

    event: AcdEvent


Event = (Arrived | Digit | PlayDone | DialAnswered | DialFailed | PartyGone | TransferRequested
         | ThreeWayRequested | AgentLeaves | CallerGone | Shutdown | AcdRefused)

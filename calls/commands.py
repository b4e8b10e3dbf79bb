"""Commands out of a call object: what the adapter does on its wire (imperative, wire-neutral).

Adapters carry them out in order. ``ToAcd`` always comes last in a batch: the ACD may answer
at once with a command for the same call, which the adapter hands straight back to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from acd.events import Event as AcdEvent
from ivr_flows.commands import PlayItem, RunQuery

AGENT, DEPARTMENT, CALLBACK = "agent", "department", "callback"
"""The other parties a call dials: a seat, a department's number, the caller called back."""


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer the caller's call (SIP 200, AGI ``ANSWER``)."""


@dataclass(frozen=True, slots=True)
class Play:
    """Play ``items`` to the caller, then report ``PlayDone(play_id)``; with ``barge_in`` a key
    stops it (the call sends ``StopPlay``)."""

    play_id: int
    items: tuple[PlayItem, ...]
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class StopPlay:
    """Stop the playback ``Play(play_id)`` started."""

    play_id: int


@dataclass(frozen=True, slots=True)
class Collect:
    """Keys are expected now; report each as ``Digit``. The call keeps the timeouts itself;
    the figures are for adapters that gather keys natively (AGI ``GET DATA``)."""

    max_digits: int
    timeout: float
    terminator: str | None = None
    min_digits: int = 1
    inter_digit: float = 0.0


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """The call's language is now ``language`` (prompts, queues)."""

    language: str


@dataclass(frozen=True, slots=True)
class StartMoh:
    """Music on hold until the next ``Play`` or ``Bridge``."""


@dataclass(frozen=True, slots=True)
class Dial:
    """Call another party: ``kind`` is :data:`AGENT` (``target`` a seat), :data:`DEPARTMENT`
    (``number`` from the config) or :data:`CALLBACK` (``number``: the caller's own). Report
    ``DialAnswered`` or ``DialFailed``."""

    kind: str
    target: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """Stop ringing that party (CANCEL) or hang up on it (BYE); no event comes back."""

    kind: str
    target: str


@dataclass(frozen=True, slots=True)
class Bridge:
    """Connect the caller's audio to that answered party."""

    kind: str
    target: str


@dataclass(frozen=True, slots=True)
class Conference:
    """Mix the caller with these answered parties, ``(kind, target)`` each: every one hears
    all the others (the three-way call); a later ``Bridge`` ends the mixing."""

    parties: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TransferResult:
    """Tell the seat that asked for a transfer how it went (SIP NOTIFY); ``status`` is SIP's."""

    agent_id: str
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class HangUp:
    """Hang up on the caller; ``cause`` is for the log."""

    cause: str


@dataclass(frozen=True, slots=True)
class ToAcd:
    """Submit ``event`` to the routing core; if it refuses, report ``AcdRefused(event)``."""

    event: AcdEvent


@dataclass(frozen=True, slots=True)
class Opened:
    """The call's record opens (the line answered)."""

    line: str
    at: float
    language: str | None


@dataclass(frozen=True, slots=True)
class Closed:
    """The call ended without the ACD holding it; ``outcome`` as in the records."""

    line: str
    outcome: str
    arrived_at: float
    at: float
    language: str | None
    transferred_to: str | None = None


@dataclass(frozen=True, slots=True)
class Score:
    """A survey answer, such as ``satisfaction`` 1-5."""

    name: str
    score: int
    at: float


@dataclass(frozen=True, slots=True)
class Record:
    """Store ``entry`` in the call records."""

    entry: Opened | Closed | Score


Command = (Answer | Play | StopPlay | Collect | SetLanguage | StartMoh | Dial | Drop | Bridge
           | Conference | TransferResult | HangUp | RunQuery | ToAcd | Record)

__all__ = [
    "AGENT", "CALLBACK", "DEPARTMENT", "Answer", "Bridge", "Closed", "Collect", "Command", "Conference",
    "Dial", "Drop", "HangUp", "Opened", "Play", "Record", "RunQuery", "Score", "SetLanguage",
    "StartMoh", "StopPlay", "ToAcd", "TransferResult",
]


"""Commands out of the ACD: what the telephony adapter or simulator should do (imperative).

Values, like the events (see ``acd/events.py``): never changed once built.
"""

from __future__ import annotations

from dataclasses import dataclass

from acd.events import CallId


@dataclass(slots=True, unsafe_hash=True)
class OfferCall:
    """Ring ``agent_id`` with ``call_id``; with ``callback`` the agent's seat dials the caller."""

    call_id: CallId
    agent_id: str
    queue: str
    ring_timeout: float
    callback: bool = False


@dataclass(slots=True, unsafe_hash=True)
class CancelOffer:
    """Stop ringing ``agent_id``; ``reason`` is caller-hung-up, ring-no-answer, declined,
    or agent-logged-out."""

    call_id: CallId
    agent_id: str
    reason: str


@dataclass(slots=True, unsafe_hash=True)
class OfferCallback:
    """Ask the waiting caller whether they want a callback (they keep their place)."""

    call_id: CallId
    queue: str


@dataclass(slots=True, unsafe_hash=True)
class PlayAnnouncement:
    """Play ``prompt`` to the waiting caller; they stay in the queue."""

    call_id: CallId
    prompt: str


@dataclass(slots=True, unsafe_hash=True)
class OverflowToMessage:
    """The call leaves the queue to a message (``prompt``); it ends as overflowed."""

    call_id: CallId
    prompt: str


@dataclass(slots=True, unsafe_hash=True)
class CallRecord:
    """What happened to one call in the ACD, emitted once when the call ends there.

    ``wait`` runs from queue entry to answer or hang-up; ``sl_wait`` is the wait the
    service level counts (from arrival or queue entry, by policy).
    """

    call_id: CallId
    queue: str
    line: str | None
    language: str | None
    priority: int
    arrived_at: float
    enqueued_at: float
    outcome: str  # answered | abandoned | overflowed
    ended_at: float
    answered_at: float | None = None
    agent_id: str | None = None
    wait: float = 0.0
    sl_wait: float = 0.0
    talk: float = 0.0
    offers: int = 0
    callback: bool = False
    overflow_target: str | None = None
    first_queue: str | None = None
    transferred_to: str | None = None  # the department an agent transferred the caller to


@dataclass(slots=True, unsafe_hash=True)
class CallFinished:
    """Store ``record``: the call has ended in the ACD (exactly once per call)."""

    record: CallRecord


@dataclass(slots=True, unsafe_hash=True)
class AgentStateChanged:
    """Record a seat's new state (for the event log, wallboard and metrics)."""

    agent_id: str
    presence: str
    activity: str
    reason: str
    at: float
    call_id: CallId | None = None


Command = (
    OfferCall
    | CancelOffer
    | OfferCallback
    | PlayAnnouncement
    | OverflowToMessage
    | CallFinished
    | AgentStateChanged
)

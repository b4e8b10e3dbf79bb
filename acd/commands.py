"""Commands out of the ACD: what the telephony adapter or simulator should do (imperative).

Values, like the events (see ``acd/events.py``): never changed once built.
"""

from __future__ import annotations

from dataclasses import dataclass

from acd.compiled import mypyc_attr
from acd.events import CallId, by_fields


@mypyc_attr(acyclic=True, free_list_len=1)
@dataclass(slots=True, unsafe_hash=True)
class OfferCall:
    """Ring ``agent_id`` with ``call_id``; with ``callback`` the agent's seat dials the caller."""

    call_id: CallId
    agent_id: str
    queue: str
    ring_timeout: float
    callback: bool = False

    def __init__(self, call_id: CallId, agent_id: str, queue: str, ring_timeout: float,
                 callback: bool = False) -> None:
        self.call_id = call_id
        self.agent_id = agent_id
        self.queue = queue
        self.ring_timeout = ring_timeout
        self.callback = callback

    def __reduce__(self) -> tuple:
        return by_fields(self)


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


@mypyc_attr(acyclic=True)
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

    def __init__(self, call_id: CallId, queue: str, line: str | None, language: str | None,
                 priority: int, arrived_at: float, enqueued_at: float, outcome: str,
                 ended_at: float, answered_at: float | None = None, agent_id: str | None = None,
                 wait: float = 0.0, sl_wait: float = 0.0, talk: float = 0.0, offers: int = 0,
                 callback: bool = False, overflow_target: str | None = None,
                 first_queue: str | None = None, transferred_to: str | None = None) -> None:
        self.call_id = call_id
        self.queue = queue
        self.line = line
        self.language = language
        self.priority = priority
        self.arrived_at = arrived_at
        self.enqueued_at = enqueued_at
        self.outcome = outcome
        self.ended_at = ended_at
        self.answered_at = answered_at
        self.agent_id = agent_id
        self.wait = wait
        self.sl_wait = sl_wait
        self.talk = talk
        self.offers = offers
        self.callback = callback
        self.overflow_target = overflow_target
        self.first_queue = first_queue
        self.transferred_to = transferred_to

    def __reduce__(self) -> tuple:
        return by_fields(self)


@mypyc_attr(acyclic=True, free_list_len=1)
@dataclass(slots=True, unsafe_hash=True)
class CallFinished:
    """Store ``record``: the call has ended in the ACD (exactly once per call)."""

    record: CallRecord

    def __init__(self, record: CallRecord) -> None:
        self.record = record

    def __reduce__(self) -> tuple:
        return by_fields(self)


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

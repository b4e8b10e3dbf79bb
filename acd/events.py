"""Events into the ACD: what happened (past tense). Slots dataclasses, no behaviour.

Events and commands are values: never change one after building it (one may serve many
calls). They are not ``frozen``: a frozen dataclass sets each field through
``object.__setattr__`` and costs several times more to build, and a simulated day builds
millions of them. Equality and hashing are by value, as for a frozen dataclass.

The events and commands of every simulated call write their ``__init__`` out (the dataclass
keeps one written in the class): the compiled core (``acd/compiled.py``) then builds them
natively. ``tests/core/test_messages.py`` checks each such ``__init__`` against the fields.
Their ``__reduce__`` pickles them by their fields (a compiled class needs it), and their
``mypyc_attr`` only matter compiled: ``acyclic`` (a value never holds a cycle: the garbage
collector need not track it) and ``free_list_len=1`` (built and dropped once per call: the
memory is reused).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from acd.compiled import mypyc_attr

CallId = Hashable


def by_fields(message: Any) -> tuple:
    """``__reduce__`` of a message: rebuilt from its fields in order."""
    return type(message), tuple(getattr(message, f.name) for f in fields(message))


@mypyc_attr(acyclic=True, free_list_len=1)
@dataclass(slots=True, unsafe_hash=True)
class CallArrived:
    """A caller has finished the IVR and joins ``queue``.

    ``arrived_at`` is when the call reached the center (before the IVR); it matters when the
    service-level clock starts at arrival. ``requirements`` adds to the queue's own.
    """

    call_id: CallId
    queue: str
    priority: int = 0
    arrived_at: float | None = None
    language: str | None = None
    line: str | None = None
    requirements: Mapping[str, int] | None = None

    def __init__(self, call_id: CallId, queue: str, priority: int = 0,
                 arrived_at: float | None = None, language: str | None = None,
                 line: str | None = None, requirements: Mapping[str, int] | None = None) -> None:
        self.call_id = call_id
        self.queue = queue
        self.priority = priority
        self.arrived_at = arrived_at
        self.language = language
        self.line = line
        self.requirements = requirements

    def __reduce__(self) -> tuple:
        return by_fields(self)


@dataclass(slots=True, unsafe_hash=True)
class CallerHungUp:
    """The caller hung up (while waiting, while an agent rang, or during the conversation)."""

    call_id: CallId


@dataclass(slots=True, unsafe_hash=True)
class CallbackAccepted:
    """The caller accepted a callback offer: they hang up but keep their place."""

    call_id: CallId


@dataclass(slots=True, unsafe_hash=True)
class CallAdopted:
    """A conversation the switch still carries when the engine starts (its engine died under
    it): ``agent_id`` is talking with the caller since ``answered_at``. The ACD takes the call
    as answered in ``queue`` and the seat as logged in, available and on that call."""

    call_id: CallId
    queue: str
    agent_id: str
    arrived_at: float
    answered_at: float
    enqueued_at: float | None = None
    language: str | None = None
    line: str | None = None


@mypyc_attr(acyclic=True, free_list_len=1)
@dataclass(slots=True, unsafe_hash=True)
class AgentAnswered:
    """The agent offered the call answered it."""

    agent_id: str
    call_id: CallId

    def __init__(self, agent_id: str, call_id: CallId) -> None:
        self.agent_id = agent_id
        self.call_id = call_id

    def __reduce__(self) -> tuple:
        return by_fields(self)


@dataclass(slots=True, unsafe_hash=True)
class AgentDeclined:
    """The seat rejected the offer (busy, declined): handled like ring-no-answer at once."""

    agent_id: str
    call_id: CallId


@dataclass(slots=True, unsafe_hash=True)
class AgentHungUp:
    """The agent ended the conversation: a hang-up, or a blind transfer to the department
    ``transferred_to`` (recorded with the call)."""

    agent_id: str
    transferred_to: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class AgentLost:
    """The agent's seat failed mid-conversation (crashed softphone, network loss).

    The caller goes back to the queue at their original place (their first answer still
    counts for the service level) and the agent is made not ready with ``reason``.
    """

    agent_id: str
    reason: str = "unreachable"


@dataclass(slots=True, unsafe_hash=True)
class AgentLoggedIn:
    """The agent logged in, ready or not."""

    agent_id: str
    ready: bool = False


@dataclass(slots=True, unsafe_hash=True)
class AgentLoggedOut:
    """The agent logged out."""

    agent_id: str


@dataclass(slots=True, unsafe_hash=True)
class AgentReady:
    """The agent is ready for calls."""

    agent_id: str


@dataclass(slots=True, unsafe_hash=True)
class AgentNotReady:
    """The agent is not ready (``reason``: a break, training ...)."""

    agent_id: str
    reason: str = "break"


@dataclass(slots=True, unsafe_hash=True)
class WrapUpDone:
    """The agent finished wrap-up before its timer ran out."""

    agent_id: str


Event = (
    CallArrived
    | CallerHungUp
    | CallbackAccepted
    | CallAdopted
    | AgentAnswered
    | AgentDeclined
    | AgentHungUp
    | AgentLost
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentReady
    | AgentNotReady
    | WrapUpDone
)

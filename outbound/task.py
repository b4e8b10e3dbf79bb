"""One outbound task's state machine, in ``agents/seat.py``'s style: an explicit transition
table; an illegal event raises ``IllegalTransition`` and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from outbound.model import Kind, Mode


class State(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (and calling hours)
    RESERVED = "reserved"  # an agent task offered to an agent; the seat rings
    DIALLING = "dialling"  # the citizen's phone rings
    CONNECTED = "connected"  # the citizen answered: survey or agent talking
    DONE = "done"  # reached: the result is recorded
    EXHAUSTED = "exhausted"  # not reached within its attempts
    EXPIRED = "expired"  # its window closed before it could be dialled
    CANCELLED = "cancelled"  # withdrawn (do-not-call, answered meanwhile, case closed)


FINAL = frozenset({State.DONE, State.EXHAUSTED, State.EXPIRED, State.CANCELLED})


class IllegalTransition(Exception):
    """An event that is not allowed in the task's current state; nothing was changed."""


S, R, D, C = State.SCHEDULED, State.RESERVED, State.DIALLING, State.CONNECTED
TABLE: dict[tuple[str, State], State] = {
    ("dial", S): D,  # a survey call is placed
    ("reserve", S): R,  # an agent task goes to an agent
    ("release", R): S,  # the agent did not take it: back in line, no attempt spent
    ("dial", R): D,  # the agent answered: the engine dials the citizen
    ("answer", D): C,
    ("retry", D): S,  # busy, no answer, failed, attempts left
    ("retry", C): S,  # answered but silent: not reached
    ("give_up", D): State.EXHAUSTED,
    ("give_up", C): State.EXHAUSTED,
    ("complete", C): State.DONE,
    ("expire", S): State.EXPIRED,
    ("cancel", S): State.CANCELLED,
    ("cancel", R): State.CANCELLED,
}


@dataclass(slots=True)
class Task:
    """One number to call for one reason. ``apply`` is the only way to change its state."""

    task_id: str
    kind: Kind
    mode: Mode
    number: str  # national form, validated
    line: str  # the line's number, shown as the caller ID
    created: float
    due_at: float  # not dialled before
    expires: float | None  # not dialled after
    case_id: str | None = None
    call_id: str | None = None  # the missed call, for a callback
    language: str = "zh"
    state: State = State.SCHEDULED
    attempts: int = 0
    since: float = 0.0

    def apply(self, event: str, now: float) -> State:
        new = TABLE.get((event, self.state))
        if new is None:
            raise IllegalTransition(f"task {self.task_id}: {event!r} not allowed while {self.state.value}")
        self.state = new
        self.since = now
        if event == "dial":
            self.attempts += 1
        return new

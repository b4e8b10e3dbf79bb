"""The caller leg's states and the one table of their transitions.

Like ``agents.seat``: ``Leg.apply(event)`` moves by the table or raises ``IllegalTransition``
and changes nothing. The call object decides which event happened; the table says where it
leads and refuses what cannot happen.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    RINGING = "ringing"  # the call has reached us, not answered yet
    IVR = "ivr"  # the line's flow runs
    QUEUED = "queued"  # the ACD holds the call; hold music and announcements
    CALLBACK_OFFER = "callback_offer"  # queued, hearing the callback offer
    OFFERED = "offered"  # queued, a seat rings
    TALKING = "talking"  # bridged to a seat
    TRANSFERRING = "transferring"  # a department rings (the seat may still be on)
    TRANSFERRED = "transferred"  # bridged to a department
    CONFERENCE = "conference"  # three-way call (三方通话): caller, seat and department all talk
    CALLBACK_PENDING = "callback_pending"  # accepted a callback: keeps the place, may hang up
    CALLBACK_OFFERED = "callback_offered"  # a seat rings for a caller who is not on the line
    DIALLING_BACK = "dialling_back"  # the seat answered, the caller's phone rings
    SURVEY = "survey"  # the seat hung up; the caller scores the call
    LEAVING = "leaving"  # a last message plays, then the engine hangs up
    ENDED = "ended"


class IllegalTransition(Exception):
    """An event that cannot happen in the leg's current state; nothing was changed."""


S = State
_TABLE: dict[tuple[str, State], State] = {
    ("arrive", S.RINGING): S.IVR,
    ("task_placed", S.RINGING): S.CALLBACK_PENDING,  # an agent's outbound task: nobody on the line
    ("enqueue", S.IVR): S.QUEUED,
    ("transfer", S.IVR): S.TRANSFERRING,
    ("offer_callback", S.QUEUED): S.CALLBACK_OFFER,
    ("callback_declined", S.CALLBACK_OFFER): S.QUEUED,
    ("callback_accepted", S.CALLBACK_OFFER): S.CALLBACK_PENDING,
    ("callback_refused", S.CALLBACK_PENDING): S.CALLBACK_OFFER,
    ("caller_left", S.CALLBACK_PENDING): S.CALLBACK_PENDING,
    ("offer", S.QUEUED): S.OFFERED,
    ("offer", S.CALLBACK_OFFER): S.OFFERED,
    ("offer", S.CALLBACK_PENDING): S.OFFERED,  # the caller is still on the line
    ("offer_absent", S.CALLBACK_PENDING): S.CALLBACK_OFFERED,
    ("ring_end", S.OFFERED): S.QUEUED,
    ("ring_end", S.CALLBACK_OFFERED): S.CALLBACK_PENDING,
    ("agent_answered", S.OFFERED): S.TALKING,
    ("agent_answered", S.CALLBACK_OFFERED): S.DIALLING_BACK,
    ("answer_refused", S.TALKING): S.QUEUED,
    ("answer_refused", S.DIALLING_BACK): S.CALLBACK_PENDING,
    ("caller_answered", S.DIALLING_BACK): S.TALKING,
    ("transfer", S.TALKING): S.TRANSFERRING,
    ("transferor_left", S.TRANSFERRING): S.TRANSFERRING,
    ("transfer_answered", S.TRANSFERRING): S.TRANSFERRED,
    ("transfer_failed", S.TRANSFERRING): S.TALKING,  # the seat still has the caller
    ("three_way", S.TALKING): S.TRANSFERRING,  # the seat stays on once the department answers
    ("conference", S.TRANSFERRING): S.CONFERENCE,
    ("agent_left", S.CONFERENCE): S.TRANSFERRED,  # caller and department talk on
    ("department_left", S.CONFERENCE): S.TALKING,  # the seat has the caller again
    ("seat_lost", S.TALKING): S.QUEUED,
    ("agent_hung_up", S.TALKING): S.SURVEY,
    ("last_message", S.QUEUED): S.LEAVING,
    ("last_message", S.OFFERED): S.LEAVING,
    ("last_message", S.CALLBACK_OFFER): S.LEAVING,
    ("last_message", S.CALLBACK_PENDING): S.LEAVING,
    ("last_message", S.TRANSFERRING): S.LEAVING,  # the department failed, nobody else is on
    **{("end", state): S.ENDED for state in State if state is not S.ENDED},
}

EVENTS = frozenset(event for event, _ in _TABLE)


class Leg:
    """The caller leg's state; ``apply`` is the only way to change it."""

    __slots__ = ("call_id", "state", "since")

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.state = State.RINGING
        self.since: float | None = None

    def target(self, event: str) -> State:
        """Where ``event`` leads from here; raises ``IllegalTransition`` if it cannot happen."""
        target = _TABLE.get((event, self.state))
        if target is None:
            what = "unknown leg event" if event not in EVENTS else "not allowed while"
            raise IllegalTransition(f"call {self.call_id}: {event!r} {what} {self.state.value}")
        return target

    def apply(self, event: str, now: float) -> State:
        self.state = self.target(event)
        self.since = now
        return self.state

    def __repr__(self) -> str:
        return f"Leg({self.call_id}: {self.state.value})"

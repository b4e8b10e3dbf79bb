"""The case's explicit transition table and who may do what.

``(event type, variant, status) -> new status``. The variant tells apart events whose effect
depends on their content (a lead's reply from an assisting department's; a visit's outcome;
a close reason). An event missing from the table raises ``IllegalTransition``; the caller
changes nothing. ``None`` as the status is "no case yet"."""

from __future__ import annotations

from cases.errors import IllegalTransition
from cases.model import CloseReason, Role, Status

O_, A, D, H, R, P, C = (Status.OPEN, Status.ANSWERED, Status.DISPATCHED, Status.HANDLING,
                       Status.RETURNED, Status.REPLIED, Status.CLOSED)
_LIVE = (O_, A, D, H, R, P)
_ANY = ""  # the variant of events whose content does not change the outcome

TABLE: dict[tuple[str, str, Status | None], Status] = {
    ("CaseOpened", _ANY, None): O_,
    ("AnsweredDirectly", _ANY, O_): A,
    ("AnsweredDirectly", _ANY, R): A,
    ("Dispatched", _ANY, O_): D,
    ("Dispatched", _ANY, R): D,  # re-dispatch after a return
    ("SignedFor", "lead", D): H,
    ("SignedFor", "assisting", D): D,
    ("SignedFor", "assisting", H): H,
    ("Returned", _ANY, D): R,
    ("Returned", _ANY, H): R,
    ("ExtensionRequested", _ANY, H): H,
    ("ExtensionDecided", _ANY, H): H,
    ("Replied", "lead", H): P,
    ("Replied", "assisting", H): H,
    # Return visits: after a reply, or of a sampled direct answer.
    # Return visits, after a reply or of a sampled direct answer: the workflow follows a result
    # with Closed (satisfied, unreachable, dissatisfied at the last round) or RehandleOrdered.
    ("VisitResult", _ANY, P): P,
    ("VisitResult", _ANY, A): A,
    ("RehandleOrdered", _ANY, P): H,  # 重办 by the lead department
    ("RehandleOrdered", _ANY, A): O_,  # a direct answer: the hotline answers again or dispatches
    ("Closed", CloseReason.SATISFIED, P): C,
    ("Closed", CloseReason.SATISFIED, A): C,
    ("Closed", CloseReason.UNREACHABLE, P): C,
    ("Closed", CloseReason.UNREACHABLE, A): C,
    ("Closed", CloseReason.DISSATISFIED, P): C,
    ("Closed", CloseReason.DISSATISFIED, A): C,
    ("Closed", CloseReason.NO_VISIT, P): C,
    ("Closed", CloseReason.ANSWERED, A): C,
    ("Closed", CloseReason.NOT_ACCEPTED, R): C,
    ("Closed", CloseReason.NOT_ACCEPTED, O_): C,
    ("Closed", CloseReason.DUPLICATE, O_): C,
    ("Closed", CloseReason.DUPLICATE, R): C,
    **{("Closed", CloseReason.WITHDRAWN, s): C for s in _LIVE},
    # Events that leave the status as it is.
    **{("Supervised", _ANY, s): s for s in _LIVE},
    **{("Reminded", _ANY, s): s for s in _LIVE},
    **{("CardRaised", _ANY, s): s for s in _LIVE},
    **{("DeadlineSet", _ANY, s): s for s in _LIVE},
    **{("Remarked", _ANY, s): s for s in (*_LIVE, C)},
    **{("Notified", _ANY, s): s for s in (*_LIVE, C)},  # a closure's SMS reports after it
}

# Who may record each event. Department users act only on their own department's cases.
ROLES: dict[str, frozenset[Role]] = {
    "CaseOpened": frozenset({Role.AGENT, Role.SUPERVISOR, Role.SYSTEM}),
    "AnsweredDirectly": frozenset({Role.AGENT, Role.SUPERVISOR}),
    "Dispatched": frozenset({Role.AGENT, Role.SUPERVISOR}),
    "SignedFor": frozenset({Role.DEPARTMENT, Role.SUPERVISOR}),
    "Returned": frozenset({Role.DEPARTMENT, Role.SUPERVISOR}),
    "ExtensionRequested": frozenset({Role.DEPARTMENT, Role.SUPERVISOR}),
    "ExtensionDecided": frozenset({Role.SUPERVISOR}),
    "Replied": frozenset({Role.DEPARTMENT, Role.SUPERVISOR}),
    "VisitResult": frozenset({Role.AGENT, Role.SUPERVISOR, Role.SYSTEM}),
    "RehandleOrdered": frozenset({Role.SUPERVISOR, Role.SYSTEM}),
    "Supervised": frozenset({Role.SUPERVISOR, Role.SYSTEM}),
    "Reminded": frozenset({Role.AGENT, Role.SUPERVISOR, Role.SYSTEM}),
    "CardRaised": frozenset({Role.SYSTEM}),
    "DeadlineSet": frozenset({Role.SYSTEM}),
    "Remarked": frozenset({Role.AGENT, Role.SUPERVISOR, Role.DEPARTMENT, Role.SYSTEM}),
    "Notified": frozenset({Role.SYSTEM}),
    "Closed": frozenset({Role.AGENT, Role.SUPERVISOR, Role.SYSTEM}),
}


def target(kind: str, variant: str, status: Status | None, case_id: str) -> Status:
    """The status after the event; raises ``IllegalTransition`` naming what was refused."""
    new = TABLE.get((kind, variant, status))
    if new is None:
        where = status.value if status is not None else "no case"
        what = f"{kind} ({variant})" if variant else kind
        raise IllegalTransition(f"case {case_id}: {what} not allowed while {where}")
    return new

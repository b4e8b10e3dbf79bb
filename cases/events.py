"""Case events: what happened (past tense). Frozen dataclasses; each carries the case id, the
time (epoch seconds) and the actor (user, role, department). The event log is the case's
history (every step 留痕); the state is a projection of it (see ``cases.case``)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.model import Actor, Card, Channel, CloseReason, DeadlineKind, SupervisionReason, Urgency


@dataclass(frozen=True, slots=True)
class CaseOpened:
    """受理: a request taken in from any channel. ``category`` is a taxonomy code;
    ``emergency`` the redirect number (110/119/120/122) the agent was prompted with, if any."""

    case_id: str
    at: float
    actor: Actor
    channel: Channel
    category: str
    text: str
    urgency: Urgency = Urgency.NORMAL
    caller_number: str = ""
    caller_name: str = ""
    call_id: str | None = None
    language: str = "zh"
    address: str = ""
    district: str = ""
    emergency: str | None = None
    line: str = ""  # the line the linked call came in on (from its record, never from a form)


@dataclass(frozen=True, slots=True)
class AnsweredDirectly:
    """直办: answered on the spot, usually from a knowledge-base article."""

    case_id: str
    at: float
    actor: Actor
    answer: str
    article_id: str | None = None


@dataclass(frozen=True, slots=True)
class Dispatched:
    """转办: sent to a lead department and optional assisting ones (also a re-dispatch)."""

    case_id: str
    at: float
    actor: Actor
    lead: str
    assisting: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class SignedFor:
    """签收: a department (lead or assisting) signed for the case."""

    case_id: str
    at: float
    actor: Actor
    department: str


@dataclass(frozen=True, slots=True)
class Returned:
    """退单: the lead department says the case is not theirs, with a reason."""

    case_id: str
    at: float
    actor: Actor
    department: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExtensionRequested:
    """延期申请: the lead department asks for ``days`` more working days."""

    case_id: str
    at: float
    actor: Actor
    department: str
    days: int
    reason: str


@dataclass(frozen=True, slots=True)
class ExtensionDecided:
    """The hotline's decision on the pending extension; ``days`` granted (default: as asked)."""

    case_id: str
    at: float
    actor: Actor
    approved: bool
    days: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Replied:
    """办结回复: the lead department's reply (an assisting department's reply is its opinion)."""

    case_id: str
    at: float
    actor: Actor
    department: str
    text: str


@dataclass(frozen=True, slots=True)
class VisitResult:
    """回访: the outcome of one return-visit attempt. ``reached`` False: nobody answered;
    otherwise ``solved`` (解决) and ``satisfied`` (满意) as the citizen said."""

    case_id: str
    at: float
    actor: Actor
    reached: bool
    solved: bool | None = None
    satisfied: bool | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class RehandleOrdered:
    """重办: after a dissatisfied visit the lead department handles it again (a direct answer
    goes back to the hotline)."""

    case_id: str
    at: float
    actor: Actor
    note: str = ""


@dataclass(frozen=True, slots=True)
class Supervised:
    """督办: supervision raised by a rule (urgent, repeated, overdue, dissatisfied) or by hand."""

    case_id: str
    at: float
    actor: Actor
    reason: SupervisionReason
    note: str = ""
    related: tuple[str, ...] = ()  # earlier cases behind a "repeated" supervision


@dataclass(frozen=True, slots=True)
class Reminded:
    """催办: a reminder sent to a department."""

    case_id: str
    at: float
    actor: Actor
    department: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class CardRaised:
    """A yellow (deadline near) or red (deadline passed) card on one deadline."""

    case_id: str
    at: float
    actor: Actor
    deadline: DeadlineKind
    card: Card
    due: float


@dataclass(frozen=True, slots=True)
class DeadlineSet:
    """A deadline computed by the workflow (from the rules and the calendar) and logged, so that
    replaying the log gives the same deadlines even after the rules change. ``rule`` says why;
    ``warn_at`` is when the yellow card is due (``yellow_hours`` of working days before);
    ``provisional``: computed over a year known only from the statutory holiday rules."""

    case_id: str
    at: float
    actor: Actor
    deadline: DeadlineKind
    due: float
    rule: str
    department: str | None = None
    warn_at: float | None = None
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Remarked:
    """A free remark on the case (also allowed once it is closed)."""

    case_id: str
    at: float
    actor: Actor
    text: str


@dataclass(frozen=True, slots=True)
class Notified:
    """A notice to the citizen (an SMS at intake or closure) changed state: ``status`` is
    sent (the SMSC took it), delivered or failed (its delivery report, or a refusal);
    ``message_id`` is the notice's own id, ``detail`` the SMSC's ids or error."""

    case_id: str
    at: float
    actor: Actor
    notice: str
    message_id: str
    status: str
    segments: int = 1
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Closed:
    """办结: the case is closed, exactly once."""

    case_id: str
    at: float
    actor: Actor
    reason: CloseReason
    note: str = ""


_ALL = (
    CaseOpened, AnsweredDirectly, Dispatched, SignedFor, Returned, ExtensionRequested, ExtensionDecided,
    Replied, VisitResult, RehandleOrdered, Supervised, Reminded, CardRaised, DeadlineSet, Remarked, Notified,
    Closed,
)
Event = (
    CaseOpened | AnsweredDirectly | Dispatched | SignedFor | Returned | ExtensionRequested
    | ExtensionDecided | Replied | VisitResult | RehandleOrdered | Supervised | Reminded | CardRaised
    | DeadlineSet | Remarked | Notified | Closed
)

EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in _ALL}

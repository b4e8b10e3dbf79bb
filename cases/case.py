"""The case (工单) as a projection of its event log.

``Case.apply(event)`` folds one event: it checks the transition table, the actor's role and
the department's ownership first, and raises (changing nothing) when any fails. The fold
needs no rules or calendar: deadlines are events too (``DeadlineSet``), so replaying a log
gives the same case even after the rules change. ``Case.replay(events)`` rebuilds one."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from cases import events as ev
from cases.errors import CaseError, Forbidden
from cases.model import (
    Actor,
    Card,
    Channel,
    CloseReason,
    DeadlineKind,
    Role,
    Status,
    SupervisionReason,
    Urgency,
)
from cases.transitions import ROLES, target


@dataclass(slots=True)
class Assignment:
    """One department's part in one dispatch round (what the evaluation counts)."""

    department: str
    lead: bool
    dispatched_at: float
    sign_due: float | None = None
    signed_at: float | None = None
    returned_at: float | None = None
    reply_due: float | None = None
    replied_at: float | None = None  # the last reply (after a re-handling, the new one)
    first_replied_at: float | None = None
    replied_late: bool = False  # some reply of this department came after its deadline
    extension_days: int = 0  # approved
    extensions_refused: int = 0
    rehandles: int = 0
    reminders: int = 0
    supervised: bool = False
    solved: bool | None = None  # the last reached visit while this department led
    satisfied: bool | None = None
    active: bool = True  # False once returned or re-dispatched away


@dataclass(frozen=True, slots=True)
class Visit:
    at: float
    reached: bool
    solved: bool | None
    satisfied: bool | None


@dataclass(slots=True)
class Case:
    """The current state of one case; change it only through ``apply``."""

    case_id: str
    opened_at: float
    opened_by: str
    channel: Channel
    category: str
    text: str
    urgency: Urgency
    caller_number: str
    caller_name: str
    call_id: str | None
    language: str
    address: str
    district: str
    emergency: str | None
    line: str = ""  # the line of the call it was taken in on ("": none known)
    status: Status = Status.OPEN
    handling: str | None = None  # "direct" or "transfer" (the first way it was handled)
    article_id: str | None = None
    lead: str | None = None
    assisting: tuple[str, ...] = ()
    assignments: list[Assignment] = field(default_factory=list)
    deadlines: dict[DeadlineKind, float] = field(default_factory=dict)  # the active ones
    warnings: dict[DeadlineKind, float] = field(default_factory=dict)  # yellow-card times, by deadline
    provisional: set[DeadlineKind] = field(default_factory=set)  # set over a provisional calendar
    cards: set[tuple[DeadlineKind, float, Card]] = field(default_factory=set)
    extension_pending: int | None = None  # days asked
    supervision: list[tuple[SupervisionReason, float]] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    visit_attempts: int = 0  # in the current visit round
    rehandles: int = 0
    returns: int = 0
    closed_at: float | None = None
    close_reason: CloseReason | None = None
    version: int = 0  # events folded

    # ---- building

    @classmethod
    def open(cls, event: ev.CaseOpened) -> Case:
        """The case ``event`` opens (checks the actor's role)."""
        target("CaseOpened", "", None, event.case_id)
        _check_role(event, None)
        return cls(
            case_id=event.case_id, opened_at=event.at, opened_by=event.actor.user,
            channel=event.channel, category=event.category, text=event.text, urgency=event.urgency,
            caller_number=event.caller_number, caller_name=event.caller_name, call_id=event.call_id,
            language=event.language, address=event.address, district=event.district,
            emergency=event.emergency, line=event.line, version=1,
        )

    @classmethod
    def replay(cls, events: Iterable[ev.Event]) -> Case:
        """Rebuild a case from its log (the first event must be its ``CaseOpened``)."""
        it = iter(events)
        first = next(it, None)
        if not isinstance(first, ev.CaseOpened):
            raise CaseError("log: a case's log starts with CaseOpened")
        case = cls.open(first)
        for event in it:
            case.apply(event)
        return case

    def copy(self) -> Case:
        """An independent copy (what is shared is immutable: visits, tuples, enums)."""
        twin = copy.copy(self)
        twin.assignments = [copy.copy(a) for a in self.assignments]
        twin.deadlines = dict(self.deadlines)
        twin.warnings = dict(self.warnings)
        twin.provisional = set(self.provisional)
        twin.cards = set(self.cards)
        twin.supervision = list(self.supervision)
        twin.visits = list(self.visits)
        return twin

    # ---- queries

    @property
    def closed(self) -> bool:
        return self.status is Status.CLOSED

    @property
    def departments(self) -> tuple[str, ...]:
        """Departments that own the case now (lead first): who may see and act on it."""
        return (self.lead, *self.assisting) if self.lead else ()

    def owned_by(self, department: str) -> bool:
        return department in self.departments

    def lead_assignment(self) -> Assignment | None:
        for assignment in reversed(self.assignments):
            if assignment.lead and assignment.active:
                return assignment
        return None

    def _assignment(self, department: str) -> Assignment | None:
        for assignment in reversed(self.assignments):
            if assignment.department == department and assignment.active:
                return assignment
        return None

    # ---- the fold

    def variant(self, event: ev.Event) -> str:
        """What picks the row of the transition table besides the event type and status."""
        if isinstance(event, ev.SignedFor | ev.Replied):
            return "lead" if event.department == self.lead else "assisting"
        if isinstance(event, ev.Closed):
            return event.reason.value
        return ""

    def check(self, event: ev.Event) -> Status:
        """The status ``event`` leads to; raises (``CaseError`` family) if it is refused."""
        if event.case_id != self.case_id:
            raise CaseError(f"case_id: event for {event.case_id!r} applied to case {self.case_id!r}")
        kind = type(event).__name__
        _check_role(event, self)  # first: a department must not learn the state of others' cases
        new = target(kind, self.variant(event), self.status, self.case_id)
        if isinstance(event, ev.SignedFor):
            assignment = self._assignment(event.department)
            if assignment is not None and assignment.signed_at is not None:
                raise CaseError(f"case {self.case_id}: {event.department} has already signed for it")
        if isinstance(event, ev.Returned | ev.ExtensionRequested) and event.department != self.lead:
            raise Forbidden(
                f"department: {event.department!r} is not the lead department of case {self.case_id}"
            )
        if isinstance(event, ev.ExtensionRequested):
            if self.extension_pending is not None:
                raise CaseError(f"case {self.case_id}: an extension request is already pending")
            if event.days < 1:
                raise CaseError("days: an extension is at least one working day")
        if isinstance(event, ev.ExtensionDecided):
            if self.extension_pending is None:
                raise CaseError(f"case {self.case_id}: no extension request is pending")
            if event.days is not None and event.days < 1:
                raise CaseError("days: an approved extension is at least one working day")
        if isinstance(event, ev.Dispatched) and (
                event.lead in event.assisting or len(set(event.assisting)) != len(event.assisting)):
            raise CaseError("assisting: a department appears twice")
        if isinstance(event, ev.VisitResult) and event.reached and event.satisfied is None:
            raise CaseError("satisfied: required when the citizen was reached")
        if isinstance(event, ev.Reminded | ev.SignedFor | ev.Replied) and not self.owned_by(event.department):
            raise CaseError(f"department: case {self.case_id} is not with {event.department!r}")
        return new

    def apply(self, event: ev.Event) -> None:
        """Fold ``event`` into the case, or raise and change nothing."""
        new = self.check(event)
        _FOLD[type(event)](self, event)
        self.status = new
        self.version += 1

    # ---- serialisation (the store keeps the projection as JSON beside the log)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["deadlines"] = {k.value: v for k, v in self.deadlines.items()}
        data["warnings"] = {k.value: v for k, v in self.warnings.items()}
        data["provisional"] = sorted(k.value for k in self.provisional)
        data["cards"] = sorted([k.value, due, c.value] for k, due, c in self.cards)
        data["supervision"] = [[r.value, at] for r, at in self.supervision]
        data["assisting"] = list(self.assisting)
        for key in ("channel", "urgency", "status", "close_reason"):
            value = data[key]
            data[key] = value.value if value is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        data = dict(data)
        data["channel"] = Channel(data["channel"])
        data["urgency"] = Urgency(data["urgency"])
        data["status"] = Status(data["status"])
        data["close_reason"] = CloseReason(data["close_reason"]) if data["close_reason"] else None
        data["assisting"] = tuple(data["assisting"])
        data["assignments"] = [Assignment(**a) for a in data["assignments"]]
        data["visits"] = [Visit(**v) for v in data["visits"]]
        data["deadlines"] = {DeadlineKind(k): v for k, v in data["deadlines"].items()}
        data["warnings"] = {DeadlineKind(k): v for k, v in data.get("warnings", {}).items()}
        data["provisional"] = {DeadlineKind(k) for k in data.get("provisional", ())}
        data["cards"] = {(DeadlineKind(k), due, Card(c)) for k, due, c in data["cards"]}
        data["supervision"] = [(SupervisionReason(r), at) for r, at in data["supervision"]]
        return cls(**data)


def _check_role(event: ev.Event, case: Case | None) -> None:
    actor: Actor = event.actor
    kind = type(event).__name__
    if actor.role not in ROLES[kind]:
        raise Forbidden(f"actor.role: the role {actor.role.value!r} may not record {kind}")
    if actor.role is not Role.DEPARTMENT:
        return
    if case is None or not case.owned_by(actor.department or ""):
        raise Forbidden(f"actor.department: case {event.case_id} is not a case of {actor.department!r}")
    department = getattr(event, "department", actor.department)
    if department != actor.department:
        raise Forbidden(f"department: a user of {actor.department!r} may not act for {department!r}")


def _dispatched(case: Case, event: ev.Dispatched) -> None:
    for assignment in case.assignments:
        assignment.active = False
    case.handling = case.handling or "transfer"
    case.lead, case.assisting = event.lead, event.assisting
    supervised = bool(case.supervision)  # an urgent or repeated case comes supervised
    for department in case.departments:
        case.assignments.append(Assignment(department, department == event.lead, event.at,
                                           supervised=supervised))
    case.deadlines.pop(DeadlineKind.DISPATCH, None)
    case.extension_pending = None


def _signed(case: Case, event: ev.SignedFor) -> None:
    assignment = case._assignment(event.department)
    if assignment is not None:
        assignment.signed_at = event.at
    if event.department == case.lead:
        case.deadlines.pop(DeadlineKind.SIGN, None)


def _returned(case: Case, event: ev.Returned) -> None:
    for assignment in case.assignments:
        if assignment.active:
            assignment.active = False
            if assignment.lead:
                assignment.returned_at = event.at
    case.returns += 1
    case.lead, case.assisting = None, ()
    case.extension_pending = None
    case.deadlines.pop(DeadlineKind.SIGN, None)
    case.deadlines.pop(DeadlineKind.REPLY, None)


def _answered(case: Case, event: ev.AnsweredDirectly) -> None:
    case.handling = case.handling or "direct"
    case.article_id = event.article_id
    case.deadlines.pop(DeadlineKind.DISPATCH, None)
    case.visit_attempts = 0


def _extension_requested(case: Case, event: ev.ExtensionRequested) -> None:
    case.extension_pending = event.days


def _extension_decided(case: Case, event: ev.ExtensionDecided) -> None:
    assignment = case.lead_assignment()
    if assignment is not None:
        if event.approved:
            assignment.extension_days += event.days or case.extension_pending or 0
        else:
            assignment.extensions_refused += 1
    case.extension_pending = None


def _replied(case: Case, event: ev.Replied) -> None:
    assignment = case._assignment(event.department)
    if assignment is not None:
        assignment.replied_at = event.at
        due = case.deadlines.get(DeadlineKind.REPLY)
        if assignment.lead and due is not None and event.at > due:
            assignment.replied_late = True
        if assignment.first_replied_at is None:
            assignment.first_replied_at = event.at
    if event.department == case.lead:
        case.deadlines.pop(DeadlineKind.REPLY, None)
        case.extension_pending = None
        case.visit_attempts = 0


def _visited(case: Case, event: ev.VisitResult) -> None:
    case.visits.append(Visit(event.at, event.reached, event.solved, event.satisfied))
    case.visit_attempts += 1
    assignment = case.lead_assignment()
    if event.reached and assignment is not None and case.status is Status.REPLIED:
        assignment.solved, assignment.satisfied = event.solved, event.satisfied


def _rehandle(case: Case, event: ev.RehandleOrdered) -> None:
    case.rehandles += 1
    case.visit_attempts = 0
    case.deadlines.pop(DeadlineKind.VISIT, None)
    assignment = case.lead_assignment()
    if assignment is not None and case.status is Status.REPLIED:
        assignment.rehandles += 1


def _supervised(case: Case, event: ev.Supervised) -> None:
    case.supervision.append((event.reason, event.at))
    for assignment in case.assignments:
        if assignment.active:
            assignment.supervised = True


def _reminded(case: Case, event: ev.Reminded) -> None:
    assignment = case._assignment(event.department)
    if assignment is not None:
        assignment.reminders += 1


def _card(case: Case, event: ev.CardRaised) -> None:
    case.cards.add((event.deadline, event.due, event.card))


def _deadline(case: Case, event: ev.DeadlineSet) -> None:
    case.deadlines[event.deadline] = event.due
    if event.provisional:
        case.provisional.add(event.deadline)
    else:
        case.provisional.discard(event.deadline)
    if event.warn_at is not None:
        case.warnings[event.deadline] = event.warn_at
    else:  # logged before warn_at existed: the yellow card falls back to wall-clock hours
        case.warnings.pop(event.deadline, None)
    department = event.department or case.lead
    assignment = case._assignment(department) if department else None
    if assignment is not None and event.deadline is DeadlineKind.SIGN:
        assignment.sign_due = event.due
    elif assignment is not None and event.deadline is DeadlineKind.REPLY:
        assignment.reply_due = event.due


def _closed(case: Case, event: ev.Closed) -> None:
    case.closed_at, case.close_reason = event.at, event.reason
    case.deadlines.clear()
    case.extension_pending = None


def _nothing(case: Case, event: ev.Event) -> None:
    pass


_FOLD: dict[type, Any] = {
    ev.AnsweredDirectly: _answered, ev.Dispatched: _dispatched, ev.SignedFor: _signed,
    ev.Returned: _returned, ev.ExtensionRequested: _extension_requested,
    ev.ExtensionDecided: _extension_decided, ev.Replied: _replied, ev.VisitResult: _visited,
    ev.RehandleOrdered: _rehandle, ev.Supervised: _supervised, ev.Reminded: _reminded,
    ev.CardRaised: _card, ev.DeadlineSet: _deadline, ev.Remarked: _nothing, ev.Notified: _nothing,
    ev.Closed: _closed,
    ev.CaseOpened: _nothing,
}

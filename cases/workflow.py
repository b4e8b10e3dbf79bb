"""The case workflow: decides what follows each event (derived events and commands).

``decide(case, event, context)`` checks and folds ``event``, then the events the rules derive
from it (deadlines, automatic supervision, closure, re-handling), all on a copy: if anything
is refused nothing changed. ``timer(case, now, context)`` raises cards, reminders and overdue
supervision. ``CaseWorkflow`` wraps both around one case: ``apply``, ``on_timer``,
``next_deadline``. Every derived event is part of the outcome: the store appends them all."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from cases import commands as cmd
from cases import events as ev
from cases.calendar import WorkCalendar
from cases.case import Case
from cases.errors import CaseError
from cases.model import SYSTEM, Card, CloseReason, DeadlineKind, Status, SupervisionReason, Urgency
from cases.rules import Rules
from cases.taxonomy import EMERGENCY_NUMBERS, Taxonomy

_DEPARTMENT_DEADLINES = (DeadlineKind.SIGN, DeadlineKind.REPLY)
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def hash_sampler(case_id: str) -> float:
    """A stable number in [0, 1) per case: the same case is always sampled the same way."""
    digest = hashlib.sha256(case_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Context:
    """What the workflow decides with: injected, never read from the environment."""

    taxonomy: Taxonomy
    departments: Collection[str]
    calendar: WorkCalendar
    rules: Rules = field(default_factory=Rules)
    sampler: Callable[[str], float] = hash_sampler  # < direct_visit_rate: a direct answer is visited


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one input produced: the events to append to the log (the input first, if it was an
    event) and the commands to carry out."""

    events: tuple[ev.Event, ...] = ()
    commands: tuple[cmd.Command, ...] = ()


class _Step:
    """Collects derived events and commands while folding them into a trial copy of the case."""

    def __init__(self, case: Case, context: Context, at: float, before: Case | None = None) -> None:
        self.case, self.context, self.at = case, context, at
        self.before = before or case  # the case before the input event
        self.events: list[ev.Event] = []
        self.commands: list[cmd.Command] = []

    def emit(self, event: ev.Event) -> None:
        self.case.apply(event)
        self.events.append(event)

    def command(self, command: cmd.Command) -> None:
        self.commands.append(command)

    def deadline(self, kind: DeadlineKind, due: float, rule: str, department: str | None = None) -> None:
        yellow = self.context.rules.yellow_hours * 3600
        calendar = self.context.calendar
        warn = max(self.at, calendar.sub_working_time(due, yellow))
        provisional = calendar.is_provisional(calendar.date_of(self.at)) or calendar.is_provisional(
            calendar.date_of(due))
        self.emit(ev.DeadlineSet(self.case.case_id, self.at, SYSTEM, kind, due, rule, department, warn,
                                 provisional))

    def supervise(self, reason: SupervisionReason, note: str = "", related: tuple[str, ...] = ()) -> None:
        self.emit(ev.Supervised(self.case.case_id, self.at, SYSTEM, reason, note, related))
        self.command(cmd.RaiseSupervision(self.case.case_id, reason, self.case.departments))

    def close(self, reason: CloseReason, note: str = "") -> None:
        self.emit(ev.Closed(self.case.case_id, self.at, SYSTEM, reason, note))

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.events), tuple(self.commands))


def open_case(event: ev.CaseOpened, context: Context, repeats: tuple[str, ...] = ()) -> tuple[Case, Outcome]:
    """The new case and what follows its intake. ``repeats`` are earlier cases that make this one
    a repeated request (from ``cases.clusters.RepeatDetector``): it is supervised."""
    if event.category not in context.taxonomy:
        raise CaseError(f"category: unknown code {event.category!r}")
    if not event.text.strip():
        raise CaseError("text: the request text is empty")
    if event.caller_number and not _NUMBER.match(event.caller_number):
        raise CaseError("caller_number: expected 3-20 digits, optionally after +")
    if not _LANGUAGE.match(event.language):
        raise CaseError(f"language: {event.language!r} is not a language code such as zh, yue, en")
    if event.emergency is not None and event.emergency not in EMERGENCY_NUMBERS:
        raise CaseError(f"emergency: expected one of {', '.join(EMERGENCY_NUMBERS)}")
    case = Case.open(event)
    step = _Step(case, context, event.at)
    step.events.append(event)
    rules, calendar = context.rules, context.calendar
    step.deadline(DeadlineKind.DISPATCH, calendar.due_after(event.at, rules.dispatch_working_days),
                  f"answer or dispatch within {rules.dispatch_working_days} working days")
    hint = context.taxonomy.emergency_hint(event.text)
    if hint is not None and event.emergency is None:
        step.command(cmd.PromptEmergencyRedirect(event.case_id, hint))
    if event.urgency in rules.supervise_urgencies:
        step.supervise(SupervisionReason.URGENT, event.urgency.value)
    if repeats:
        step.supervise(SupervisionReason.REPEATED, f"{len(repeats) + 1} requests", repeats)
    return case, step.outcome()


def decide(case: Case, event: ev.Event, context: Context) -> tuple[Case, Outcome]:
    """The case after ``event`` and what follows it; raises (``CaseError``) and changes nothing."""
    if isinstance(event, ev.CaseOpened):
        raise CaseError(f"case {case.case_id}: already opened")
    _validate(case, event, context)
    trial = case.copy()
    step = _Step(trial, context, event.at, case)
    step.emit(event)
    handler = _FOLLOW.get(type(event))
    if handler is not None:
        handler(step, event)
    return trial, step.outcome()


def timer(case: Case, now: float, context: Context) -> tuple[Case, Outcome]:
    """Cards, reminders and overdue supervision due at ``now``."""
    due = next_deadline(case, context.rules)
    if due is None or due > now:
        return case, Outcome()
    trial = case.copy()
    step = _Step(trial, context, now)
    for kind, due in sorted(case.deadlines.items(), key=lambda item: item[1]):
        department = case.lead if kind in _DEPARTMENT_DEADLINES else None
        if now >= due and (kind, due, Card.RED) not in case.cards:
            step.emit(ev.CardRaised(case.case_id, now, SYSTEM, kind, Card.RED, due))
            step.command(cmd.ShowCard(case.case_id, Card.RED, kind, due, department))
            step.supervise(SupervisionReason.OVERDUE, f"{kind.value} deadline passed")
        elif now >= _warn_at(case, kind, due, context.rules) and not case.cards & {
                (kind, due, Card.YELLOW), (kind, due, Card.RED)}:
            step.emit(ev.CardRaised(case.case_id, now, SYSTEM, kind, Card.YELLOW, due))
            step.command(cmd.ShowCard(case.case_id, Card.YELLOW, kind, due, department))
            if department is not None:
                step.emit(ev.Reminded(case.case_id, now, SYSTEM, department, f"{kind.value} deadline near"))
                step.command(cmd.SendReminder(case.case_id, department, kind, due))
    return trial, step.outcome()


def next_deadline(case: Case, rules: Rules) -> float | None:
    """When ``timer`` next has something to do for the case, or None."""
    points = []
    for kind, due in case.deadlines.items():
        if (kind, due, Card.RED) in case.cards:
            continue
        points.append(due if (kind, due, Card.YELLOW) in case.cards else _warn_at(case, kind, due, rules))
    return min(points, default=None)


def _warn_at(case: Case, kind: DeadlineKind, due: float, rules: Rules) -> float:
    """When the yellow card is due: as logged with the deadline (working hours before it)."""
    warn = case.warnings.get(kind)
    return min(warn, due) if warn is not None else due - rules.yellow_hours * 3600


# ---- what follows each event


def _validate(case: Case, event: ev.Event, context: Context) -> None:
    if isinstance(event, ev.Dispatched):
        for department in (event.lead, *event.assisting):
            if department not in context.departments:
                raise CaseError(f"department: unknown department {department!r}")
    if isinstance(event, ev.ExtensionRequested) and event.days > context.rules.max_extension_days:
        raise CaseError(f"days: at most {context.rules.max_extension_days} working days may be asked")
    if isinstance(event, ev.ExtensionDecided) and event.days is not None and (
            event.days > context.rules.max_extension_days):
        raise CaseError(f"days: at most {context.rules.max_extension_days} working days may be granted")


def dispatch_deadlines(context: Context, category_code: str, urgency: Urgency,
                       at: float) -> tuple[float, float, int]:
    """(sign-for due, reply due, reply working days) of a case dispatched at ``at``: what
    the desk shows before a transfer is saved, computed as the dispatch itself computes it."""
    rules = context.rules
    days = rules.reply_working_days(context.taxonomy.get(category_code), urgency)
    sign_due = context.calendar.add_working_time(at, rules.sign_hours * 3600)
    return sign_due, context.calendar.due_after(at, days), days


def _reply_deadline(step: _Step, at: float, why: str) -> float:
    case = step.case
    category = step.context.taxonomy.get(case.category)
    _, due, days = dispatch_deadlines(step.context, case.category, case.urgency, at)
    step.deadline(DeadlineKind.REPLY, due,
                  f"{why}: {category.kind.value}/{case.urgency.value}: {days} working days", case.lead)
    return due


def _visit(step: _Step, at: float) -> None:
    rules = step.context.rules
    due = step.context.calendar.due_after(at, rules.visit_working_days)
    step.deadline(DeadlineKind.VISIT, due, f"visit back within {rules.visit_working_days} working days")
    step.command(cmd.ScheduleReturnVisit(step.case.case_id, 1, at, due))


def _after_dispatch(step: _Step, event: ev.Dispatched) -> None:
    rules = step.context.rules
    sign_due = dispatch_deadlines(step.context, step.case.category, step.case.urgency, event.at)[0]
    why = f"sign for within {rules.sign_hours:g} hours (working days only)"
    step.deadline(DeadlineKind.SIGN, sign_due, why, event.lead)
    due = _reply_deadline(step, event.at, "reply")
    for department in (event.lead, *event.assisting):
        step.command(cmd.NotifyDepartment(event.case_id, department, "dispatched", due))


def _after_answer(step: _Step, event: ev.AnsweredDirectly) -> None:
    if step.context.sampler(event.case_id) < step.context.rules.direct_visit_rate:
        _visit(step, event.at)
    else:
        step.close(CloseReason.ANSWERED)


def _after_return(step: _Step, event: ev.Returned) -> None:
    rules = step.context.rules
    due = step.context.calendar.due_after(event.at, rules.dispatch_working_days)
    step.deadline(DeadlineKind.DISPATCH, due,
                  f"re-dispatch or close within {rules.dispatch_working_days} working days")
    step.command(cmd.NotifyHotline(event.case_id, "returned", due))


def _after_extension_request(step: _Step, event: ev.ExtensionRequested) -> None:
    step.command(cmd.NotifyHotline(event.case_id, "extension-requested", step.case.deadlines.get(
        DeadlineKind.REPLY)))


def _after_extension_decision(step: _Step, event: ev.ExtensionDecided) -> None:
    case, calendar = step.case, step.context.calendar
    lead = case.lead or ""
    current = case.deadlines.get(DeadlineKind.REPLY)
    if not event.approved or current is None:
        step.command(cmd.NotifyDepartment(case.case_id, lead, "extension-refused", current))
        return
    days = event.days if event.days is not None else step.before.extension_pending or 1
    due = calendar.end_of(calendar.add_working_days(calendar.date_of(current - 1), days))
    step.deadline(DeadlineKind.REPLY, due, f"extension approved: {days} more working days", lead)
    step.command(cmd.NotifyDepartment(case.case_id, lead, "extension-approved", due))


def _after_reply(step: _Step, event: ev.Replied) -> None:
    if step.case.status is Status.REPLIED:
        _visit(step, event.at)


def _after_visit(step: _Step, event: ev.VisitResult) -> None:
    case, rules = step.case, step.context.rules
    if not event.reached:
        if case.visit_attempts >= rules.visit_attempts:
            step.close(CloseReason.UNREACHABLE, f"{case.visit_attempts} attempts")
        else:
            step.command(cmd.ScheduleReturnVisit(case.case_id, case.visit_attempts + 1,
                                                 event.at + rules.visit_retry_hours * 3600,
                                                 case.deadlines.get(DeadlineKind.VISIT)))
        return
    if event.satisfied:
        step.close(CloseReason.SATISFIED)
        return
    step.supervise(SupervisionReason.DISSATISFIED)
    if case.rehandles >= rules.max_rehandles:
        step.close(CloseReason.DISSATISFIED, f"after {case.rehandles} re-handlings")
        return
    step.emit(ev.RehandleOrdered(case.case_id, event.at, SYSTEM, "dissatisfied visit"))
    _after_rehandle(step, None)


def _after_rehandle(step: _Step, event: ev.RehandleOrdered | None) -> None:
    case, at = step.case, step.at
    if case.status is Status.HANDLING:
        due = _reply_deadline(step, at, "re-handle")
        step.command(cmd.NotifyDepartment(case.case_id, case.lead or "", "rehandle", due))
    else:  # a direct answer: back to the hotline
        rules = step.context.rules
        due = step.context.calendar.due_after(at, rules.dispatch_working_days)
        step.deadline(DeadlineKind.DISPATCH, due, "answer again or dispatch after a dissatisfied visit")
        step.command(cmd.NotifyHotline(case.case_id, "rehandle", due))


def _after_supervision(step: _Step, event: ev.Supervised) -> None:
    step.command(cmd.RaiseSupervision(event.case_id, event.reason, step.case.departments))


def _after_reminder(step: _Step, event: ev.Reminded) -> None:
    case = step.case
    kind = DeadlineKind.SIGN if case.status is Status.DISPATCHED else DeadlineKind.REPLY
    due = case.deadlines.get(kind)
    if due is not None:
        step.command(cmd.SendReminder(case.case_id, event.department, kind, due))


_FOLLOW: dict[type, Callable[[_Step, ev.Event], None]] = {  # type: ignore[dict-item]
    ev.Dispatched: _after_dispatch,
    ev.AnsweredDirectly: _after_answer,
    ev.Returned: _after_return,
    ev.ExtensionRequested: _after_extension_request,
    ev.ExtensionDecided: _after_extension_decision,
    ev.Replied: _after_reply,
    ev.VisitResult: _after_visit,
    ev.RehandleOrdered: _after_rehandle,
    ev.Supervised: _after_supervision,
    ev.Reminded: _after_reminder,
}


class CaseWorkflow:
    """One case and its context: ``apply(event)``, ``on_timer(now)``, ``next_deadline()``."""

    def __init__(self, case: Case, context: Context) -> None:
        self.case, self.context = case, context

    @classmethod
    def open(cls, event: ev.CaseOpened, context: Context,
             repeats: tuple[str, ...] = ()) -> tuple[CaseWorkflow, Outcome]:
        case, outcome = open_case(event, context, repeats)
        return cls(case, context), outcome

    @classmethod
    def replay(cls, events: Iterable[ev.Event], context: Context) -> CaseWorkflow:
        """From a stored log (derived events included; nothing is derived again)."""
        return cls(Case.replay(events), context)

    def apply(self, event: ev.Event) -> Outcome:
        self.case, outcome = decide(self.case, event, self.context)
        return outcome

    def on_timer(self, now: float) -> Outcome:
        self.case, outcome = timer(self.case, now, self.context)
        return outcome

    def next_deadline(self) -> float | None:
        return next_deadline(self.case, self.context.rules)

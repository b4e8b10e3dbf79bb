"""``CaseService``: the pure ``cases`` workflow driven over the store, for the API, the timer
and the CLI.

One change to a case: read its state (the projection), build the event from the request (the
core's codec validates it, naming the field), let the workflow decide (it raises and changes
nothing on an illegal step), then append every resulting event and the new projection in one
transaction. Commands (notify a department, schedule a visit, show a card, alert on a cluster)
go to the sinks after the commit. Who may see a case is decided here too: a department user
asking for another department's case gets ``CaseNotFound``, exactly as for a case that does
not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from callcenter.casework.accounts import Accounts, User
from callcenter.casework.directory import Directory, load_directory
from callcenter.casework.knowledge import KnowledgeBase
from callcenter.casework.store import CaseQuery, CaseRow, CaseStore, ConcurrentChange
from cases.calendar import WorkCalendar
from cases.case import Case
from cases.clusters import DAY, ClusterDetector, RepeatDetector
from cases.codec import event_from_dict, event_to_dict
from cases.commands import Alert
from cases.errors import CaseError, Forbidden
from cases.events import CaseOpened
from cases.model import SYSTEM, Actor, Channel, Role, Status
from cases.rules import Rules
from cases.workflow import Context, decide, next_deadline, open_case, timer

if TYPE_CHECKING:
    from cases.evaluation import Evaluation
    from cases.report import Hotspot, RoutineReport

log = logging.getLogger(__name__)

Sink = Callable[[Sequence[object]], None]
# Called before a change is committed with (case before, case after, the new events as dicts);
# returns SQL statements (with parameters) to run in the change's own transaction.
CommitHook = Callable[[Case | None, Case, list[dict[str, Any]]], Sequence[tuple[str, Sequence[Any]]]]


class CaseNotFound(LookupError):
    """No such case, or not one the user may see."""


class CaseRefused(ValueError):
    """The request is refused before it reaches the core (unknown department or category,
    an agent acting on another agent's intake); the message names the field."""


@dataclass
class Outcome:
    case: Case
    events: list[dict[str, Any]]
    commands: list[object] = field(default_factory=list)


def actor_of(user: User) -> Actor:
    return Actor(user.username, Role(user.role), user.department)


class CaseService:
    """Thread-safe: one lock serialises decisions (the database serialises writes anyway)."""

    def __init__(self, store: CaseStore, directory: Directory, context: Context, *,
                 clock: Callable[[], float] = time.time, timezone: str = "Asia/Shanghai",
                 cluster_threshold: int = 20, cluster_window: float = DAY) -> None:
        self.store = store
        self.directory = directory
        self.context = context
        self.clock = clock
        self.tz = ZoneInfo(timezone)
        self._lock = threading.RLock()
        self._sinks: list[Sink] = []
        self._on_change: list[Callable[[], None]] = []
        self._on_events: list[Callable[[list[dict[str, Any]]], None]] = []
        self._commit_hooks: list[CommitHook] = []
        self._numbers: dict[str, int] = {}  # the day's last running number
        self.live_line: Callable[[str], str | None] = lambda call_id: None
        """The line of a call still in progress (the engine's ACD), for a case taken in on it."""
        self.repeats = RepeatDetector(context.rules.repeat_count, context.rules.repeat_days)
        self.clusters = ClusterDetector(cluster_threshold, cluster_window)
        self._restore_detectors(max(context.rules.repeat_days * DAY, cluster_window))

    def _restore_detectors(self, horizon: float) -> None:
        """Feed the repeat and cluster detectors the intakes of the last ``horizon`` seconds
        (from the projection: no replay of the log), deriving nothing."""
        for case_id, at, channel, category, caller, address, district in self.store.intakes_since(
                self.clock() - horizon):
            opened = CaseOpened(case_id, at, SYSTEM, Channel(channel), category, "",
                                caller_number=caller or "", address=address or "", district=district or "")
            self.repeats.observe(opened)
            self.clusters.observe(opened)

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def add_commit_hook(self, hook: CommitHook) -> None:
        """``hook(before, case, events)`` adds statements to every change's transaction (the SMS
        outbox: a notice is queued if and only if its case change is committed)."""
        self._commit_hooks.append(hook)

    def on_change(self, callback: Callable[[], None]) -> None:
        """``callback()`` after every committed change (the deadline timer re-arms on it)."""
        self._on_change.append(callback)

    def on_events(self, callback: Callable[[list[dict[str, Any]]], None]) -> None:
        """``callback(events)`` with the events of every committed change (as stored), on the
        thread that made it."""
        self._on_events.append(callback)

    # ------------------------------------------------------------------ reading

    def case(self, user: User, case_id: str) -> Case:
        row = self.store.get(case_id)
        if row is None or not self._may_see(user, row):
            raise CaseNotFound(f"no case {case_id!r}")
        return Case.from_dict(row.state_dict())

    def _may_see(self, user: User, row: CaseRow) -> bool:
        if user.hotline:
            return True
        return user.department in self.store.departments(row.case_id)

    def history(self, user: User, case_id: str) -> list[dict[str, Any]]:
        self.case(user, case_id)
        return [e.data for e in self.store.history(case_id)]

    def find(self, user: User, query: CaseQuery) -> list[CaseRow]:
        if not user.hotline:
            query.department = user.department
        return self.store.find(query)

    def by_call(self, user: User, call_id: str) -> list[CaseRow]:
        return [r for r in self.store.by_call(call_id) if self._may_see(user, r)]

    # ------------------------------------------------------------------ changing

    def open(self, user: User, fields: dict[str, Any]) -> Outcome:
        """受理: a new case from ``fields`` (the CaseOpened fields but id, time and actor)."""
        category = fields.get("category")
        if category not in self.directory.taxonomy:
            raise CaseRefused(f"category: unknown category {category!r}")
        fields = {**fields, "line": self._line_of(fields.get("call_id"))}
        with self._lock:
            now = self.clock()
            for attempt in (1, 2):
                case_id = self._new_id(now, fresh=attempt == 2)
                data = {**fields, "type": "CaseOpened", "case_id": case_id, "at": now,
                        "actor": _actor_dict(user)}
                try:
                    outcome = self._decide(None, data, now)
                except ConcurrentChange:  # another process took the number: read it again
                    if attempt == 2:
                        raise
                    continue
                self._numbers[self._day(now)] = int(case_id.rsplit("-", 1)[1])
                return outcome
            raise AssertionError("unreachable")  # pragma: no cover

    def _line_of(self, call_id: object) -> str:
        """The line a linked call came in on: live, else from its record ("" if unknown)."""
        if not isinstance(call_id, str) or not call_id:
            return ""
        line = self.live_line(call_id)
        if line:
            return line
        record = self.store.records.call(call_id)
        return record.line or "" if record is not None else ""

    def act(self, user: User, case_id: str, kind: str, fields: dict[str, Any]) -> Outcome:
        """Record a ``kind`` event on the case for ``user``; ``fields`` are its own fields."""
        with self._lock:
            case = self.case(user, case_id)
            self._check_request(user, case, kind, fields)
            now = self.clock()
            data = {**fields, "type": kind, "case_id": case_id, "at": now, "actor": _actor_dict(user)}
            return self._decide(case, data, now)

    def record_system(self, case_id: str, kind: str, fields: dict[str, Any]) -> Outcome:
        """Record a ``kind`` event by the engine itself (``SYSTEM``) on the case."""
        with self._lock:
            row = self.store.get(case_id)
            if row is None:
                raise CaseNotFound(f"no case {case_id!r}")
            case = Case.from_dict(row.state_dict())
            now = self.clock()
            data = {**fields, "type": kind, "case_id": case_id, "at": now,
                    "actor": {"user": SYSTEM.user, "role": SYSTEM.role.value, "department": None}}
            return self._decide(case, data, now)

    def _check_request(self, user: User, case: Case, kind: str, fields: dict[str, Any]) -> None:
        for name in ("lead", "department"):
            value = fields.get(name)
            if value is not None and value not in self.directory.departments:
                raise CaseRefused(f"{name}: unknown department {value!r}")
        for value in fields.get("assisting") or ():
            if value not in self.directory.departments:
                raise CaseRefused(f"assisting: unknown department {value!r}")
        department = fields.get("department")
        if (kind in ("SignedFor", "Replied", "Returned", "ExtensionRequested", "Reminded")
                and department is not None and department not in case.departments):
            raise CaseRefused(f"department: {department!r} does not own case {case.case_id}")
        if user.role == "agent" and kind in ("Dispatched", "AnsweredDirectly"):
            if case.opened_by != user.username:
                raise Forbidden(f"case_id: an agent may {kind} only their own intake "
                                f"(case {case.case_id} was taken in by {case.opened_by})")
            if case.status is Status.RETURNED:
                raise Forbidden(f"actor.role: case {case.case_id} was returned; a supervisor "
                                "re-dispatches or closes it")

    def _decide(self, case: Case | None, data: dict[str, Any], now: float) -> Outcome:
        event = event_from_dict(data)
        if case is None:
            assert isinstance(event, CaseOpened)
            open_case(event, self.context)  # refused before the detectors remember anything
            repeats = self.repeats.observe(event)
            new, outcome = open_case(event, self.context, repeats)
            commands = (*outcome.commands, *self.clusters.observe(event))
        else:
            new, outcome = decide(case, event, self.context)
            commands = outcome.commands
        return self._commit(case, new, outcome.events, commands)

    def _commit(self, before: Case | None, case: Case, events: Sequence[object],
                commands: Sequence[object]) -> Outcome:
        dicts = [event_to_dict(e) for e in events]
        if dicts:
            extra: list[tuple[str, Sequence[Any]]] = []
            for hook in self._commit_hooks:
                try:
                    extra += hook(before, case, dicts)
                except Exception:  # a notice must never stop the case's own change
                    log.exception("case %s: commit hook %r failed", case.case_id, hook)
            self.store.commit(self._row(case), dicts, self._departments(case),
                              expected_version=before.version if before is not None else 0, extra=extra)
        for sink in self._sinks:
            try:
                sink(commands)
            except Exception:
                log.exception("case command sink %r failed", sink)
        for callback in self._on_change:
            callback()
        for listener in self._on_events if dicts else ():
            try:
                listener(dicts)
            except Exception:
                log.exception("case event listener %r failed", listener)
        return Outcome(case, dicts, list(commands))

    # ------------------------------------------------------------------ timers

    def next_deadline(self) -> float | None:
        return self.store.next_deadline()

    def fire_due(self, now: float | None = None, limit: int = 500) -> int:
        """Apply the workflow's timer to every case whose deadline has come; returns how many."""
        now = self.clock() if now is None else now
        fired = 0
        for case_id in self.store.due(now, limit):
            with self._lock:
                row = self.store.get(case_id)
                if row is None or row.next_deadline is None or row.next_deadline > now:
                    continue
                case = Case.from_dict(row.state_dict())
                try:
                    new, outcome = timer(case, now, self.context)
                except CaseError:
                    log.exception("case %s: timer refused", case_id)
                    continue
                self._commit(case, new, outcome.events, outcome.commands)
                fired += 1
        return fired

    # ------------------------------------------------------------------ figures

    def cases_for(self, start: float, end: float, lookback_days: float = 60) -> list[Case]:
        """The cases that may count in ``[start, end)``: opened in it, or up to
        ``lookback_days`` before it (dispatched, returned or re-dispatched within it)."""
        return [Case.from_dict(state) for state in self.store.states_in(start - lookback_days * DAY, end)]

    def evaluation(self, start: float, end: float) -> Evaluation:
        from cases.evaluation import evaluate

        return evaluate(self.cases_for(start, end), start, end)

    def report(self, start: float, end: float) -> RoutineReport:
        from cases.report import routine_report

        return routine_report(self.cases_for(start, end), start, end, self.directory.taxonomy)

    def special(self, start: float, end: float, minimum: int = 10) -> list[Hotspot]:
        """专题: the places and subjects where requests concentrated in the period."""
        from cases.report import special_report

        return special_report(self.cases_for(start, end, lookback_days=0), start, end, minimum)

    def period(self, first_day: dt.date, last_day: dt.date) -> tuple[float, float]:
        """Epoch bounds of the local days ``first_day`` to ``last_day`` inclusive."""
        if last_day < first_day:
            raise CaseRefused("end: before start")
        start = dt.datetime.combine(first_day, dt.time(), self.tz).timestamp()
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), self.tz).timestamp()
        return start, end

    # ------------------------------------------------------------------ projection

    def _row(self, case: Case) -> CaseRow:
        cards = {c.value for (_, _, c) in case.cards}
        return CaseRow(
            case_id=case.case_id, status=case.status.value, category=case.category,
            urgency=case.urgency.value, channel=case.channel.value,
            caller=case.caller_number or None, district=case.district or None,
            address=case.address or None, call_id=case.call_id, intake_by=case.opened_by,
            created_at=case.opened_at, day=self._day(case.opened_at), closed_at=case.closed_at,
            next_deadline=next_deadline(case, self.context.rules),
            card="red" if "red" in cards else ("yellow" if cards else None),
            supervised=int(bool(case.supervision)), extension_pending=case.extension_pending,
            version=case.version,
            state=json.dumps(case.to_dict(), ensure_ascii=False),
        )

    @staticmethod
    def _departments(case: Case) -> list[tuple[str, str]]:
        return [(d, "lead" if d == case.lead else "assisting") for d in case.departments]

    def _day(self, at: float) -> str:
        return dt.datetime.fromtimestamp(at, self.tz).date().isoformat()

    def _new_id(self, now: float, fresh: bool = False) -> str:
        """``YYYYMMDD-NNNNNN``: the intake day and its running number (read from the store
        once a day, then counted here)."""
        day = self._day(now)
        if fresh or day not in self._numbers:
            with self._lock:
                last = self.store.backend.query("SELECT MAX(case_id) FROM cases WHERE day = ?",
                                                (day,))[0][0]
            self._numbers = {day: int(last.rsplit("-", 1)[1]) if last else 0}
        return f"{day.replace('-', '')}-{self._numbers[day] + 1:06d}"


def _actor_dict(user: User) -> dict[str, Any]:
    return {"user": user.username, "role": user.role, "department": user.department}


@dataclass
class Casework:
    """The case side of the engine, built by the composition root."""

    store: CaseStore
    accounts: Accounts
    kb: KnowledgeBase
    service: CaseService
    alerts: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))

    def keep_alerts(self, commands: Sequence[object]) -> None:
        """A sink: cluster alerts for the supervisors' board (the latest 200)."""
        for command in commands:
            if isinstance(command, Alert):
                self.alerts.appendleft({"kind": command.kind, "key": command.key,
                                        "count": command.count, "window": command.window,
                                        "case_ids": list(command.case_ids)})

    def answer(self, user: User, case_id: str, answer: str, article_id: str | None = None) -> Outcome:
        """直办: answered on the spot, with the knowledge-base article used (linked to the case)."""
        self.service.case(user, case_id)
        if article_id is not None and self.kb.article(article_id) is None:
            raise CaseRefused(f"article_id: no article {article_id!r}")
        outcome = self.service.act(user, case_id, "AnsweredDirectly",
                                   {"answer": answer, "article_id": article_id})
        if article_id is not None:
            self.kb.link(case_id, article_id, by=user.username)
        return outcome

    def close(self) -> None:
        self.store.close()


def build_service(store: CaseStore, *, timezone: str = "Asia/Shanghai",
                  clock: Callable[[], float] = time.time, rules: Rules | None = None,
                  calendar: WorkCalendar | None = None, cluster_threshold: int = 20,
                  cluster_window: float = DAY) -> CaseService:
    """The service over ``store`` with the imported (or shipped) taxonomy and departments."""
    directory = load_directory(store)
    context = Context(directory.taxonomy, frozenset(directory.departments),
                      calendar or WorkCalendar(tz=timezone), rules or Rules())
    return CaseService(store, directory, context, clock=clock, timezone=timezone,
                       cluster_threshold=cluster_threshold, cluster_window=cluster_window)


def build_casework(url: str, *, timezone: str = "Asia/Shanghai", clock: Callable[[], float] = time.time,
                   rules: Rules | None = None, calendar: WorkCalendar | None = None,
                   hasher: PasswordHasher | None = None, cluster_threshold: int = 20,
                   cluster_window: float = DAY) -> Casework:
    """Open the store at ``url`` and wire the service over the imported (or shipped) taxonomy
    and departments. Raises ``StoreError``."""
    store = CaseStore.open(url, timezone=timezone)
    service = build_service(store, timezone=timezone, clock=clock, rules=rules, calendar=calendar,
                            cluster_threshold=cluster_threshold, cluster_window=cluster_window)
    casework = Casework(store, Accounts(store.records, hasher=hasher), KnowledgeBase(store), service)
    service.add_sink(casework.keep_alerts)
    service.add_sink(log_commands)
    return casework


def log_commands(commands: Sequence[object]) -> None:
    for command in commands:
        log.info("case command: %s", command)

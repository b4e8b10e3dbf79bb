"""Hypothesis state-machine tests of the case core, driven through ``Hotline`` on a virtual clock
over real holidays: random citizens, agents, departments and supervisors (also acting where
they must not), timers firing as time passes, then every open case carried to its end."""

from __future__ import annotations

import json
from collections import defaultdict

from hypothesis import event as note
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from cases import commands as cmd
from cases import events as ev
from cases.case import Case
from cases.clusters import DAY
from cases.errors import CaseError
from cases.hotline import Hotline
from cases.model import (
    SYSTEM,
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
from cases.workflow import next_deadline
from tests.cases.helpers import AGENT, CAL, SUPERVISOR, TAXONOMY, at, context

DEPTS = ("roads", "housing", "market")
CALLERS = ("13800000001", "13800000002", "13800000003", "13800000004")
PLACES = ("经十路100号", "泉城路8号", "")
CATEGORIES = ("030101", "0101", "0201", "0401", "0501", "0601")
KINDS = ("AnsweredDirectly", "Dispatched", "SignedFor", "Returned", "ExtensionRequested", "ExtensionDecided",
         "Replied", "VisitResult", "VisitResult", "Supervised", "Remarked", "Closed", "CardRaised")
WATCHED = {
    Status.OPEN: {DeadlineKind.DISPATCH}, Status.RETURNED: {DeadlineKind.DISPATCH},
    Status.DISPATCHED: {DeadlineKind.SIGN, DeadlineKind.REPLY}, Status.HANDLING: {DeadlineKind.REPLY},
    Status.REPLIED: {DeadlineKind.VISIT}, Status.ANSWERED: {DeadlineKind.VISIT}, Status.CLOSED: set(),
}
USERS = (AGENT, SUPERVISOR, *(Actor(f"{d}-1", Role.DEPARTMENT, d) for d in DEPTS))


class CaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ctx = context(visit_rate=0.5, repeat_count=3, repeat_days=10, visit_attempts=2,
                           max_rehandles=1)
        self.hotline = Hotline(self.ctx)
        self.now = at(2024, 9, 20, 9)
        self.logs: dict[str, list[ev.Event]] = defaultdict(list)
        self.opened: list[str] = []
        self.intakes: list[ev.CaseOpened] = []
        self.commands: list[cmd.Command] = []

    # ---- driving

    @initialize()
    def start(self) -> None:
        assert self.hotline.next_deadline() is None
        self.intake(CALLERS[0], PLACES[0], CATEGORIES[0], Urgency.NORMAL, Channel.PHONE)

    def _record(self, outcome_events: tuple[ev.Event, ...], commands: tuple[cmd.Command, ...]) -> None:
        for event in outcome_events:
            self.logs[event.case_id].append(event)
        self.commands.extend(commands)
        for event in outcome_events:
            self._check_rules(event, outcome_events, commands)

    def _apply(self, event: ev.Event) -> bool:
        before = self.hotline.cases.get(event.case_id)
        snapshot = before.to_dict() if before is not None else None
        try:
            outcome = self.hotline.apply(event)
        except CaseError:
            after = self.hotline.cases.get(event.case_id)
            assert (after.to_dict() if after is not None else None) == snapshot  # nothing changed
            return False
        note(f"accepted {type(event).__name__}")
        if event.actor.role is Role.DEPARTMENT:  # a department acts only on its own cases
            assert before is not None and event.actor.department in before.departments
        self._record(outcome.events, outcome.commands)
        return True

    @precondition(lambda self: len(self.opened) < 8)
    @rule(caller=st.sampled_from(CALLERS), place=st.sampled_from(PLACES),
          category=st.sampled_from(CATEGORIES), urgency=st.sampled_from(list(Urgency)),
          channel=st.sampled_from(list(Channel)))
    def intake(self, caller: str, place: str, category: str, urgency: Urgency, channel: Channel) -> None:
        case_id = f"c{len(self.opened) + 1}"
        event = ev.CaseOpened(case_id, self.now, AGENT, channel, category, "诉求", urgency, caller,
                              address=place, district="历下区")
        assert self._apply(event)
        self.opened.append(case_id)
        self.intakes.append(event)

    @rule(hours=st.floats(0.1, 72))
    def time_passes(self, hours: float) -> None:
        self.now += hours * 3600
        outcome = self.hotline.on_timer(self.now)
        self._record(outcome.events, outcome.commands)
        due = self.hotline.next_deadline()
        assert due is None or due > self.now

    @rule(data=st.data(), visit=st.tuples(st.booleans(), st.booleans(), st.booleans()), detour=st.booleans())
    def advance(self, data: st.DataObject, visit: tuple[bool, bool, bool], detour: bool) -> None:
        """The ordinary next step of a case, or its usual detour (direct answer, return, extension
        asked or refused); visits with any outcome."""
        live = [c for c in self.opened if not self.hotline.cases[c].closed]
        case = self.hotline.cases[data.draw(st.sampled_from(live or self.opened))]
        if not case.closed:
            step = self._detour(case) if detour else self._next_step(case)
            if isinstance(step, ev.VisitResult):
                step = ev.VisitResult(step.case_id, step.at, step.actor, *visit)
            assert self._apply(step)

    @rule(data=st.data(), kind=st.sampled_from(KINDS), anyone=st.booleans(), elsewhere=st.booleans())
    def act(self, data: st.DataObject, kind: str, anyone: bool, elsewhere: bool) -> None:
        """Mostly the actor and department the step calls for; sometimes anyone, anywhere."""
        live = [c for c in self.opened if not self.hotline.cases[c].closed]
        case = self.hotline.cases[data.draw(st.sampled_from(live or self.opened))]
        dept = data.draw(st.sampled_from(DEPTS)) if elsewhere or not case.lead else case.lead
        lead = Actor(f"{dept}-1", Role.DEPARTMENT, dept)
        actor = data.draw(st.sampled_from(USERS)) if anyone else {
            "SignedFor": lead, "Returned": lead, "ExtensionRequested": lead, "Replied": lead,
            "ExtensionDecided": SUPERVISOR, "Supervised": SUPERVISOR,
        }.get(kind, AGENT)
        cid, n = case.case_id, self.now
        flag = st.booleans()
        event: ev.Event = {
            "AnsweredDirectly": lambda: ev.AnsweredDirectly(cid, n, actor, "答复", "kb-1"),
            "Dispatched": lambda: ev.Dispatched(cid, n, actor, data.draw(st.sampled_from(DEPTS)), tuple(
                data.draw(st.lists(st.sampled_from(DEPTS), max_size=1)))),
            "SignedFor": lambda: ev.SignedFor(cid, n, actor, dept),
            "Returned": lambda: ev.Returned(cid, n, actor, dept, "非本单位职责"),
            "ExtensionRequested": lambda: ev.ExtensionRequested(cid, n, actor, dept,
                                                                data.draw(st.integers(1, 12)), "协调中"),
            "ExtensionDecided": lambda: ev.ExtensionDecided(cid, n, actor, data.draw(flag)),
            "Replied": lambda: ev.Replied(cid, n, actor, dept, "已办理"),
            "VisitResult": lambda: ev.VisitResult(cid, n, actor, data.draw(flag), data.draw(flag),
                                                  data.draw(flag)),
            "Supervised": lambda: ev.Supervised(cid, n, actor, SupervisionReason.MANUAL),
            "Remarked": lambda: ev.Remarked(cid, n, actor, "备注"),
            "Closed": lambda: ev.Closed(cid, n, actor, data.draw(st.sampled_from(list(CloseReason)))),
            "CardRaised": lambda: ev.CardRaised(cid, n, actor, DeadlineKind.REPLY, Card.RED, n),
        }[kind]()
        self._apply(event)

    # ---- the rules that must fire

    def _check_rules(self, event: ev.Event, events: tuple[ev.Event, ...], commands: tuple[cmd.Command, ...]
                     ) -> None:
        reasons = {e.reason for e in events if isinstance(e, ev.Supervised) and e.case_id == event.case_id}
        raised = {c.reason for c in commands if isinstance(c, cmd.RaiseSupervision)}
        assert reasons <= raised  # every supervision reaches the board
        case = self.hotline.cases[event.case_id]
        rules = self.ctx.rules
        if isinstance(event, ev.CaseOpened):
            if event.urgency in rules.supervise_urgencies:
                assert SupervisionReason.URGENT in reasons
            if self._repeated(event):
                assert SupervisionReason.REPEATED in reasons
            else:
                assert SupervisionReason.REPEATED not in reasons
        if isinstance(event, ev.VisitResult) and event.reached and not event.satisfied:
            assert SupervisionReason.DISSATISFIED in reasons
        if isinstance(event, ev.CardRaised) and event.card == "red":
            assert SupervisionReason.OVERDUE in reasons
        if isinstance(event, ev.DeadlineSet):
            self._check_deadline(event, case, events[0])
        if isinstance(event, ev.Returned):  # the hotline is told and has a deadline to act
            assert any(isinstance(e, ev.DeadlineSet) and e.deadline is DeadlineKind.DISPATCH for e in events)
            due = case.deadlines[DeadlineKind.DISPATCH]
            assert cmd.NotifyHotline(event.case_id, "returned", due) in commands

    def _repeated(self, event: ev.CaseOpened) -> bool:
        window = self.ctx.rules.repeat_days * DAY
        earlier = [e for e in self.intakes if e.at > event.at - window]
        same_caller = sum(e.caller_number == event.caller_number for e in earlier) + 1
        same_place = sum(e.address == event.address and e.category == event.category for e in earlier) + 1
        n = self.ctx.rules.repeat_count
        return same_caller >= n or (bool(event.address) and same_place >= n)

    def _check_deadline(self, event: ev.DeadlineSet, case: Case, cause: ev.Event) -> None:
        rules = self.ctx.rules
        if isinstance(cause, ev.ExtensionDecided):  # the old deadline plus the days granted
            assert cause.approved and event.deadline is DeadlineKind.REPLY
            before = [e for e in self.logs[case.case_id]
                      if isinstance(e, ev.DeadlineSet) and e.deadline is DeadlineKind.REPLY][-2]
            asked = [e for e in self.logs[case.case_id] if isinstance(e, ev.ExtensionRequested)][-1]
            old_day = CAL.date_of(before.due - 1)
            assert CAL.working_days_between(old_day, CAL.date_of(event.due - 1)) == asked.days
        elif event.deadline is DeadlineKind.REPLY:
            days = rules.reply_working_days(TAXONOMY.get(case.category), case.urgency)
            assert event.due >= CAL.due_after(event.at, days)  # never earlier than the rule
            assert CAL.is_working_day(CAL.date_of(event.due - 1))
        elif event.deadline is DeadlineKind.DISPATCH:
            assert event.due == CAL.due_after(event.at, rules.dispatch_working_days)
        elif event.deadline is DeadlineKind.SIGN:
            assert event.due >= event.at + rules.sign_hours * 3600
            assert CAL.is_working_day(CAL.date_of(event.due - 1))
        else:
            assert event.due == CAL.due_after(event.at, rules.visit_working_days)

    # ---- invariants

    @invariant()
    def no_case_lost_and_the_log_is_the_truth(self) -> None:
        assert sorted(self.hotline.cases) == sorted(self.opened)
        for case_id in self.opened[-3:]:  # the log replays to the same case (recent ones: cost)
            assert Case.replay(self.logs[case_id]) == self.hotline.cases[case_id]

    @invariant()
    def one_timer_queue_for_all_cases(self) -> None:
        dues = [next_deadline(c, self.ctx.rules) for c in self.hotline.cases.values()]
        assert self.hotline.next_deadline() == min((d for d in dues if d is not None), default=None)

    @invariant()
    def closed_at_most_once(self) -> None:
        for case_id in self.opened:
            closes = [e for e in self.logs[case_id] if isinstance(e, ev.Closed)]
            case = self.hotline.cases[case_id]
            assert len(closes) == (1 if case.status is Status.CLOSED else 0)
            # Nothing gets stuck: a live case always has the deadline of the step it waits for.
            assert WATCHED[case.status] <= set(case.deadlines), (case.status, case.deadlines)

    def teardown(self) -> None:
        """Carry every open case to its end with the ordinary next step; each closes exactly once,
        and every return was followed by a re-dispatch or the closure."""
        for case_id in self.opened:
            for _ in range(12):
                case = self.hotline.cases[case_id]
                if case.closed:
                    break
                self.now += 3600
                assert self._apply(self._next_step(case))
            case = self.hotline.cases[case_id]
            assert case.closed, case
            log = self.logs[case_id]
            assert sum(isinstance(e, ev.Closed) for e in log) == 1
            handled = ev.Dispatched | ev.Closed | ev.AnsweredDirectly
            for i, event in enumerate(log):
                if isinstance(event, ev.Returned):
                    assert any(isinstance(e, handled) for e in log[i:])
            assert Case.replay(log) == case
            assert Case.from_dict(json.loads(json.dumps(case.to_dict()))) == case

    def _detour(self, case: Case) -> ev.Event:
        n, cid, dept = self.now, case.case_id, case.lead or ""
        lead = Actor(f"{dept}-1", Role.DEPARTMENT, dept) if dept else SYSTEM
        match case.status:
            case Status.OPEN | Status.RETURNED:
                return ev.AnsweredDirectly(cid, n, AGENT, "答复", "kb-1")
            case Status.DISPATCHED:
                return ev.Returned(cid, n, lead, dept, "非本单位职责")
            case Status.HANDLING if case.extension_pending is not None:
                return ev.ExtensionDecided(cid, n, SUPERVISOR, False)
            case Status.HANDLING:
                return ev.ExtensionRequested(cid, n, lead, dept, 3, "协调中")
            case _:
                return self._next_step(case)

    def _next_step(self, case: Case) -> ev.Event:
        n, cid = self.now, case.case_id
        lead = Actor(f"{case.lead}-1", Role.DEPARTMENT, case.lead) if case.lead else SYSTEM
        match case.status:
            case Status.OPEN | Status.RETURNED:
                return ev.Dispatched(cid, n, AGENT, "roads")
            case Status.DISPATCHED:
                return ev.SignedFor(cid, n, lead, case.lead or "")
            case Status.HANDLING if case.extension_pending is not None:
                return ev.ExtensionDecided(cid, n, SUPERVISOR, True)
            case Status.HANDLING:
                return ev.Replied(cid, n, lead, case.lead or "", "已办理")
            case _:
                return ev.VisitResult(cid, n, AGENT, True, True, True)


CaseMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestCaseMachine = CaseMachine.TestCase

"""The case workflow on a hand-advanced clock: intake to closure, refusals, derived events."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import commands as cmd
from cases import events as ev
from cases.calendar import CalendarGap
from cases.case import Case
from cases.errors import CaseError, Forbidden, IllegalTransition
from cases.model import Card, Channel, CloseReason, DeadlineKind, Status, SupervisionReason, Urgency
from cases.workflow import CaseWorkflow
from tests.cases.helpers import AGENT, HOUSING, ROADS, SUPERVISOR, at, context, local


def opened(case_id: str = "c1", when: float | None = None, **fields: object) -> ev.CaseOpened:
    base: dict[str, object] = dict(
        channel=Channel.PHONE, category="030101", text="经十路施工夜间噪音", caller_number="13800000001",
        address="经十路100号", district="历下区",
    )
    base.update(fields)
    return ev.CaseOpened(case_id, at(2024, 9, 27, 10) if when is None else when, AGENT, **base)  # type: ignore[arg-type]


def test_transfer_sign_reply_visit_close_over_national_day() -> None:
    flow, out = CaseWorkflow.open(opened(), context())
    assert flow.case.status is Status.OPEN
    assert local(flow.case.deadlines[DeadlineKind.DISPATCH]) == dt.datetime(2024, 10, 1)  # end of 30 Sep
    out = flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads", ("housing",)))
    assert flow.case.status is Status.DISPATCHED
    assert local(flow.case.deadlines[DeadlineKind.REPLY]) == dt.datetime(2024, 10, 11)  # 5 working days
    assert {(c.department, c.kind) for c in out.commands if isinstance(c, cmd.NotifyDepartment)} == {
        ("roads", "dispatched"), ("housing", "dispatched")}
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 15), HOUSING, "housing"))
    assert flow.case.status is Status.DISPATCHED  # an assisting department's sign-for
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 16), ROADS, "roads"))
    assert flow.case.status is Status.HANDLING and DeadlineKind.SIGN not in flow.case.deadlines
    out = flow.apply(ev.Replied("c1", at(2024, 10, 9, 9), ROADS, "roads", "已协调施工单位夜间停工"))
    assert flow.case.status is Status.REPLIED
    [visit] = [c for c in out.commands if isinstance(c, cmd.ScheduleReturnVisit)]
    assert visit.attempt == 1 and local(visit.due or 0) == dt.datetime(2024, 10, 13)  # 10, 11, Sat 12
    out = flow.apply(ev.VisitResult("c1", at(2024, 10, 9, 15), AGENT, True, True, True))
    assert flow.case.status is Status.CLOSED and flow.case.close_reason is CloseReason.SATISFIED
    assert [type(e).__name__ for e in out.events] == ["VisitResult", "Closed"]
    assert flow.next_deadline() is None


def test_cards_reminders_and_overdue_supervision_on_a_hand_advanced_clock() -> None:
    flow, _ = CaseWorkflow.open(opened(), context())
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"))
    reply_due = flow.case.deadlines[DeadlineKind.REPLY]
    assert flow.on_timer(at(2024, 10, 9, 23)) == flow.on_timer(at(2024, 10, 9, 23))  # nothing yet
    assert flow.next_deadline() == reply_due - 24 * 3600
    out = flow.on_timer(reply_due - 24 * 3600)
    assert [type(e).__name__ for e in out.events] == ["CardRaised", "Reminded"]
    assert cmd.SendReminder("c1", "roads", DeadlineKind.REPLY, reply_due) in out.commands
    assert flow.on_timer(reply_due - 60).events == ()  # the yellow card is raised once
    assert flow.next_deadline() == reply_due
    out = flow.on_timer(reply_due)
    assert (DeadlineKind.REPLY, reply_due, Card.RED) in flow.case.cards
    assert cmd.RaiseSupervision("c1", SupervisionReason.OVERDUE, ("roads",)) in out.commands
    assert flow.next_deadline() is None and flow.on_timer(reply_due + 1e6).events == ()


def test_returned_case_is_redispatched_within_two_working_days() -> None:
    flow, _ = CaseWorkflow.open(opened(), context())
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "housing"))
    out = flow.apply(ev.Returned("c1", at(2024, 9, 29, 9), HOUSING, "housing", "不属于本单位职责"))
    assert flow.case.status is Status.RETURNED and flow.case.departments == ()
    assert cmd.NotifyHotline("c1", "returned", at(2024, 10, 9)) in out.commands  # 29, 30 Sep, 8 Oct
    with pytest.raises(Forbidden):  # housing no longer owns it
        flow.apply(ev.Remarked("c1", at(2024, 9, 29, 10), HOUSING, "x"))
    flow.apply(ev.Dispatched("c1", at(2024, 9, 30, 9), AGENT, "roads"))
    assert flow.case.lead == "roads" and flow.case.status is Status.DISPATCHED
    assert [a.department for a in flow.case.assignments if a.active] == ["roads"]


def test_extension_moves_the_deadline_only_when_approved() -> None:
    flow, _ = CaseWorkflow.open(opened(), context())
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"))
    due = flow.case.deadlines[DeadlineKind.REPLY]
    flow.apply(ev.ExtensionRequested("c1", at(2024, 9, 29, 9), ROADS, "roads", 3, "需要协调施工方"))
    flow.apply(ev.ExtensionDecided("c1", at(2024, 9, 29, 10), SUPERVISOR, False))
    assert flow.case.deadlines[DeadlineKind.REPLY] == due
    flow.apply(ev.ExtensionRequested("c1", at(2024, 9, 30, 9), ROADS, "roads", 3, "需要协调施工方"))
    out = flow.apply(ev.ExtensionDecided("c1", at(2024, 9, 30, 10), SUPERVISOR, True))
    assert local(flow.case.deadlines[DeadlineKind.REPLY]) == dt.datetime(2024, 10, 15)  # 11, 12, 14 Oct
    assert cmd.NotifyDepartment("c1", "roads", "extension-approved", at(2024, 10, 15)) in out.commands
    assert flow.case.lead_assignment().extension_days == 3  # type: ignore[union-attr]


def test_dissatisfied_visit_is_rehandled_then_closed_after_the_last_round() -> None:
    flow, _ = CaseWorkflow.open(opened(), context(max_rehandles=1))
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"))
    flow.apply(ev.Replied("c1", at(2024, 9, 29, 9), ROADS, "roads", "已处理"))
    out = flow.apply(ev.VisitResult("c1", at(2024, 9, 29, 15), AGENT, True, False, False))
    assert flow.case.status is Status.HANDLING and flow.case.rehandles == 1
    assert cmd.RaiseSupervision("c1", SupervisionReason.DISSATISFIED, ("roads",)) in out.commands
    assert local(flow.case.deadlines[DeadlineKind.REPLY]) == dt.datetime(2024, 10, 12)  # from 29 Sep
    flow.apply(ev.Replied("c1", at(2024, 9, 30, 9), ROADS, "roads", "再次处理"))
    flow.apply(ev.VisitResult("c1", at(2024, 9, 30, 15), AGENT, True, False, False))
    assert flow.case.close_reason is CloseReason.DISSATISFIED


def test_unreachable_after_n_attempts_is_closed() -> None:
    flow, _ = CaseWorkflow.open(opened(), context(visit_attempts=2))
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"))
    flow.apply(ev.Replied("c1", at(2024, 9, 29, 9), ROADS, "roads", "已处理"))
    out = flow.apply(ev.VisitResult("c1", at(2024, 9, 29, 10), AGENT, False))
    assert out.commands == (cmd.ScheduleReturnVisit("c1", 2, at(2024, 9, 29, 14), at(2024, 10, 10)),)
    flow.apply(ev.VisitResult("c1", at(2024, 9, 29, 14), AGENT, False))
    assert flow.case.close_reason is CloseReason.UNREACHABLE


def test_direct_answers_are_closed_at_once_or_visited_by_sample() -> None:
    flow, _ = CaseWorkflow.open(opened(category="0103"), context(visit_rate=0.0))
    flow.apply(ev.AnsweredDirectly("c1", at(2024, 9, 27, 10, 5), AGENT, "按政策可以提取", "kb-12"))
    assert flow.case.close_reason is CloseReason.ANSWERED and flow.case.article_id == "kb-12"
    flow, _ = CaseWorkflow.open(opened(category="0103"), context(visit_rate=1.0))
    out = flow.apply(ev.AnsweredDirectly("c1", at(2024, 9, 27, 10, 5), AGENT, "按政策可以提取", "kb-12"))
    assert flow.case.status is Status.ANSWERED and isinstance(out.commands[0], cmd.ScheduleReturnVisit)
    flow.apply(ev.VisitResult("c1", at(2024, 9, 27, 16), AGENT, True, False, False))
    assert flow.case.status is Status.OPEN  # back to the hotline


def test_urgent_intake_is_supervised_and_emergency_prompted() -> None:
    flow, out = CaseWorkflow.open(opened(text="楼道里着火了", urgency=Urgency.CRITICAL), context())
    assert cmd.PromptEmergencyRedirect("c1", "119") in out.commands
    assert [r for r, _ in flow.case.supervision] == [SupervisionReason.URGENT]
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    assert local(flow.case.deadlines[DeadlineKind.REPLY]) == dt.datetime(2024, 9, 28)  # the same day


def _refused(flow: CaseWorkflow, event: ev.Event, error: type[Exception], match: str) -> None:
    before = flow.case.to_dict()
    with pytest.raises(error, match=match):
        flow.apply(event)
    assert flow.case.to_dict() == before


def test_bad_input_is_refused_precisely_and_changes_nothing() -> None:
    with pytest.raises(CaseError, match="category: unknown code '9999'"):
        CaseWorkflow.open(opened(category="9999"), context())
    with pytest.raises(CaseError, match="caller_number: expected 3-20 digits"):
        CaseWorkflow.open(opened(caller_number="138-0000"), context())
    with pytest.raises(CaseError, match="text: the request text is empty"):
        CaseWorkflow.open(opened(text=" \n"), context())
    with pytest.raises(CaseError, match="language: 'Chinese' is not a language code"):
        CaseWorkflow.open(opened(language="Chinese"), context())
    with pytest.raises(CaseError, match="emergency: expected one of 110, 119, 120, 122"):
        CaseWorkflow.open(opened(emergency="911"), context())
    with pytest.raises(CalendarGap, match="no holiday data for 2027"):
        CaseWorkflow.open(opened(when=at(2026, 12, 31, 10)), context())
    flow, _ = CaseWorkflow.open(opened(), context())
    _refused(flow, ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "parks"), CaseError,
             "department: unknown department 'parks'")
    _refused(flow, ev.SignedFor("c1", at(2024, 9, 27, 11), ROADS, "roads"), Forbidden,
             "not a case of 'roads'")
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"))
    _refused(flow, ev.Replied("c1", at(2024, 9, 28, 9), HOUSING, "housing", "x"), Forbidden,
             "not a case of 'housing'")
    _refused(flow, ev.Replied("c1", at(2024, 9, 28, 9), ROADS, "housing", "x"), Forbidden,
             "may not act for 'housing'")
    _refused(flow, ev.ExtensionDecided("c1", at(2024, 9, 28, 9), AGENT, True), Forbidden,
             "role 'agent' may not record ExtensionDecided")
    _refused(flow, ev.ExtensionRequested("c1", at(2024, 9, 28, 9), ROADS, "roads", 99, "x"), CaseError,
             "days: at most 10")
    _refused(flow, ev.Reminded("c1", at(2024, 9, 28, 9), AGENT, "housing"), CaseError,
             "department: case c1 is not with 'housing'")
    _refused(flow, ev.Replied("c1", at(2024, 9, 28, 9), SUPERVISOR, "housing", "x"), CaseError,
             "department: case c1 is not with 'housing'")
    out = flow.apply(ev.Reminded("c1", at(2024, 9, 28, 9), AGENT, "roads", "请尽快办理"))
    assert out.commands == (cmd.SendReminder("c1", "roads", DeadlineKind.REPLY,
                                             flow.case.deadlines[DeadlineKind.REPLY]),)
    flow.apply(ev.Closed("c1", at(2024, 9, 28, 9), SUPERVISOR, CloseReason.WITHDRAWN))
    _refused(flow, ev.ExtensionRequested("c1", at(2024, 9, 28, 10), ROADS, "roads", 2, "x"),
             IllegalTransition, "ExtensionRequested not allowed while closed")
    _refused(flow, ev.Closed("c1", at(2024, 9, 28, 10), SUPERVISOR, CloseReason.WITHDRAWN),
             IllegalTransition, "not allowed while closed")


def test_replaying_the_log_gives_the_same_case() -> None:
    log: list[ev.Event] = []
    flow, out = CaseWorkflow.open(opened(), context())
    log += out.events
    for event in (
        ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"),
        ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"),
        ev.Replied("c1", at(2024, 9, 29, 9), ROADS, "roads", "已处理"),
        ev.VisitResult("c1", at(2024, 9, 29, 15), AGENT, True, True, False),
    ):
        log += flow.apply(event).events
    log += flow.on_timer(at(2024, 10, 12)).events
    assert Case.replay(log) == flow.case
    assert Case.from_dict(flow.case.to_dict()) == flow.case


def test_a_copy_shares_nothing_mutable() -> None:
    flow, _ = CaseWorkflow.open(opened(urgency=Urgency.URGENT), context())
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.on_timer(at(2024, 9, 28, 11, 1))
    case = flow.case
    twin = case.copy()
    assert twin == case
    for name in case.__slots__:
        value = getattr(case, name)
        if isinstance(value, list | dict | set):
            assert getattr(twin, name) is not value, name
    for mine, theirs in zip(case.assignments, twin.assignments, strict=True):
        assert mine is not theirs


def test_a_hotline_restored_from_its_log_carries_on_where_it_stopped() -> None:
    from cases.hotline import Hotline

    hotline = Hotline(context())
    log: list[ev.Event] = []
    log += hotline.apply(opened("c1")).events
    log += hotline.apply(opened("c2", when=at(2024, 9, 27, 10, 30))).events
    log += hotline.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads")).events
    log += hotline.on_timer(at(2024, 9, 28, 12)).events  # the sign-for deadline passed: red card
    restored = Hotline(context())
    restored.restore(log)
    assert restored.cases == hotline.cases
    assert restored.next_deadline() == hotline.next_deadline()
    assert restored.on_timer(at(2024, 10, 1)) == hotline.on_timer(at(2024, 10, 1))
    with pytest.raises(CaseError, match="already exists"):
        restored.apply(opened("c1"))
    with pytest.raises(CaseError, match="no case 'c9'"):
        restored.apply(ev.Remarked("c9", at(2024, 10, 1), AGENT, "x"))


def test_timeline_over_spring_festival_hour_by_hour() -> None:
    """Taken in on the eve of the 2024 holiday, dispatched, never signed for: what the timer does,
    hour by hour, until the department is red-carded after the holiday."""
    from cases.hotline import Hotline

    hotline = Hotline(context())
    hotline.apply(opened("c1", when=at(2024, 2, 8, 16)))
    # Dispatch by the end of 18 Feb; one working day left from the end of 9 Feb: the yellow card.
    assert local(hotline.next_deadline() or 0) == dt.datetime(2024, 2, 10)
    hotline.apply(ev.Dispatched("c1", at(2024, 2, 9, 10), AGENT, "roads"))
    case = hotline.cases["c1"]
    assert local(case.deadlines[DeadlineKind.SIGN]) == dt.datetime(2024, 2, 18, 10)  # 14 h + 10 h
    assert local(case.deadlines[DeadlineKind.REPLY]) == dt.datetime(2024, 2, 23)  # 18-22 Feb
    seen = []
    now = at(2024, 2, 9, 10)
    while now < at(2024, 2, 24):
        now += 3600
        due = hotline.next_deadline()
        if due is not None and due <= now:
            for event in hotline.on_timer(now).events:
                label = getattr(event, "card", None) or getattr(event, "reason", None) or ""
                seen.append((local(now), type(event).__name__, str(getattr(label, "value", label))))
    assert seen == [
        # The sign-for limit is as long as the yellow-card window (both 24 working hours).
        (dt.datetime(2024, 2, 9, 11), "CardRaised", "yellow"),
        (dt.datetime(2024, 2, 9, 11), "Reminded", ""),
        (dt.datetime(2024, 2, 18, 10), "CardRaised", "red"),
        (dt.datetime(2024, 2, 18, 10), "Supervised", "overdue"),
        (dt.datetime(2024, 2, 22), "CardRaised", "yellow"),  # the reply deadline, end of 22 Feb
        (dt.datetime(2024, 2, 22), "Reminded", ""),
        (dt.datetime(2024, 2, 23), "CardRaised", "red"),
        (dt.datetime(2024, 2, 23), "Supervised", "overdue"),
    ]


def test_a_supervisor_orders_re_handling_of_a_poor_reply() -> None:
    flow, _ = CaseWorkflow.open(opened(), context())
    flow.apply(ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"))
    flow.apply(ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"))
    flow.apply(ev.Replied("c1", at(2024, 9, 29, 9), ROADS, "roads", "已阅"))
    with pytest.raises(Forbidden, match="role 'agent' may not record RehandleOrdered"):
        flow.apply(ev.RehandleOrdered("c1", at(2024, 9, 29, 10), AGENT, "答复不实"))
    out = flow.apply(ev.RehandleOrdered("c1", at(2024, 9, 29, 10), SUPERVISOR, "答复不实"))
    assert flow.case.status is Status.HANDLING and DeadlineKind.VISIT not in flow.case.deadlines
    assert out.commands == (cmd.NotifyDepartment("c1", "roads", "rehandle", at(2024, 10, 12)),)
    assert flow.case.lead_assignment().rehandles == 1  # type: ignore[union-attr]

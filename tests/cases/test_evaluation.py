"""Evaluation figures and the routine report over a hand-built set of cases."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import events as ev
from cases.evaluation import evaluate, evaluate_logs
from cases.hotline import Hotline
from cases.model import Channel, CloseReason, Urgency
from cases.report import routine_report, special_report
from tests.cases.helpers import AGENT, HOUSING, MARKET, ROADS, SUPERVISOR, TAXONOMY, at, context

T = at(2024, 11, 4, 9)  # a Monday
H = 3600.0


def _intake(hotline: Hotline, cid: str, when: float, category: str = "030101", **fields: object) -> None:
    hotline.apply(ev.CaseOpened(cid, when, AGENT, fields.pop("channel", Channel.PHONE), category,  # type: ignore[arg-type]
                                "诉求", caller_number=f"1380000{cid[1:]:0>4}", district="历下区", **fields))  # type: ignore[arg-type]


class Recording(Hotline):
    """A hotline that also keeps the log of every case, in order."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.log: list[ev.Event] = []

    def apply(self, event: ev.Event):  # type: ignore[no-untyped-def]
        outcome = super().apply(event)
        self.log.extend(outcome.events)
        return outcome


def _month(hotline: Hotline | None = None) -> Hotline:
    hotline = hotline or Hotline(context(visit_rate=0.0))
    # c1: roads, signed late, replied on time, satisfied.
    _intake(hotline, "c1", T)
    hotline.apply(ev.Dispatched("c1", T + H, AGENT, "roads"))
    hotline.apply(ev.SignedFor("c1", T + 30 * H, ROADS, "roads"))
    hotline.apply(ev.Replied("c1", T + 48 * H, ROADS, "roads", "ok"))
    hotline.apply(ev.VisitResult("c1", T + 50 * H, AGENT, True, True, True))
    # c2: housing returns it in time; re-dispatched to roads, which replies late (after a refused
    # extension); the citizen is reached: not solved, dissatisfied -> re-handled, then satisfied.
    _intake(hotline, "c2", T, channel=Channel.WECHAT)
    hotline.apply(ev.Dispatched("c2", T + H, AGENT, "housing", ("market",)))
    hotline.apply(ev.Returned("c2", T + 2 * H, HOUSING, "housing", "不属于本单位"))
    hotline.apply(ev.Dispatched("c2", T + 3 * H, AGENT, "roads"))
    hotline.apply(ev.SignedFor("c2", T + 4 * H, ROADS, "roads"))
    hotline.apply(ev.ExtensionRequested("c2", T + 5 * H, ROADS, "roads", 2, "x"))
    hotline.apply(ev.ExtensionDecided("c2", T + 6 * H, SUPERVISOR, False))
    hotline.apply(ev.Replied("c2", T + 10 * 24 * H, ROADS, "roads", "late"))
    hotline.apply(ev.VisitResult("c2", T + 10 * 24 * H + H, AGENT, True, False, False))
    hotline.apply(ev.Replied("c2", T + 11 * 24 * H, ROADS, "roads", "again"))
    hotline.apply(ev.VisitResult("c2", T + 11 * 24 * H + H, AGENT, True, True, True))
    # c3: answered directly (closed at once); c4: urgent, market, extension approved, still open.
    _intake(hotline, "c3", T + 2 * H, category="0101", language="yue")
    hotline.apply(ev.AnsweredDirectly("c3", T + 2 * H, AGENT, "答复", "kb-1"))
    _intake(hotline, "c4", T + 3 * H, category="0402", urgency=Urgency.URGENT)
    hotline.apply(ev.Dispatched("c4", T + 4 * H, AGENT, "market"))
    hotline.apply(ev.SignedFor("c4", T + 5 * H, MARKET, "market"))
    hotline.apply(ev.ExtensionRequested("c4", T + 6 * H, MARKET, "market", 3, "x"))
    hotline.apply(ev.ExtensionDecided("c4", T + 7 * H, SUPERVISOR, True))
    # c6: withdrawn while market handled it: not a case market had to finish.
    _intake(hotline, "c6", T + 3 * H, category="0402")
    hotline.apply(ev.Dispatched("c6", T + 4 * H, AGENT, "market"))
    hotline.apply(ev.Closed("c6", T + 5 * H, SUPERVISOR, CloseReason.WITHDRAWN))
    # c5: opened the month before: not in the hotline figures.
    _intake(hotline, "c5", T - 30 * 24 * H)
    hotline.apply(ev.Closed("c5", T - 29 * 24 * H, SUPERVISOR, CloseReason.DUPLICATE))
    return hotline


def test_department_and_hotline_figures() -> None:
    result = evaluate(_month().cases.values(), T, T + 30 * 24 * H)
    figures = {d.department: d for d in result.departments}
    roads, housing, market = figures["roads"], figures["housing"], figures["market"]
    assert (roads.received, roads.signed_on_time, roads.responded_in_time) == (2, 1, 1)
    assert (roads.due, roads.closed, roads.closed_on_time, roads.rehandled, roads.extended) == (2, 2, 1, 1, 0)
    assert (roads.visited, roads.solved, roads.satisfied, roads.supervised) == (2, 2, 2, 1)
    assert (housing.received, housing.returned, housing.responded_in_time, housing.due) == (1, 1, 1, 0)
    assert housing.signed_on_time == 0 and housing.rates()["办结率"] is None
    assert (market.received, market.due, market.assisted, market.extended, market.closed) == (2, 1, 1, 1, 0)
    assert market.supervised == 1  # urgent: supervised from intake
    rates = roads.rates()
    assert rates["按时办结率"] == pytest.approx(0.5) and rates["重办率"] == pytest.approx(0.5)
    assert rates["满意率"] == 1.0 and rates["签收及时率"] == 0.5
    hotline = result.hotline
    assert (hotline.opened, hotline.direct, hotline.transferred, hotline.closed) == (5, 1, 4, 4)
    assert hotline.rates() == {"直办率": 0.2, "办结率": 0.8}
    assert hotline.close_reasons == {"satisfied": 2, "answered": 1, "withdrawn": 1}
    assert result.table()[0][:2] == ["department", "received"] and len(result.table()) == 4
    assert result.to_dict()["hotline"]["rates"]["直办率"] == 0.2


def test_routine_report_counts_by_dimension() -> None:
    report = routine_report(_month().cases.values(), T, T + 30 * 24 * H, TAXONOMY)
    assert report.total == 5
    assert report.counts["kind"] == {"投诉": 2, "举报": 2, "咨询": 1}
    assert report.counts["category"]["投诉/城市管理/道路施工"] == 2
    assert report.counts["department"] == {"market": 2, "roads": 1, "housing": 1, "(direct)": 1}
    assert report.counts["channel"] == {"phone": 4, "wechat": 1}
    assert report.counts["language"] == {"zh": 4, "yue": 1}
    assert report.counts["urgency"] == {"一般": 4, "紧急": 1}
    assert report.to_dict()["evaluation"]["hotline"]["opened"] == 5


def test_evaluation_from_event_logs_equals_evaluation_from_projections() -> None:
    hotline = _month(Recording(context(visit_rate=0.0)))
    logs: dict[str, list[ev.Event]] = {}
    for event in hotline.log:  # type: ignore[attr-defined]
        logs.setdefault(event.case_id, []).append(event)
    end = T + 30 * 24 * H
    assert evaluate_logs(logs.values(), T, end) == evaluate(hotline.cases.values(), T, end)


def test_special_report_finds_where_requests_concentrated() -> None:
    hotline = Hotline(context(visit_rate=0.0))
    for i in range(12):
        _intake(hotline, f"c{i}", T + i * H, address="经十路100号" if i % 3 else "泉城路 8 号")
    spots = special_report(hotline.cases.values(), T, T + 24 * H, minimum=4)
    assert [(s.kind, s.key, s.count) for s in spots] == [
        ("subject", "历下区|030101", 12), ("place", "历下区|经十路100号", 8),
        ("place", "历下区|泉城路8号", 4)]
    assert spots[2].case_ids == ("c0", "c3", "c6", "c9") and spots[2].last == T + 9 * H
    assert special_report(hotline.cases.values(), T, T + 24 * H, minimum=13) == []


def test_report_periods_are_local_days_weeks_and_months() -> None:
    from cases.report import period
    from tests.cases.helpers import CAL

    assert period("day", dt.date(2024, 10, 1), CAL) == (at(2024, 10, 1), at(2024, 10, 2))
    assert period("week", dt.date(2024, 10, 3), CAL) == (at(2024, 9, 30), at(2024, 10, 7))
    assert period("month", dt.date(2024, 2, 29), CAL) == (at(2024, 2, 1), at(2024, 3, 1))
    assert period("month", dt.date(2024, 12, 5), CAL) == (at(2024, 12, 1), at(2025, 1, 1))
    with pytest.raises(ValueError, match="expected day, week or month"):
        period("year", dt.date(2024, 1, 1), CAL)  # type: ignore[arg-type]


def test_a_hotline_that_forgets_closed_cases_keeps_only_live_ones() -> None:
    hotline = Hotline(context(visit_rate=0.0), keep_closed=False)
    _intake(hotline, "c1", T)
    outcome = hotline.apply(ev.AnsweredDirectly("c1", T, AGENT, "a"))
    assert [type(e).__name__ for e in outcome.events] == ["AnsweredDirectly", "Closed"]
    assert hotline.cases == {} and hotline.next_deadline() is None
    _intake(hotline, "c2", T)
    assert list(hotline.cases) == ["c2"] and hotline.next_deadline() is not None
    log = _month(Recording(context(visit_rate=0.0))).log  # type: ignore[attr-defined]
    restored = Hotline(context(visit_rate=0.0), keep_closed=False)
    restored.restore(log)
    assert sorted(restored.cases) == ["c4"]  # the only case still open


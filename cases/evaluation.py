"""Evaluation (评价与考核): per-department figures and the hotline's own, over a period.

A pure function over case projections. A department's part in a case counts in the period
its dispatch fell in. Definitions (every rate is None when its base is empty):

* received: dispatches to the department as lead; ``assisted``: as assisting department.
* signed on time (签收及时率): signed for by the sign-for deadline, over received.
* responded in time (响应率): signed for or returned (with a reason) by the sign-for deadline.
* returned (退单率): returned, over received.
* due: received, not returned, and not withdrawn (or found a duplicate) before its reply:
  the cases it had to finish.
* closed (办结率): replied, and the case is closed, over due; closed on time (按时办结率): closed
  and no reply after its reply deadline (an approved extension moves the deadline).
* extended (延期率), re-handled (重办率), supervised (督办: while it held the case, or
  supervised before it came, e.g. urgent): over due.
* solved (解决率), satisfied (满意率): over the department's cases whose citizen was reached on
  the return visit (the last reached visit counts).
* hotline: cases opened in the period; 直办率 direct answers over them, 办结率 closed over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from cases.case import Assignment, Case
from cases.events import Event
from cases.model import CloseReason

_NOT_DUE = frozenset({CloseReason.WITHDRAWN, CloseReason.DUPLICATE})


@dataclass(slots=True)
class DepartmentFigures:
    department: str
    received: int = 0
    assisted: int = 0
    signed_on_time: int = 0
    responded_in_time: int = 0
    returned: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    extended: int = 0
    rehandled: int = 0
    supervised: int = 0
    visited: int = 0
    solved: int = 0
    satisfied: int = 0

    def rates(self) -> dict[str, float | None]:
        return {
            "签收及时率": _rate(self.signed_on_time, self.received),
            "响应率": _rate(self.responded_in_time, self.received),
            "退单率": _rate(self.returned, self.received),
            "办结率": _rate(self.closed, self.due),
            "按时办结率": _rate(self.closed_on_time, self.due),
            "延期率": _rate(self.extended, self.due),
            "重办率": _rate(self.rehandled, self.due),
            "解决率": _rate(self.solved, self.visited),
            "满意率": _rate(self.satisfied, self.visited),
        }

    def count(self, case: Case, part: Assignment) -> None:
        if not part.lead:
            self.assisted += 1
            return
        self.received += 1
        deadline = part.sign_due
        on_time = deadline is not None and part.signed_at is not None and part.signed_at <= deadline
        self.signed_on_time += on_time
        first = min((t for t in (part.signed_at, part.returned_at) if t is not None), default=None)
        self.responded_in_time += deadline is not None and first is not None and first <= deadline
        if part.returned_at is not None:
            self.returned += 1
            return
        if part.replied_at is None and case.close_reason in _NOT_DUE:
            return  # withdrawn or a duplicate before the department replied: nothing to finish
        self.due += 1
        closed = case.closed and part.replied_at is not None
        self.closed += closed
        self.closed_on_time += closed and not part.replied_late
        self.extended += part.extension_days > 0
        self.rehandled += part.rehandles > 0
        self.supervised += part.supervised
        if part.satisfied is not None:
            self.visited += 1
            self.solved += bool(part.solved)
            self.satisfied += part.satisfied


@dataclass(slots=True)
class HotlineFigures:
    opened: int = 0
    direct: int = 0  # 直办
    transferred: int = 0  # 转办
    closed: int = 0
    supervised: int = 0
    close_reasons: dict[str, int] = field(default_factory=dict)

    def rates(self) -> dict[str, float | None]:
        return {"直办率": _rate(self.direct, self.opened), "办结率": _rate(self.closed, self.opened)}


@dataclass(slots=True)
class Evaluation:
    start: float
    end: float
    hotline: HotlineFigures
    departments: list[DepartmentFigures]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start, "end": self.end,
            "hotline": {**asdict(self.hotline), "rates": self.hotline.rates()},
            "departments": [{**asdict(d), "rates": d.rates()} for d in self.departments],
        }

    def table(self) -> list[list[str]]:
        """Rows for a text table: a header, then one row per department (rates in %)."""
        names = list(DepartmentFigures("").rates())
        rows = [["department", "received", "returned", "closed", "supervised", *names]]
        for d in self.departments:
            rows.append([d.department, str(d.received), str(d.returned), str(d.closed), str(d.supervised),
                         *(_percent(r) for r in d.rates().values())])
        return rows


def evaluate(cases: Iterable[Case], start: float, end: float) -> Evaluation:
    """Figures for ``[start, end)``: hotline figures by opening time, departments by dispatch."""
    hotline = HotlineFigures()
    departments: dict[str, DepartmentFigures] = {}
    for case in cases:
        if start <= case.opened_at < end:
            hotline.opened += 1
            hotline.direct += case.handling == "direct"
            hotline.transferred += case.handling == "transfer"
            hotline.supervised += bool(case.supervision)
            if case.close_reason is not None:
                hotline.closed += 1
                reason = case.close_reason.value
                hotline.close_reasons[reason] = hotline.close_reasons.get(reason, 0) + 1
        for part in case.assignments:
            if start <= part.dispatched_at < end:
                figures = departments.get(part.department)
                if figures is None:
                    figures = departments[part.department] = DepartmentFigures(part.department)
                figures.count(case, part)
    return Evaluation(start, end, hotline, [departments[k] for k in sorted(departments)])


def evaluate_logs(logs: Iterable[Iterable[Event]], start: float, end: float) -> Evaluation:
    """``evaluate`` over event logs (one per case) instead of stored projections."""
    return evaluate((Case.replay(log) for log in logs), start, end)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"

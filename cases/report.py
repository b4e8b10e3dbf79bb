"""Reports (信息分析与报告), pure: the routine report (counts of a period's requests by kind,
category, district, department, channel, language and urgency, beside the evaluation), the
special report (专题) on where requests concentrated, and the periods reports are made for."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cases.calendar import WorkCalendar
from cases.case import Case
from cases.clusters import normalise
from cases.evaluation import Evaluation, evaluate
from cases.taxonomy import Taxonomy

DIMENSIONS = ("kind", "category", "district", "department", "channel", "language", "urgency")


@dataclass(slots=True)
class RoutineReport:
    start: float
    end: float
    total: int
    counts: dict[str, dict[str, int]]  # dimension -> value -> requests, most first
    evaluation: Evaluation

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "total": self.total, "counts": self.counts,
                "evaluation": self.evaluation.to_dict()}


def routine_report(cases: Iterable[Case], start: float, end: float,
                   taxonomy: Taxonomy | None = None) -> RoutineReport:
    """Counts of the cases opened in ``[start, end)`` and the period's evaluation. With a
    taxonomy, categories are named by their path and ``kind`` by the top-level name."""
    cases = list(cases)
    counters = {d: Counter[str]() for d in DIMENSIONS}
    total = 0
    for case in cases:
        if not start <= case.opened_at < end:
            continue
        total += 1
        known = taxonomy is not None and case.category in taxonomy
        counters["kind"][taxonomy.path(case.category[:2]) if known and taxonomy else case.category[:2]] += 1
        counters["category"][taxonomy.path(case.category) if known and taxonomy else case.category] += 1
        counters["district"][case.district or "-"] += 1
        lead = next((a.department for a in case.assignments if a.lead), None)
        counters["department"][lead or ("(direct)" if case.handling == "direct" else "-")] += 1
        counters["channel"][case.channel.value] += 1
        counters["language"][case.language] += 1
        counters["urgency"][case.urgency.value] += 1
    counts = {d: dict(c.most_common()) for d, c in counters.items()}
    return RoutineReport(start, end, total, counts, evaluate(cases, start, end))


@dataclass(frozen=True, slots=True)
class Hotspot:
    """Requests that concentrated on one place (district + address) or subject (district +
    category) in the period: the material of a special report (专题报告)."""

    kind: str  # "place" or "subject"
    key: str
    count: int
    first: float
    last: float
    case_ids: tuple[str, ...]


def special_report(cases: Iterable[Case], start: float, end: float, minimum: int = 10,
                   top: int = 20) -> list[Hotspot]:
    """The places and subjects with at least ``minimum`` requests opened in ``[start, end)``,
    most first (at most ``top``)."""
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in cases:
        if not start <= case.opened_at < end:
            continue
        groups[("subject", f"{case.district}|{case.category}")].append(case)
        if case.address:
            groups[("place", f"{case.district}|{normalise(case.address)}")].append(case)
    spots = [
        Hotspot(kind, key, len(members), min(c.opened_at for c in members),
                max(c.opened_at for c in members), tuple(sorted(c.case_id for c in members)))
        for (kind, key), members in groups.items() if len(members) >= minimum
    ]
    spots.sort(key=lambda h: (-h.count, h.kind, h.key))
    return spots[:top]


def period(kind: Literal["day", "week", "month"], day: dt.date,
           calendar: WorkCalendar) -> tuple[float, float]:
    """``[start, end)`` in epoch seconds of the local day, ISO week (Monday first) or month that
    holds ``day``: the periods of the daily, weekly and monthly reports."""
    if kind == "day":
        first, after = day, day + dt.timedelta(days=1)
    elif kind == "week":
        first = day - dt.timedelta(days=day.weekday())
        after = first + dt.timedelta(days=7)
    elif kind == "month":
        first = day.replace(day=1)
        after = (first + dt.timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"period: expected day, week or month, not {kind!r}")
    return calendar.end_of(first - dt.timedelta(days=1)), calendar.end_of(after - dt.timedelta(days=1))

"""The routine report (信息分析与报告): counts of the period's requests by category, district,
department, channel, language and urgency, beside the evaluation figures. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cases.case import Case
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

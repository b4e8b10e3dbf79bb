"""The daily report: offered, answered, connection rate, service level, abandons, ASA and
AHT for a day in the center's timezone, overall and by line, language, queue and agent; and
where every call that reached a line ended (queue, IVR, lost)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from acd.model import ServiceLevelPolicy
from callcenter.records.rows import AGENTSTATE, StoredCall
from callcenter.records.store import RecordStore
from callcenter.reports.agents import AgentFigures, agent_figures
from callcenter.reports.figures import Figures, compute_figures


@dataclass(frozen=True, slots=True)
class Targets:
    """Service level (fraction within the threshold) and connection rate targets."""

    service_level: float = 0.95
    connection_rate: float = 0.95

    def judge(self, figures: Figures) -> dict[str, str]:
        """``met``, ``missed`` or ``n/a`` for each target."""

        def mark(value: float | None, target: float) -> str:
            if value is None:
                return "n/a"
            return "met" if value >= target else "missed"

        return {
            "service_level": mark(figures.service_level, self.service_level),
            "connection_rate": mark(figures.connection_rate, self.connection_rate),
        }


@dataclass(frozen=True, slots=True)
class DailyReport:
    day: str
    timezone: str
    center: str
    policy: ServiceLevelPolicy
    targets: Targets
    overall: Figures
    by_line: dict[str, Figures]
    by_language: dict[str, Figures]
    by_queue: dict[str, Figures]
    agents: list[AgentFigures]
    surveyed: int
    satisfaction_mean: float | None
    transfers: dict[str, int]  # answered calls an agent transferred, by department

    @property
    def definition(self) -> str:
        return self.policy.describe()

    def as_dict(self) -> dict:
        def section(groups: dict[str, Figures]) -> dict:
            return {name: {**f.as_dict(), "targets": self.targets.judge(f)}
                    for name, f in groups.items()}

        return {
            "day": self.day,
            "timezone": self.timezone,
            "center": self.center,
            "service_level_definition": self.definition,
            "targets": {"service_level": self.targets.service_level,
                        "threshold_seconds": self.policy.threshold_seconds,
                        "connection_rate": self.targets.connection_rate},
            "overall": {**self.overall.as_dict(), "targets": self.targets.judge(self.overall)},
            "by_line": section(self.by_line),
            "by_language": section(self.by_language),
            "by_queue": section(self.by_queue),
            "agents": [a.as_dict() for a in self.agents],
            "satisfaction": {"surveyed": self.surveyed, "mean_score": self.satisfaction_mean},
            "transfers": {"total": sum(self.transfers.values()),
                          "handled_directly": self.overall.answered - sum(self.transfers.values()),
                          "by_department": self.transfers},
        }


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` day; raises ``ValueError`` with a readable message."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"bad day {text!r}: expected a date as YYYY-MM-DD, e.g. 2026-11-27")


def day_bounds(day: date, timezone: str) -> tuple[float, float]:
    """Epoch seconds of the day's first instant and of the next day's, in ``timezone``
    (a day is 24 h in China; elsewhere DST days come out 23 or 25 h long)."""
    tz = ZoneInfo(timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=tz)
    return start.timestamp(), end.timestamp()


def _group(calls: Iterable[StoredCall], key: Callable[[StoredCall], str | None],
           policy: ServiceLevelPolicy, *, keyless: bool = True) -> dict[str, Figures]:
    """Figures per ``key``; calls without one under ``-`` (or left out, without ``keyless``)."""
    groups: dict[str, list[StoredCall]] = {}
    for call in calls:
        name = key(call)
        if name is not None or keyless:
            groups.setdefault(name or "-", []).append(call)
    return {name: compute_figures(groups[name], policy) for name in sorted(groups)}


def build_daily_report(
    store: RecordStore,
    day: date,
    policy: ServiceLevelPolicy,
    *,
    targets: Targets = Targets(),
    center: str = "",
    now: float | None = None,
) -> DailyReport:
    """The report of ``day`` (calls by arrival day in the store's timezone). Agent state
    time runs to the end of the day, or to ``now`` for a day not over yet."""
    timezone = store.tz.key
    calls = store.calls(day.isoformat())
    start, end = day_bounds(day, timezone)
    until = min(end, time.time() if now is None else now)
    agents = agent_figures(calls, store.agent_states_before(start),
                           store.events(start, until, event=AGENTSTATE), start, max(start, until))
    scores = [c.satisfaction for c in calls if c.satisfaction is not None]
    transfers: dict[str, int] = {}
    for call in calls:
        if call.transferred_to:
            transfers[call.transferred_to] = transfers.get(call.transferred_to, 0) + 1
    return DailyReport(
        day=day.isoformat(),
        timezone=timezone,
        center=center,
        policy=policy,
        targets=targets,
        overall=compute_figures(calls, policy),
        by_line=_group(calls, lambda c: c.line, policy),
        by_language=_group(calls, lambda c: c.language, policy),
        by_queue=_group(calls, lambda c: c.queue, policy, keyless=False),  # queued calls only
        agents=agents,
        surveyed=len(scores),
        satisfaction_mean=sum(scores) / len(scores) if scores else None,
        transfers=dict(sorted(transfers.items())),
    )

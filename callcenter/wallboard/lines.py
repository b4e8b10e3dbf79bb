"""Today's calls by line (12345 / 12315 / 12329), wherever they ended: a queue, the IVR, or lost.

The ACD counts per queue only and never sees calls that end in the IVR, so the board keeps
its own day per line: from the call-lifecycle commands (a core-driver sink), started from the
records of the day's earlier calls, and restarted at local midnight.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from acd.commands import CallFinished
from acd.model import ServiceLevelPolicy
from callcenter.records.lifecycle import CallClosed, CallOpened
from callcenter.records.rows import StoredCall

_ENDED = ("answered", "abandoned", "overflowed", "self_service", "ivr_abandoned",
          "ivr_transferred", "lost")


@dataclass(slots=True)
class LineDay:
    """One line's calls today: arrived, and how those that ended did."""

    arrived: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    self_service: int = 0
    ivr_abandoned: int = 0
    ivr_transferred: int = 0
    lost: int = 0
    within: int = 0  # answered within the threshold
    short_abandons: int = 0

    def end(self, outcome: str, sl_wait: float, policy: ServiceLevelPolicy) -> None:
        if outcome not in _ENDED:
            return
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome == "answered" and sl_wait <= policy.threshold_seconds:
            self.within += 1
        elif outcome == "abandoned" and policy.is_short_abandon(sl_wait):
            self.short_abandons += 1

    def figures(self, policy: ServiceLevelPolicy) -> dict[str, Any]:
        queued = self.answered + self.abandoned + self.overflowed
        return {
            **asdict(self),
            "offered": queued,
            "service_level": policy.ratio(self.within, answered=self.answered,
                                          abandoned=self.abandoned,
                                          short_abandons=self.short_abandons,
                                          overflowed=self.overflowed),
            "connection_rate": self.answered / queued if queued else None,
        }


class LineTally:
    """Per-line counts of the day in the center's timezone. Thread-safe."""

    def __init__(self, policy: ServiceLevelPolicy, timezone: str, now: float) -> None:
        self.policy = policy
        self.tz = ZoneInfo(timezone)
        self.day = self._day(now)
        self._lines: dict[str, LineDay] = {}
        self._lock = threading.Lock()

    def _day(self, at: float) -> date:
        return datetime.fromtimestamp(at, self.tz).date()

    def _line(self, line: str | None) -> LineDay:
        return self._lines.setdefault(line or "-", LineDay())

    def carry(self, calls: Iterable[StoredCall], before: float) -> None:
        """Count the day's calls that arrived before ``before`` (the engine's start) from the
        records; one still open there was cut off by the end of the previous run: lost."""
        with self._lock:
            for call in calls:
                if call.arrived_at >= before or self._day(call.arrived_at) != self.day:
                    continue
                day = self._line(call.line)
                day.arrived += 1
                day.end("lost" if call.outcome == "open" else call.outcome, call.sl_wait,
                        self.policy)

    def roll(self, now: float) -> None:
        """Start afresh if ``now`` is on a later day."""
        day = self._day(now)
        if day != self.day:
            with self._lock:
                self.day, self._lines = day, {}

    def sink(self, commands: Sequence[object]) -> None:
        """A core-driver sink: count arrivals and ends."""
        for command in commands:
            if isinstance(command, CallOpened):
                self.roll(command.arrived_at)
                with self._lock:
                    self._line(command.line).arrived += 1
            elif isinstance(command, CallClosed):
                with self._lock:
                    self._line(command.line).end(command.outcome, 0.0, self.policy)
            elif isinstance(command, CallFinished):
                record = command.record
                with self._lock:
                    self._line(record.line).end(record.outcome, record.sl_wait, self.policy)

    def view(self, lines: Sequence[tuple[str, str]], now: float) -> list[dict[str, Any]]:
        """One entry per configured line (number, name), in the config's order."""
        self.roll(now)
        with self._lock:
            return [{"line": number, "name": name,
                     **self._lines.get(number, LineDay()).figures(self.policy)}
                    for number, name in lines]

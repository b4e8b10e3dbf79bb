"""Today's counters: the ACD counts since the engine started, so the board and the API subtract
a baseline taken at each local midnight (in the center's timezone)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from acd.stats import QueueStats

_ADDITIVE = ("offered", "answered", "abandoned", "overflowed", "answered_within_threshold",
             "short_abandons", "wait_answered_total", "wait_abandoned_total", "talk_total",
             "talk_count")


def minus(current: QueueStats, base: QueueStats | None) -> QueueStats:
    """``current - base`` for every additive counter (``max_wait`` cannot be split by day:
    it is left at 0)."""
    if base is None:
        return current
    return dataclasses.replace(current, max_wait=0.0, **{
        name: getattr(current, name) - getattr(base, name) for name in _ADDITIVE})


class TodayCounters:
    """Per-queue counters since local midnight, or since ``started`` (the engine's start)
    when that is later. ``roll`` at midnight; ``today`` also rolls if midnight has passed."""

    def __init__(self, timezone: str, started: float) -> None:
        self.tz = ZoneInfo(timezone)
        self.since = started
        self.day = self._day(started)
        self._base: dict[str, QueueStats] = {}

    def _day(self, now: float) -> date:
        return datetime.fromtimestamp(now, self.tz).date()

    def next_midnight(self, now: float) -> float:
        following = self._day(now) + timedelta(days=1)
        return datetime.combine(following, time(0), self.tz).timestamp()

    def roll(self, stats: Mapping[str, QueueStats], now: float) -> bool:
        """Start a new day if ``now`` is past midnight; True if it did."""
        day = self._day(now)
        if day == self.day:
            return False
        self.day = day
        self.since = datetime.combine(day, time(0), self.tz).timestamp()
        self._base = {name: dataclasses.replace(s) for name, s in stats.items()}
        return True

    def today(self, stats: Mapping[str, QueueStats], now: float) -> dict[str, QueueStats]:
        self.roll(stats, now)
        return {name: minus(s, self._base.get(name)) for name, s in stats.items()}

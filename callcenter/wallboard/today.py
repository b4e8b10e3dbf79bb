"""Today's counters: the ACD counts since the engine started, so the board and the API subtract
a baseline taken at each local midnight (in the center's timezone), and add what the records
hold of the day from before the engine started."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from acd.model import ServiceLevelPolicy
from acd.stats import QueueStats
from callcenter.records.rows import StoredCall

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


def plus(current: QueueStats, extra: QueueStats | None) -> QueueStats:
    """``current + extra`` for every additive counter (the larger ``max_wait``)."""
    if extra is None:
        return current
    return dataclasses.replace(current, max_wait=max(current.max_wait, extra.max_wait), **{
        name: getattr(current, name) + getattr(extra, name) for name in _ADDITIVE})


def stats_from_calls(calls: Iterable[StoredCall], policy: ServiceLevelPolicy) -> dict[str, QueueStats]:
    """Per-queue counters of stored calls that ended in a queue, as the ACD counts them."""
    out: dict[str, QueueStats] = {}
    for call in calls:
        if call.queue is None or call.outcome not in ("answered", "abandoned", "overflowed"):
            continue
        stats = out.setdefault(call.queue, QueueStats(policy=policy))
        stats.offered += 1
        if call.outcome == "answered":
            stats.record_answer(call.wait, call.sl_wait)
            stats.record_talk(call.talk)
        elif call.outcome == "abandoned":
            stats.record_abandon(call.wait, call.sl_wait)
        else:
            stats.overflowed += 1
    return out


class TodayCounters:
    """Per-queue counters since local midnight: the ACD's since ``started`` (the engine's
    start) plus, after ``carry``, the day's earlier calls from the records. ``roll`` at
    midnight; ``today`` also rolls if midnight has passed."""

    def __init__(self, timezone: str, started: float) -> None:
        self.tz = ZoneInfo(timezone)
        self.since = started
        self.day = self._day(started)
        self._base: dict[str, QueueStats] = {}
        self._carried: dict[str, QueueStats] = {}

    def carry(self, earlier: Mapping[str, QueueStats]) -> None:
        """Count ``earlier`` (the day's calls before the engine started) in today's figures."""
        self._carried = dict(earlier)
        self.since = datetime.combine(self.day, time(0), self.tz).timestamp()

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
        self._carried = {}
        return True

    def today(self, stats: Mapping[str, QueueStats], now: float) -> dict[str, QueueStats]:
        self.roll(stats, now)
        return {name: plus(minus(s, self._base.get(name)), self._carried.get(name))
                for name, s in stats.items()}

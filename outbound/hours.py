"""Calling hours in the center's time zone: when a citizen may be called (never at night)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


def _clock(text: str, field: str) -> dt.time:
    try:
        hours, minutes = text.split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{field}: expected HH:MM, got {text!r}") from None


@dataclass(frozen=True)
class CallingHours:
    """Calls start at or after ``start`` and before ``end`` local time, every day."""

    start: str = "08:00"
    end: str = "21:00"
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        first, last = _clock(self.start, "start"), _clock(self.end, "end")
        if first >= last:
            raise ValueError(f"end: {self.end} must be after start {self.start} (no calls at night)")
        ZoneInfo(self.timezone)  # raises on an unknown zone

    def _bounds(self, day: dt.date) -> tuple[float, float]:
        zone = ZoneInfo(self.timezone)
        first = dt.datetime.combine(day, _clock(self.start, "start"), zone).timestamp()
        last = dt.datetime.combine(day, _clock(self.end, "end"), zone).timestamp()
        return first, last

    def is_open(self, at: float) -> bool:
        """True if a call may be placed at ``at`` (epoch seconds)."""
        day = dt.datetime.fromtimestamp(at, ZoneInfo(self.timezone)).date()
        first, last = self._bounds(day)
        return first <= at < last

    def next_open(self, at: float) -> float:
        """``at`` if calls are allowed then, else the next opening."""
        day = dt.datetime.fromtimestamp(at, ZoneInfo(self.timezone)).date()
        for offset in range(3):
            first, last = self._bounds(day + dt.timedelta(days=offset))
            if at < last:
                return max(at, first)
        raise AssertionError("calling hours never open")  # pragma: no cover

    def last_chance(self, at: float) -> float:
        """The end of the calling time up to ``at``: ``at`` itself when open, else the end of
        the last opening before it (a task due to expire at ``at`` expires then)."""
        day = dt.datetime.fromtimestamp(at, ZoneInfo(self.timezone)).date()
        first, last = self._bounds(day)
        if first <= at < last:
            return at
        return last if at >= last else self._bounds(day - dt.timedelta(days=1))[1]

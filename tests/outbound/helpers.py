"""Shared helpers of the outbound tests: local times on a virtual clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 7)  # a Monday


def local(hour: int, minute: int = 0, day: int = 0) -> float:
    """Epoch seconds of ``hour:minute`` Shanghai time, ``day`` days after ``DAY``."""
    return dt.datetime.combine(DAY + dt.timedelta(days=day), dt.time(hour, minute), SHANGHAI).timestamp()


def clock_of(at: float) -> str:
    return dt.datetime.fromtimestamp(at, SHANGHAI).strftime("%H:%M")

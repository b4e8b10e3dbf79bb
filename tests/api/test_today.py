"""Today's counters start afresh at local midnight in the center's timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from acd.model import ServiceLevelPolicy
from acd.stats import QueueStats
from callcenter.wallboard.today import TodayCounters

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


def calls(stats: QueueStats, answered: int, abandoned: int) -> None:
    stats.offered += answered + abandoned
    for _ in range(answered):
        stats.record_answer(5.0, 5.0)
        stats.record_talk(60.0)
    for _ in range(abandoned):
        stats.record_abandon(30.0, 30.0)


def test_counts_restart_at_local_midnight():
    stats = {"zh": QueueStats(policy=ServiceLevelPolicy())}
    started = at("2026-11-27T15:00:00")
    today = TodayCounters("Asia/Shanghai", started)
    assert today.next_midnight(started) == at("2026-11-28T00:00:00")
    calls(stats["zh"], answered=3, abandoned=1)
    seen = today.today(stats, at("2026-11-27T23:59:59"))["zh"]
    assert (seen.offered, seen.answered, seen.abandoned, today.since) == (4, 3, 1, started)

    assert today.roll(stats, at("2026-11-28T00:00:00.01"))
    assert not today.roll(stats, at("2026-11-28T00:00:01"))
    assert today.since == at("2026-11-28T00:00:00")
    fresh = today.today(stats, at("2026-11-28T00:00:02"))["zh"]
    assert (fresh.offered, fresh.answered, fresh.service_level, fresh.aht) == (0, 0, None, None)
    calls(stats["zh"], answered=1, abandoned=1)
    day2 = today.today(stats, at("2026-11-28T08:00:00"))["zh"]
    assert (day2.offered, day2.answered, day2.abandoned) == (2, 1, 1)
    assert day2.service_level == 0.5 and day2.aht == 60.0 and day2.asa == 5.0
    assert stats["zh"].offered == 6  # the core's own counters are untouched


def test_a_missed_midnight_is_caught_up_on_the_next_read():
    stats = {"zh": QueueStats(policy=ServiceLevelPolicy())}
    today = TodayCounters("Asia/Shanghai", at("2026-11-27T22:00:00"))
    calls(stats["zh"], answered=2, abandoned=0)
    assert today.today(stats, at("2026-11-28T00:00:05"))["zh"].offered == 0

"""Call records for the operations tests, with times on a chosen local day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from acd.commands import CallRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_epoch(text: str, tz: ZoneInfo = SHANGHAI) -> float:
    """Epoch seconds of a local wall-clock time such as ``2026-11-20 10:00:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def make_record(call_id: str, *, arrived_at: float, wait: float, outcome: str = "answered",
                ivr: float = 0.0, talk: float = 0.0, queue: str = "zh-general",
                line: str | None = "12345", language: str | None = "zh",
                agent_id: str | None = None, **extra) -> CallRecord:
    """A record as the ACD would emit it: queue entry ``ivr`` seconds after arrival, the
    answer (or hang-up) ``wait`` seconds after queue entry."""
    enqueued_at = arrived_at + ivr
    answered = outcome == "answered"
    answered_at = enqueued_at + wait if answered else None
    ended_at = (answered_at + talk) if answered else enqueued_at + wait
    return CallRecord(
        call_id=call_id, queue=queue, line=line, language=language, priority=0,
        arrived_at=arrived_at, enqueued_at=enqueued_at, outcome=outcome, ended_at=ended_at,
        answered_at=answered_at, agent_id=(agent_id or "1001") if answered else None,
        wait=wait, sl_wait=wait, talk=talk if answered else 0.0, offers=1 if answered else 0,
        first_queue=queue, **extra,
    )

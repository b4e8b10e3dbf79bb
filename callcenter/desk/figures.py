"""The agent's own figures for the day on the seat page: calls answered and their average
handle time (talk, as the daily report counts it) from the call records, and the direct-answer
rate (cases answered on the spot / cases taken in) from the case store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from acd.commands import CallFinished, CallRecord
from callcenter.records import RecordStore


class DayCalls:
    """Each seat's answered calls and talk seconds per local day (of the call's arrival, as the
    records count days): the records of calls before ``started`` read once, the ACD's
    ``CallFinished`` since then followed as a driver sink."""

    def __init__(self, store: RecordStore, timezone: str, started: float) -> None:
        self.tz = ZoneInfo(timezone)
        self.tally: dict[tuple[str, str], list[float]] = {}  # (day, agent) -> [calls, talk]
        day = self.day(started)
        for call in store.calls(day):
            if call.arrived_at < started:
                self.add(call)
        self.days = {day}

    def day(self, at: float) -> str:
        return dt.datetime.fromtimestamp(at, self.tz).date().isoformat()

    def add(self, call: CallRecord | Any) -> None:
        if call.outcome == "answered" and call.agent_id is not None:
            entry = self.tally.setdefault((self.day(call.arrived_at), call.agent_id), [0, 0.0])
            entry[0] += 1
            entry[1] += call.talk

    def sink(self, commands: Sequence[object]) -> None:
        for command in commands:
            if isinstance(command, CallFinished):
                self.add(command.record)
                day = self.day(command.record.arrived_at)
                if day not in self.days:  # a new day: forget the days before yesterday
                    self.days = {d for d in self.days if d >= self.day(command.record.arrived_at - 86400)}
                    self.days.add(day)
                    self.tally = {k: v for k, v in self.tally.items() if k[0] in self.days}

    def of(self, agent_id: str, day: str) -> tuple[int, float]:
        calls, talk = self.tally.get((day, agent_id), (0, 0.0))
        return int(calls), float(talk)


def figures(calls: tuple[int, float], intakes: tuple[int, int] | None) -> dict[str, Any]:
    """The seat page's figures message; ``intakes`` is ``(taken, answered directly)``."""
    answered, talk = calls
    taken, direct = intakes or (0, 0)
    return {"type": "figures", "calls": answered, "aht": talk / answered if answered else None,
            "taken": taken, "direct": direct, "direct_rate": direct / taken if taken else None}

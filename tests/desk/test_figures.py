"""The agent's day figures: calls answered and talk time from the records of calls before the
engine started (a real SQLite record file) and the ACD's CallFinished since, by local day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from acd.commands import CallFinished, CallRecord
from callcenter.desk.figures import DayCalls, figures
from callcenter.records import RecordStore

TZ = "Asia/Shanghai"
NINE = dt.datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo(TZ)).timestamp()


def record(call_id: str, at: float, agent: str | None = "1001", talk: float = 100.0,
           outcome: str = "answered") -> CallRecord:
    return CallRecord(call_id, "zh-general", "12345", "zh", 0, at, at + 5, outcome, at + 20 + talk,
                      answered_at=at + 20 if outcome == "answered" else None, agent_id=agent,
                      wait=15.0, talk=talk if outcome == "answered" else 0.0)


def test_the_day_starts_from_the_records_and_follows_the_calls_ending(tmp_path):
    store = RecordStore.open(f"sqlite:///{tmp_path / 'cc.db'}", timezone=TZ, create=True)
    yesterday = NINE - 86400
    store.add_calls([record("a", NINE, talk=120.0), record("b", NINE + 60, talk=60.0),
                     record("c", NINE + 90, outcome="abandoned", agent=None),
                     record("d", NINE + 100, agent="1002"), record("e", yesterday),
                     record("f", NINE + 3600)])  # after the start: it comes as CallFinished
    calls = DayCalls(store, TZ, started=NINE + 1800)
    store.close()
    assert calls.of("1001", "2026-11-16") == (2, 180.0)  # before the start only, answered only
    assert calls.of("1002", "2026-11-16") == (1, 100.0) and calls.of("1001", "2026-11-15") == (0, 0.0)
    calls.sink([CallFinished(record("f", NINE + 3600, talk=30.0))])
    assert calls.of("1001", "2026-11-16") == (3, 210.0)
    tomorrow = NINE + 86400
    calls.sink([CallFinished(record("g", tomorrow, talk=40.0))])
    assert calls.of("1001", "2026-11-17") == (1, 40.0) and calls.of("1001", "2026-11-16") == (3, 210.0)
    calls.sink([CallFinished(record("h", tomorrow + 86400, talk=50.0))])  # two days on: the 16th goes
    assert calls.of("1001", "2026-11-16") == (0, 0.0) and calls.of("1001", "2026-11-18") == (1, 50.0)
    assert figures(calls.of("1001", "2026-11-17"), (4, 1)) == {
        "type": "figures", "calls": 1, "aht": 40.0, "taken": 4, "direct": 1, "direct_rate": 0.25}
    assert figures((0, 0.0), None)["aht"] is None and figures((0, 0.0), (0, 0))["direct_rate"] is None

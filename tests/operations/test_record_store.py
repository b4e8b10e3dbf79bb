"""Call records and events in a real SQLite file: round trip, other processes, schema."""

import json
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from acd.commands import AgentStateChanged, CallFinished, OfferCall
from callcenter.records import (
    SCHEMA_VERSION,
    RecordStore,
    RecordWriter,
    SchemaTooNew,
    StoreError,
    StoreNotFound,
)
from tests.operations.factories import local_epoch, make_record

T = local_epoch("2026-11-20 10:00:00")

READER = """
import json, sys
from callcenter.records import RecordStore
with RecordStore.open(sys.argv[1], create=False) as store:
    calls = [dict(zip(c.__slots__, (getattr(c, f) for f in c.__slots__))) for c in store.calls()]
    events = [[e.at, e.call_id, e.queue, e.agent, e.event, e.data] for e in store.events()]
    print(json.dumps({"calls": calls, "events": events, "version": store.schema_version}))
"""


def test_records_written_here_are_read_back_by_another_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    records = [
        make_record("c1", arrived_at=T, ivr=8.5, wait=4.25, talk=120.0, agent_id="1002"),
        make_record("c2", arrived_at=T + 30, wait=61.0, outcome="abandoned", line="12315",
                    language="en", queue="en-general"),
        make_record("c3", arrived_at=T + 60, wait=300.0, outcome="overflowed", language=None,
                    line=None, overflow_target="message:leave_message", callback=True),
    ]
    change = AgentStateChanged("1002", "not_ready", "idle", "lunch", T + 500.0)
    with RecordStore.open(url) as store:
        store.add_calls(records)
        store.add_agent_states([change])
        assert store.set_satisfaction("c1", 2) is True
        assert store.set_satisfaction("nope", 1) is False

    out = subprocess.run([sys.executable, "-c", READER, url], capture_output=True, text=True,
                         timeout=60, check=True)
    got = json.loads(out.stdout)
    assert got["version"] == SCHEMA_VERSION
    by_id = {c["call_id"]: c for c in got["calls"]}
    assert sorted(by_id) == ["c1", "c2", "c3"]
    for record in records:
        row = by_id[record.call_id]
        for field in record.__slots__:
            assert row[field] == getattr(record, field), field
        assert row["day"] == "2026-11-20"
    assert by_id["c1"]["satisfaction"] == 2 and by_id["c2"]["satisfaction"] is None
    kinds = [(e[1], e[4]) for e in got["events"] if e[1] == "c1"]
    assert kinds == [("c1", "ENTERQUEUE"), ("c1", "CONNECT"), ("c1", "COMPLETE"), ("c1", "SURVEY")]
    state = [e for e in got["events"] if e[4] == "AGENTSTATE"]
    assert state == [[T + 500.0, None, None, "1002", "AGENTSTATE",
                      {"presence": "not_ready", "activity": "idle", "reason": "lunch",
                       "state": "not_ready"}]]
    abandon = [e for e in got["events"] if e[1] == "c2" and e[4] == "ABANDON"]
    assert abandon[0][0] == records[1].ended_at and abandon[0][5]["wait"] == 61.0
    # the survey of an unknown call is not lost: it stays in the event log
    assert any(e[1] == "nope" and e[4] == "SURVEY" and e[5] == {"score": 1} for e in got["events"])


def test_the_day_is_the_arrival_date_in_the_centers_timezone(tmp_path):
    late = local_epoch("2026-11-20 23:59:59")  # 15:59:59 UTC
    with RecordStore.open(f"sqlite:///{tmp_path / 'r.db'}") as store:
        store.add_calls([make_record("late", arrived_at=late, wait=5.0, talk=30.0),
                         make_record("next", arrived_at=late + 2, wait=5.0, talk=30.0)])
        assert [c.call_id for c in store.calls("2026-11-20")] == ["late"]
        assert [c.call_id for c in store.calls("2026-11-21")] == ["next"]
    with RecordStore.open(f"sqlite:///{tmp_path / 'r2.db'}", timezone="UTC") as store:
        store.add_calls([make_record("late", arrived_at=late, wait=5.0, talk=30.0)])
        assert store.call("late").day == "2026-11-20"
        store.add_calls([make_record("x", arrived_at=local_epoch("2026-11-21 07:59:00"), wait=1)])
        assert store.call("x").day == "2026-11-20"


def test_wal_mode_full_sync_and_a_call_is_recorded_once(tmp_path):
    path = tmp_path / "r.db"
    with RecordStore.open(f"sqlite:///{path}") as store:
        store.add_calls([make_record("c1", arrived_at=T, wait=1.0, talk=10.0)])
        store.add_calls([make_record("c1", arrived_at=T, wait=99.0, talk=10.0)])
        assert store.count_calls() == 1 and store.call("c1").wait == 1.0
        conn = store.backend.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert (tmp_path / "r.db-wal").exists() or path.stat().st_size > 0


def test_reopening_migrates_once_and_a_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    RecordStore.open(url).close()
    with RecordStore.open(url) as store:
        rows = store.backend.query("SELECT version FROM schema_version")
        assert rows == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    conn = sqlite3.connect(tmp_path / "r.db")
    conn.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match=f"version {SCHEMA_VERSION + 1}"):
        RecordStore.open(url)


def test_a_version_1_database_gains_the_transfer_column_and_keeps_its_calls(tmp_path):
    from callcenter.records.schema import migration_sql, version_table_sql

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(version_table_sql("sqlite"))
    for statement in migration_sql("sqlite", 1):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, 0)")
    conn.execute("INSERT INTO calls (call_id, day, queue, priority, arrived_at, enqueued_at, "
                 "ended_at, outcome, wait, sl_wait, talk, offers, callback) VALUES "
                 "('old', '2026-11-20', 'zh-general', 0, 1, 2, 3, 'abandoned', 1, 1, 0, 0, 0)")
    conn.commit()
    conn.close()
    with RecordStore.open(f"sqlite:///{path}") as store:
        assert store.backend.query("SELECT version FROM schema_version") == [
            (v,) for v in range(1, SCHEMA_VERSION + 1)]
        old = store.call("old")
        assert old is not None and old.outcome == "abandoned" and old.transferred_to is None


def test_opening_without_create_needs_an_existing_database(tmp_path):
    with pytest.raises(StoreNotFound):
        RecordStore.open(f"sqlite:///{tmp_path / 'missing.db'}", create=False)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(StoreError, match="unsupported"):
        RecordStore.open("mysql://localhost/db")
    with pytest.raises(ValueError):
        RecordStore.open(f"sqlite:///{tmp_path / 'r.db'}").set_satisfaction("c1", 11)


def test_writer_never_waits_on_a_locked_database_and_keeps_order(tmp_path):
    path = tmp_path / "r.db"
    store = RecordStore.open(f"sqlite:///{path}")
    writer = RecordWriter(store)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    record = make_record("c1", arrived_at=T, wait=2.0, talk=50.0)
    started = time.perf_counter()
    writer.sink([OfferCall("c1", "1001", "zh-general", 12.0),
                 AgentStateChanged("1001", "available", "on_call", "", T + 2, "c1"),
                 CallFinished(record)])
    writer.set_satisfaction("c1", 1, at=T + 100)
    assert time.perf_counter() - started < 0.05
    assert writer.flush(timeout=0.3) is False and writer.pending == 3
    blocker.execute("ROLLBACK")
    blocker.close()
    assert writer.flush(timeout=20)
    assert writer.written == 3 and writer.failed == 0
    assert store.call("c1").satisfaction == 1  # applied after the record queued before it
    # time order; at equal times, the order the engine emitted them
    assert [e.event for e in store.events()] == ["ENTERQUEUE", "AGENTSTATE", "CONNECT",
                                                 "COMPLETE", "SURVEY"]
    writer.close()
    with pytest.raises(RuntimeError):
        writer.add_call(record)


def test_writer_commits_many_items_in_few_batches(tmp_path):
    store = RecordStore.open(f"sqlite:///{tmp_path / 'r.db'}")
    writer = RecordWriter(store, max_batch=500)
    for i in range(2000):
        writer.add_call(make_record(f"c{i}", arrived_at=T + i, wait=1.0, talk=10.0))
    writer.close(timeout=30)
    with RecordStore.open(f"sqlite:///{tmp_path / 'r.db'}") as again:
        assert again.count_calls() == 2000
    assert writer.written == 2000 and 4 <= writer.batches < 2000


def test_a_record_the_database_refuses_costs_only_itself(tmp_path, caplog):
    path = tmp_path / "r.db"
    writer = RecordWriter(RecordStore.open(f"sqlite:///{path}"))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # so that all six land in one batch
    for i in range(6):
        record = make_record(f"c{i}", arrived_at=T + i, wait=1.0, talk=5.0)
        if i == 3:  # fails the outcome CHECK
            record = replace(record, outcome="lost-in-space")
        writer.add_call(record)
    time.sleep(0.2)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert writer.flush(timeout=30)
    assert (writer.written, writer.failed) == (5, 1)
    assert [c.call_id for c in writer.store.calls()] == ["c0", "c1", "c2", "c4", "c5"]
    assert "record refused by the database" in caplog.text
    writer.close()


def test_a_restart_closes_the_states_a_killed_engine_left_open(tmp_path):
    with RecordStore.open(f"sqlite:///{tmp_path / 'r.db'}") as store:
        store.add_agent_states([
            AgentStateChanged("1001", "available", "on_call", "", T, "c1"),
            AgentStateChanged("1002", "available", "idle", "", T),
            AgentStateChanged("1002", "logged_out", "idle", "", T + 5),
            AgentStateChanged("1003", "not_ready", "idle", "lunch", T + 7),
        ])
        assert store.close_open_states(T + 60) == ["1001", "1003"]
        last = store.agent_states_before(T + 61)
        assert {a: (e.at, e.data["state"], e.data.get("reason")) for a, e in last.items()} == {
            "1001": (T + 60, "logged_out", "engine-restart"),
            "1002": (T + 5, "logged_out", None),
            "1003": (T + 60, "logged_out", "engine-restart"),
        }
        assert store.close_open_states(T + 90) == []

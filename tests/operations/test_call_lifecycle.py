"""A call's record opens on arrival and closes once: in the IVR, by the ACD, or as lost after a
crash; the engine holds the database alone. SQLite always, PostgreSQL when it is reachable."""

from __future__ import annotations

import logging
import os
import time
import uuid

import pytest

from acd.commands import CallFinished
from callcenter.records import RecordStore, RecordWriter, StoreError, StoreLocked
from callcenter.records.backends import connect
from callcenter.records.lifecycle import CallClosed, CallOpened, ivr_outcome
from callcenter.records.schema import SCHEMA_VERSION, migration_sql, version_table_sql
from tests.operations.factories import local_epoch, make_record

T = local_epoch("2026-11-20 10:00:00")
PG_URL = os.environ.get("CALLCENTER_TEST_POSTGRES_URL")


def _pg_reachable() -> bool:
    if not PG_URL:
        return False
    try:
        RecordStore.open(PG_URL).close()
    except (StoreError, ImportError):
        return False
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """An empty record database: a file, or a schema of its own in the PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    if not _pg_reachable():
        pytest.skip("set CALLCENTER_TEST_POSTGRES_URL to run against PostgreSQL")
    import psycopg

    schema = f"lifecycle_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in PG_URL else "?"
            yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}%2Cpublic"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def test_an_open_record_is_closed_once_by_the_ivr_or_the_acd(url):
    ivr, queued = "ivr", "queued"
    with RecordStore.open(url) as store:
        store.record_commands([CallOpened(ivr, "12329", T, "zh"), CallOpened(queued, "12345", T)])
        assert store.call(ivr).outcome == "open" and store.call(ivr).queue is None
        store.record_commands([CallClosed(ivr, "12329", "self_service", T, T + 40, "zh")])
        record = make_record(queued, arrived_at=T, ivr=10.0, wait=5.0, talk=30.0)
        store.record_commands([CallFinished(record)])
        # a second close changes nothing: a record is closed exactly once
        store.record_commands([CallClosed(ivr, "12329", "ivr_abandoned", T, T + 99),
                               CallFinished(make_record(queued, arrived_at=T, wait=1.0,
                                                        outcome="abandoned"))])
        closed = store.call(ivr)
        assert (closed.outcome, closed.ended_at, closed.line, closed.queue) == (
            "self_service", T + 40, "12329", None)
        answered = store.call(queued)
        assert (answered.outcome, answered.queue, answered.talk) == ("answered", "zh-general", 30.0)
        assert answered.enqueued_at == T + 10.0


def test_a_crash_leaves_open_records_that_the_next_start_closes_as_lost(url):
    in_queue, later = "in-queue", "later"
    with RecordStore.open(url) as store:
        store.record_commands([CallOpened(in_queue, "12345", T)])
        store.beat(T + 30.0)  # the dead engine was last seen alive here
        store.record_commands([CallOpened(later, "12315", T + 500)])  # after the restart
        lost = store.close_lost_calls(before=T + 100)
        assert [c.call_id for c in lost] == [in_queue]
        record = store.call(in_queue)
        assert (record.outcome, record.ended_at) == ("lost", T + 30.0)
        assert store.call(later).outcome == "open"  # a call of the new run is left alone
        assert store.close_lost_calls(before=T + 100) == []
        # The restarted engine found the call still talking on the switch (Asterisk) and
        # adopted it: its end fills in the lost record, once.
        adopted = make_record(in_queue, arrived_at=T, ivr=10.0, wait=5.0, talk=300.0)
        store.record_commands([CallFinished(adopted)])
        again = make_record(in_queue, arrived_at=T, wait=1.0, outcome="abandoned")
        store.record_commands([CallFinished(again)])
        record = store.call(in_queue)
        assert (record.outcome, record.talk, record.agent_id) == ("answered", 300.0, adopted.agent_id)


def test_a_second_engine_cannot_take_the_database(url):
    first = RecordStore.open(url, exclusive=True)
    try:
        with pytest.raises(StoreLocked, match="in use by another engine"):
            RecordStore.open(url, exclusive=True)
        RecordStore.open(url).close()  # readers (report) are welcome
    finally:
        first.close()
    RecordStore.open(url, exclusive=True).close()  # free again once the first has gone


def test_a_held_writer_writes_nothing_until_released_and_recovers_first(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    with RecordStore.open(url) as old_run:
        old_run.record_commands([CallOpened("old", "12345", T)])
    store = RecordStore.open(url)
    writer = RecordWriter(store, held=True, clock=lambda: T + 200)
    writer.sink([CallOpened("new", "12329", T + 150)])
    assert writer.flush(timeout=0.3) is False
    assert store.call("new") is None
    writer.release(lambda s: s.close_lost_calls(T + 100))
    assert writer.flush(timeout=10)
    assert store.call("old").outcome == "lost" and store.call("new").outcome == "open"
    writer.close()


def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_writer_whose_store_is_closed_under_it_stays_silent_and_drops_with_one_line(url, caplog):
    """Shutting down closes the store; a writer still running (closed later, or never) notes no
    heartbeat on it and tells each dropped record in one line, without a traceback."""
    store = RecordStore.open(url)
    beats: list[float] = []
    writer = RecordWriter(store, heartbeat=0.02, clock=lambda: beats.append(T) or T)
    _until(lambda: len(beats) >= 2)  # beating
    store.close()
    seen = len(beats)
    _until(lambda: len(beats) >= seen + 3)  # three heartbeats due since the store closed
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    writer.add_call(make_record("late", arrived_at=T, wait=1.0, talk=5.0))
    assert writer.flush(timeout=10) and writer.failed == 1
    (dropped,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert dropped.getMessage() == "records store closed: 1 record item(s) dropped" and not dropped.exc_info
    writer.close()  # and the store again: nothing happens

def test_ivr_outcomes():
    assert ivr_outcome(caller_hung_up=False, transferred_to=None) == "self_service"
    assert ivr_outcome(caller_hung_up=True, transferred_to=None) == "ivr_abandoned"
    assert ivr_outcome(caller_hung_up=True, transferred_to="dept") == "ivr_transferred"
    with pytest.raises(ValueError):
        CallClosed("c", "12345", "answered", T, T)


def test_a_version_2_database_keeps_its_calls_and_takes_ivr_outcomes(url):
    old_engine = connect(url)
    with old_engine.transaction():
        old_engine.execute(version_table_sql(old_engine.dialect))
        for version in (1, 2):
            for statement in migration_sql(old_engine.dialect, version):
                old_engine.execute(statement)
            old_engine.execute("INSERT INTO schema_version VALUES (?, 0)", (version,))
        old_engine.execute(
            "INSERT INTO calls (call_id, day, queue, priority, arrived_at, enqueued_at, "
            "ended_at, outcome, wait, sl_wait, talk, offers, callback, transferred_to) VALUES "
            "('old', '2026-11-20', 'zh-general', 0, 1, 2, 3, 'answered', 1, 1, 9, 1, 0, 'tax')")
    old_engine.close()
    with RecordStore.open(url) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = store.call("old")
        assert (old.outcome, old.talk, old.transferred_to) == ("answered", 9, "tax")
        store.record_commands([CallClosed("new", "12329", "ivr_transferred", T, T + 5,
                                          transferred_to="tax")])
        assert store.call("new").queue is None

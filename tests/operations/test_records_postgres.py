"""The same store on PostgreSQL, when a server is reachable at $CALLCENTER_TEST_POSTGRES_URL."""

import os
import uuid

import pytest

from callcenter.records import RecordStore, RecordWriter, StoreError
from tests.operations.factories import local_epoch, make_record

URL = os.environ.get("CALLCENTER_TEST_POSTGRES_URL")


@pytest.fixture
def pg_store():
    if not URL:
        pytest.skip("set CALLCENTER_TEST_POSTGRES_URL to run against PostgreSQL")
    pytest.importorskip("psycopg")
    try:
        store = RecordStore.open(URL)
    except StoreError as exc:
        pytest.skip(f"no PostgreSQL server reachable: {exc}")
    yield store
    store.close()


def test_round_trip_and_writer_on_postgresql(pg_store):
    t = local_epoch("2026-11-20 10:00:00")
    prefix = uuid.uuid4().hex[:8]
    first = make_record(f"{prefix}-1", arrived_at=t, wait=4.5, talk=60.0)
    pg_store.add_calls([first])
    assert pg_store.call(first.call_id).arrived_at == t  # double precision, not 4-byte REAL
    assert pg_store.set_satisfaction(first.call_id, 1)
    writer = RecordWriter(pg_store)
    writer.add_call(make_record(f"{prefix}-2", arrived_at=t + 1, wait=1.0, talk=5.0))
    assert writer.flush(timeout=20) and writer.failed == 0
    ids = {c.call_id for c in pg_store.calls("2026-11-20")}
    assert {f"{prefix}-1", f"{prefix}-2"} <= ids
    assert pg_store.call(first.call_id).satisfaction == 1
    writer.close()  # the store with it: its heartbeats end here


def test_writer_reconnects_after_the_server_drops_the_connection(pg_store):
    import psycopg

    t = local_epoch("2026-11-20 11:00:00")
    prefix = uuid.uuid4().hex[:8]
    with psycopg.connect(URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pg_store.backend.conn.info.backend_pid,))
    writer = RecordWriter(pg_store)
    writer.add_call(make_record(f"{prefix}-r", arrived_at=t, wait=1.0, talk=5.0))
    assert writer.flush(timeout=20) and (writer.written, writer.failed) == (1, 0)
    assert pg_store.call(f"{prefix}-r") is not None
    writer.close()

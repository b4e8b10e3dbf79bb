"""Call records and a queue-log-style event log in SQLite (WAL) or PostgreSQL.

``RecordStore`` is the plain synchronous API (tools, reports); ``RecordWriter`` batches the
engine's commands into one transaction per batch on a thread of its own, so the asyncio loop
never waits on the disk.
"""

from callcenter.records.rows import StoredCall, StoredEvent, seat_state
from callcenter.records.schema import SCHEMA_VERSION
from callcenter.records.store import (
    DB_ENV,
    DEFAULT_URL,
    RecordStore,
    SchemaTooNew,
    StoreError,
    StoreLocked,
    StoreNotFound,
    default_url,
)
from callcenter.records.summary import call_summary_line, log_call_summaries
from callcenter.records.writer import RecordWriter

__all__ = [
    "DB_ENV",
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "RecordStore",
    "RecordWriter",
    "SchemaTooNew",
    "StoreError",
    "StoreLocked",
    "StoreNotFound",
    "StoredCall",
    "StoredEvent",
    "call_summary_line",
    "default_url",
    "log_call_summaries",
    "seat_state",
]

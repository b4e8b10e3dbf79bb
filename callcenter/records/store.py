"""``RecordStore``: the synchronous API over the record database (tools, reports, the writer)."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from zoneinfo import ZoneInfo

from acd.commands import AgentStateChanged, CallRecord
from callcenter.records.backends import (
    PostgresBackend,
    SqliteBackend,
    StoreError,
    StoreLocked,
    StoreNotFound,
    connect,
)
from callcenter.records.lifecycle import LOST, OPEN
from callcenter.records.rows import (
    AGENTSTATE,
    CALL_COLUMNS,
    EVENT_COLUMNS,
    CallRow,
    EventRow,
    StoredCall,
    StoredEvent,
    agent_state_event,
    call_events,
    call_row,
    check_score,
    command_rows,
    survey_event,
)
from callcenter.records.schema import SCHEMA_VERSION, migration_sql, version_table_sql

DEFAULT_URL = "sqlite:///var/callcenter.db"  # what serve writes and report reads
DB_ENV = "CALLCENTER_DB"


def default_url() -> str:
    """The record database of every command that takes no ``--db``: ``$CALLCENTER_DB``, else
    :data:`DEFAULT_URL` (relative to the working folder)."""
    return os.environ.get(DB_ENV) or DEFAULT_URL

_INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))}) "
)
_OPEN_CALL = _INSERT_CALL + "ON CONFLICT (call_id) DO NOTHING"
# A closing row fills in the call's open record, or adds it; a closed record stays as it is,
# except a lost one: a restarted engine that finds the call still on the switch tells its end.
_CLOSE_CALL = _INSERT_CALL + "ON CONFLICT (call_id) DO UPDATE SET " + ", ".join(
    f"{column} = excluded.{column}" for column in CALL_COLUMNS
    if column not in ("call_id", "satisfaction")
) + f" WHERE calls.outcome IN ('{OPEN}', '{LOST}')"
_BEAT = ("INSERT INTO heartbeat (id, beat_at) VALUES (1, ?) "
         "ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at")
_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
_SET_SATISFACTION = "UPDATE calls SET satisfaction = ? WHERE call_id = ?"

Satisfaction = tuple[str, int, float]  # call_id, score, time
_MIGRATION_LOCK = 0x12345  # advisory lock id: one process migrates at a time


class StoreClosed(StoreError):
    """The store was closed: nothing more is read or written."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of this software."""


class RecordStore:
    """Call records and the event log in one database; every method is one transaction.

    Safe to share between threads (one lock around the connection). A call is recorded once:
    a second record with the same call id is ignored.
    """

    def __init__(self, backend: SqliteBackend | PostgresBackend, timezone: str = "Asia/Shanghai"):
        self.backend = backend
        self.tz = ZoneInfo(timezone)
        self._lock = threading.RLock()
        self.closed = False

    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, timezone: str = "Asia/Shanghai",
             create: bool = True, exclusive: bool = False) -> RecordStore:
        """Open (and with ``create`` make) the database at ``url``, migrating it to the
        current schema. With ``exclusive`` (the engine) first take the database's lock, held
        until ``close``. Raises ``StoreNotFound``, ``StoreLocked`` or ``SchemaTooNew``."""
        backend = connect(url, create=create)
        store = cls(backend, timezone)
        try:
            if exclusive:
                backend.lock()
            store._migrate()
        except BaseException:
            backend.close()
            raise
        return store

    # ------------------------------------------------------------------ schema

    @property
    def schema_version(self) -> int:
        with self._lock:
            rows = self.backend.query("SELECT MAX(version) FROM schema_version")
        return rows[0][0] or 0

    def _migrate(self) -> None:
        backend = self.backend
        with self._lock, backend.transaction():
            if backend.dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
                backend.query("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            backend.execute(version_table_sql(backend.dialect))
            current = backend.query("SELECT MAX(version) FROM schema_version")[0][0] or 0
            if current > SCHEMA_VERSION:
                raise SchemaTooNew(f"record database has schema version {current}; this "
                                   f"software knows up to {SCHEMA_VERSION}")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in migration_sql(backend.dialect, version):
                    backend.execute(statement)
                backend.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                                (version, time.time()))

    # ------------------------------------------------------------------ writing

    def write(self, calls: Sequence[CallRow] = (), events: Sequence[EventRow] = (),
              satisfactions: Sequence[Satisfaction] = (), *, opened: Sequence[CallRow] = (),
              beat_at: float | None = None) -> None:
        """In one transaction: open records, close records (``calls``: each fills in its open
        record or adds it; a closed record is never changed), insert events, apply
        satisfaction scores, and note the heartbeat."""
        backend = self.backend
        with self._lock:
            if self.closed:
                raise StoreClosed("the records store is closed")
            with backend.transaction():
                if opened:
                    backend.executemany(_OPEN_CALL, opened)
                if calls:
                    backend.executemany(_CLOSE_CALL, calls)
                if events:
                    backend.executemany(_INSERT_EVENT, events)
                for call_id, score, at in satisfactions:
                    backend.execute(_SET_SATISFACTION, (score, call_id))
                    backend.execute(_INSERT_EVENT, survey_event(call_id, score, at))
                if beat_at is not None:
                    backend.execute(_BEAT, (beat_at,))

    def record_commands(self, commands: Iterable[object]) -> None:
        """Store what the commands say (``CallFinished``, ``AgentStateChanged``, ``CallOpened``,
        ``CallClosed``)."""
        rows = command_rows(commands, self.tz)
        self.write(rows.closed, rows.events, opened=rows.opened)

    def beat(self, at: float) -> None:
        """Note that the engine was alive at ``at`` (dates a crash for :meth:`close_lost_calls`);
        nothing once the store is closed (its owner is shutting down)."""
        with self._lock:
            if not self.closed:
                self.write(beat_at=at)

    def last_seen(self, before: float) -> float | None:
        """The latest moment before ``before`` the database shows the engine alive: its last
        heartbeat, event, arrival or end."""
        sql = ("SELECT MAX(beat_at) FROM heartbeat WHERE beat_at < ? UNION ALL "
               "SELECT MAX(at) FROM events WHERE at < ? UNION ALL "
               "SELECT MAX(arrived_at) FROM calls WHERE arrived_at < ? UNION ALL "
               "SELECT MAX(ended_at) FROM calls WHERE ended_at < ?")
        with self._lock:
            rows = self.backend.query(sql, (before,) * 4)
        times = [row[0] for row in rows if row[0] is not None]
        return max(times) if times else None

    def close_lost_calls(self, before: float) -> list[StoredCall]:
        """Close as ``lost`` every record still open that arrived before ``before`` (the
        engine's start): an earlier run died under it. Each ends at the last moment that run
        was seen alive (never before the call arrived). Returns the records as closed."""
        with self._lock, self.backend.transaction():
            crash = self.last_seen(before)
            rows = self.backend.query(
                f"SELECT {', '.join(CALL_COLUMNS)} FROM calls WHERE outcome = ? AND arrived_at < ?",
                (OPEN, before))
            lost = []
            for call in map(StoredCall.from_row, rows):
                ended = max(call.arrived_at, crash if crash is not None else call.arrived_at)
                self.backend.execute(
                    "UPDATE calls SET outcome = ?, ended_at = ? WHERE call_id = ? AND outcome = ?",
                    (LOST, ended, call.call_id, OPEN))
                lost.append(dataclasses.replace(call, outcome=LOST, ended_at=ended))
        return lost

    def add_calls(self, records: Iterable[CallRecord]) -> None:
        records = list(records)
        self.write([call_row(r, self.tz) for r in records],
                   [row for r in records for row in call_events(r)])

    def add_agent_states(self, changes: Iterable[AgentStateChanged]) -> None:
        self.write(events=[agent_state_event(c) for c in changes])

    def set_satisfaction(self, call_id: object, score: int, at: float | None = None) -> bool:
        """Record the IVR survey score of a call; False if no such call is recorded (the
        score is still kept in the event log)."""
        check_score(score)
        with self._lock:
            found = self.call(call_id) is not None
            self.write(satisfactions=[(str(call_id), score, time.time() if at is None else at)])
        return found

    def close_open_states(self, at: float, reason: str = "engine-restart") -> list[str]:
        """Log out, at ``at``, every agent the event log still shows logged in.

        Call it when the engine starts: a restarted ACD has every seat logged out, and
        without this a seat killed mid-call would count as on the call until its next change.
        Returns the agents closed.
        """
        with self._lock:
            open_agents = sorted(
                agent for agent, event in self.agent_states_before(at).items()
                if event.data.get("state") != "logged_out"
            )
            self.add_agent_states(
                AgentStateChanged(agent, "logged_out", "idle", reason, at) for agent in open_agents
            )
        return open_agents

    # ------------------------------------------------------------------ reading

    def calls(self, day: str | None = None) -> list[StoredCall]:
        """Call records of ``day`` (arrival date in the center's timezone), or all."""
        sql = f"SELECT {', '.join(CALL_COLUMNS)} FROM calls"
        params: tuple = ()
        if day is not None:
            sql += " WHERE day = ?"
            params = (day,)
        with self._lock:
            rows = self.backend.query(sql + " ORDER BY arrived_at, id", params)
        return [StoredCall.from_row(row) for row in rows]

    def arrivals(self) -> list[tuple[float, str, str, str]]:
        """``(arrived_at, line, language, first queue)`` of every call, in arrival order."""
        with self._lock:
            rows = self.backend.query("SELECT arrived_at, line, language, "
                                      "COALESCE(first_queue, queue) FROM calls ORDER BY arrived_at")
        return [tuple(row) for row in rows]

    def call(self, call_id: object) -> StoredCall | None:
        with self._lock:
            rows = self.backend.query(
                f"SELECT {', '.join(CALL_COLUMNS)} FROM calls WHERE call_id = ?", (str(call_id),))
        return StoredCall.from_row(rows[0]) if rows else None

    def count_calls(self) -> int:
        with self._lock:
            return self.backend.query("SELECT COUNT(*) FROM calls")[0][0]

    def events(self, start: float | None = None, end: float | None = None, *,
               agent: str | None = None, event: str | None = None) -> list[StoredEvent]:
        """Event-log rows with ``start <= at < end`` in time order (then insertion order)."""
        where, params = [], []
        for clause, value in (("at >= ?", start), ("at < ?", end), ("agent = ?", agent),
                              ("event = ?", event)):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self.backend.query(sql + " ORDER BY at, id", params)
        return [StoredEvent.from_row(row) for row in rows]

    def agent_states_before(self, at: float) -> dict[str, StoredEvent]:
        """Each agent's last recorded state change before ``at`` (the core emits a seat's changes
        in time order, so the last row written is the latest)."""
        sql = (
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE id IN "
            "(SELECT MAX(id) FROM events WHERE event = ? AND at < ? GROUP BY agent)"
        )
        with self._lock:
            rows = self.backend.query(sql, (AGENTSTATE, at))
        return {row[3]: StoredEvent.from_row(row) for row in rows}

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds the file sound (PostgreSQL: always ``ok``)."""
        if isinstance(self.backend, SqliteBackend):
            with self._lock:
                return self.backend.integrity_check()
        return "ok"

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the database (once; again does nothing)."""
        with self._lock:
            if not self.closed:
                self.closed = True
                self.backend.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["DB_ENV", "DEFAULT_URL", "RecordStore", "SchemaTooNew", "StoreClosed", "StoreError",
           "StoreLocked",
           "StoreNotFound",
           "default_url"]

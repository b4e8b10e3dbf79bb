"""``CaseStore``: cases' event log, their current state, settings, over the record database.

Every change to a case is one transaction: its new events appended to ``case_events`` (never
updated or deleted) and its projection row in ``cases`` rewritten, guarded by the case's
version so that two writers cannot both extend the same history. A committed change survives
``kill -9`` (SQLite WAL with ``synchronous=FULL``; PostgreSQL's own commit).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Any

from callcenter.records import RecordStore
from callcenter.records.backends import Backend

CASE_COLUMNS = ("case_id", "status", "category", "urgency", "channel", "caller", "district",
                "address", "call_id", "intake_by", "created_at", "day", "closed_at",
                "next_deadline", "card", "supervised", "extension_pending", "version", "state")


class ConcurrentChange(Exception):
    """The case changed since it was read (another request won); nothing was written."""


@dataclass
class CaseRow:
    """The projection of one case: the columns queries filter on, and the full state (JSON)."""

    case_id: str
    status: str
    category: str
    urgency: str
    channel: str
    caller: str | None
    district: str | None
    address: str | None
    call_id: str | None
    intake_by: str
    created_at: float
    day: str
    closed_at: float | None
    next_deadline: float | None
    card: str | None
    supervised: int
    extension_pending: int | None  # days asked, while a request waits for a decision
    version: int
    state: str

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in CASE_COLUMNS)

    def state_dict(self) -> dict[str, Any]:
        return json.loads(self.state)

    def summary(self) -> dict[str, Any]:
        """The row without the full state (for lists)."""
        out = asdict(self)
        del out["state"]
        return out


assert tuple(f.name for f in fields(CaseRow)) == CASE_COLUMNS


@dataclass(frozen=True)
class StoredCaseEvent:
    case_id: str
    seq: int
    at: float
    kind: str
    actor: str
    data: dict[str, Any]


@dataclass
class CaseQuery:
    """Filters for ``CaseStore.find``; None means any."""

    status: str | None = None
    category: str | None = None  # a code or a code prefix (a parent category)
    urgency: str | None = None
    district: str | None = None
    department: str | None = None
    caller: str | None = None
    card: str | None = None
    supervised: bool | None = None
    extension: bool | None = None  # handling, with an extension request pending
    created_from: float | None = None
    created_to: float | None = None
    due_before: float | None = None
    open_only: bool = False  # not closed yet
    by_deadline: bool = False  # nearest next deadline first (none last), rather than newest first
    limit: int = 100
    offset: int = 0


_SELECT_CASE = f"SELECT {', '.join('c.' + c for c in CASE_COLUMNS)} FROM cases c"
_UPSERT = (f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({', '.join('?' * len(CASE_COLUMNS))}) "
           "ON CONFLICT (case_id) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in CASE_COLUMNS if c != "case_id"))


Counts = dict[tuple[str, str], int]  # the board's counters by (name, department)
_ADD_COUNTS = ("INSERT INTO case_counts (name, department, n) VALUES (?, ?, ?) "
               "ON CONFLICT (name, department) DO UPDATE SET n = case_counts.n + excluded.n")


def counted(status: str, closed_at: float | None, supervised: int, card: str | None,
            extension_pending: int | None, departments: Iterable[str]) -> Counter[tuple[str, str]]:
    """What one case adds to ``case_counts``: nothing once closed; else its status, whether it is
    supervised or has an extension request pending, and its card for each of its departments."""
    out: Counter[tuple[str, str]] = Counter()
    if closed_at is not None:
        return out
    out["status:" + status, ""] += 1
    if supervised:
        out["supervised", ""] += 1
    if status == "handling" and extension_pending is not None:
        out["extension", ""] += 1
    if card is not None:
        for department in departments:
            out["card:" + card, department] += 1
    return out


def _actor(event: dict[str, Any]) -> str:
    actor = event.get("actor")
    return str(actor.get("user", "system")) if isinstance(actor, dict) else str(actor or "system")


class CaseStore:
    """Case storage over one ``RecordStore`` connection (thread-safe through its lock)."""

    def __init__(self, records: RecordStore) -> None:
        self.records = records
        self.backend = records.backend
        self._lock = records._lock

    @classmethod
    def open(cls, url: str, *, timezone: str = "Asia/Shanghai") -> CaseStore:
        return cls(RecordStore.open(url, timezone=timezone, create=True))

    def close(self) -> None:
        self.records.close()

    @contextmanager
    def transaction(self) -> Iterator[Backend]:
        """The store's connection for tables kept beside the cases (one module's own rows),
        held by this thread and all or nothing, as the cases' own writes are."""
        with self._lock, self.backend.transaction():
            yield self.backend

    # ------------------------------------------------------------------ writing

    def commit(self, row: CaseRow, events: Sequence[dict[str, Any]],
               departments: Iterable[tuple[str, str]], *, expected_version: int,
               extra: Sequence[tuple[str, Sequence[Any]]] = ()) -> None:
        """Append ``events`` (dicts with ``type``, ``at``, ``actor``) to the case's history and
        store ``row`` (whose ``version`` is the new event count) and its departments, and run
        the ``extra`` statements, all or nothing, with the board's counters changed by what the
        case counted before and counts now. Raises ``ConcurrentChange`` if the stored version is
        not ``expected_version``."""
        backend = self.backend
        departments = list(departments)
        delta = counted(row.status, row.closed_at, row.supervised, row.card, row.extension_pending,
                        [d for d, _ in departments])
        with self._lock, backend.transaction():
            stored = backend.query("SELECT version, status, closed_at, supervised, card, extension_pending"
                                   " FROM cases WHERE case_id = ?", (row.case_id,))
            if (stored[0][0] if stored else 0) != expected_version:
                raise ConcurrentChange(f"case {row.case_id} changed meanwhile")
            if stored:
                _, status, closed_at, supervised, card, extension = stored[0]
                before = [] if card is None or closed_at is not None else [d for (d,) in backend.query(
                    "SELECT department FROM case_departments WHERE case_id = ?", (row.case_id,))]
                delta.subtract(counted(status, closed_at, supervised, card, extension, before))
            backend.executemany(_ADD_COUNTS, [(name, department, n)
                                              for (name, department), n in sorted(delta.items()) if n])
            backend.executemany(
                "INSERT INTO case_events (case_id, seq, at, kind, actor, data) VALUES (?, ?, ?, ?, ?, ?)",
                [(row.case_id, expected_version + i + 1, float(e["at"]), str(e["type"]),
                  _actor(e), json.dumps(e, ensure_ascii=False, sort_keys=True))
                 for i, e in enumerate(events)])
            backend.execute(_UPSERT, row.values())
            backend.execute("DELETE FROM case_departments WHERE case_id = ?", (row.case_id,))
            backend.executemany(
                "INSERT INTO case_departments (case_id, department, role) VALUES (?, ?, ?)",
                [(row.case_id, d, r) for d, r in departments])
            for sql, params in extra:
                backend.execute(sql, params)

    # ------------------------------------------------------------------ reading

    def get(self, case_id: str) -> CaseRow | None:
        with self._lock:
            rows = self.backend.query(_SELECT_CASE + " WHERE c.case_id = ?", (case_id,))
        return CaseRow(*rows[0]) if rows else None

    def departments(self, case_id: str) -> dict[str, str]:
        with self._lock:
            rows = self.backend.query(
                "SELECT department, role FROM case_departments WHERE case_id = ?", (case_id,))
        return dict(rows)

    def history(self, case_id: str) -> list[StoredCaseEvent]:
        with self._lock:
            rows = self.backend.query(
                "SELECT case_id, seq, at, kind, actor, data FROM case_events WHERE case_id = ? "
                "ORDER BY seq", (case_id,))
        return [StoredCaseEvent(*row[:5], json.loads(row[5])) for row in rows]

    def find(self, q: CaseQuery) -> list[CaseRow]:
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("status", q.status), ("urgency", q.urgency),
                              ("district", q.district), ("caller", q.caller), ("card", q.card)):
            if value is not None:
                where.append(f"c.{column} = ?")
                params.append(value)
        if q.category is not None:
            where.append("(c.category = ? OR c.category LIKE ?)")
            params += [q.category, q.category + ".%"]
        if q.supervised is not None:
            where.append("c.supervised = ?")
            params.append(int(q.supervised))
        if q.extension is not None:
            where.append("(c.status = 'handling' AND c.extension_pending IS NOT NULL)" if q.extension
                         else "NOT (c.status = 'handling' AND c.extension_pending IS NOT NULL)")
        if q.open_only:
            where.append("c.closed_at IS NULL")
        for clause, value in (("c.created_at >= ?", q.created_from), ("c.created_at < ?", q.created_to),
                              ("c.next_deadline < ?", q.due_before)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if q.department is not None:
            where.append("c.case_id IN (SELECT case_id FROM case_departments WHERE department = ?)")
            params.append(q.department)
        sql = _SELECT_CASE + (" WHERE " + " AND ".join(where) if where else "")
        sql += (" ORDER BY c.next_deadline IS NULL, c.next_deadline, c.case_id" if q.by_deadline
                else " ORDER BY c.created_at DESC, c.case_id") + " LIMIT ? OFFSET ?"
        with self._lock:
            rows = self.backend.query(sql, (*params, q.limit, q.offset))
        return [CaseRow(*row) for row in rows]

    def by_call(self, call_id: str) -> list[CaseRow]:
        with self._lock:
            rows = self.backend.query(_SELECT_CASE + " WHERE c.call_id = ? ORDER BY c.created_at",
                                      (call_id,))
        return [CaseRow(*row) for row in rows]

    def all_in(self, start: float | None = None, end: float | None = None) -> Iterable[CaseRow]:
        """Cases created in ``[start, end)`` in creation order (all when both are None)."""
        sql, params = _SELECT_CASE, []
        where = []
        if start is not None:
            where.append("c.created_at >= ?")
            params.append(start)
        if end is not None:
            where.append("c.created_at < ?")
            params.append(end)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self.backend.query(sql + " ORDER BY c.created_at, c.case_id", params)
        return [CaseRow(*row) for row in rows]

    def intakes_since(self, start: float) -> list[tuple[Any, ...]]:
        """``(case_id, created_at, channel, category, caller, address, district)`` of the cases
        taken in since ``start``, oldest first (what the repeat and cluster detectors need)."""
        with self._lock:
            return self.backend.query(
                "SELECT case_id, created_at, channel, category, caller, address, district FROM cases "
                "WHERE created_at >= ? ORDER BY created_at, case_id", (start,))

    def states_in(self, start: float, end: float) -> list[dict[str, Any]]:
        """The full states (projections) of the cases created in ``[start, end)``."""
        with self._lock:
            rows = self.backend.query("SELECT state FROM cases WHERE created_at >= ? AND created_at < ?",
                                      (start, end))
        return [json.loads(row[0]) for row in rows]

    def notices(self, department: str, limit: int = 20) -> list[StoredCaseEvent]:
        """The latest supervision orders (督办) on the department's open cases and the reminders
        (催办) sent to it, newest first."""
        with self._lock:
            rows = self.backend.query(
                "SELECT e.case_id, e.seq, e.at, e.kind, e.actor, e.data FROM case_events e"
                " JOIN case_departments d ON d.case_id = e.case_id JOIN cases c ON c.case_id = e.case_id"
                " WHERE d.department = ? AND c.closed_at IS NULL AND e.kind IN ('Supervised', 'Reminded')"
                " ORDER BY e.at DESC, e.id DESC LIMIT ?", (department, limit * 4))
        events = [StoredCaseEvent(*row[:5], json.loads(row[5])) for row in rows]
        return [e for e in events if e.kind == "Supervised" or e.data.get("department") == department][:limit]

    def counts(self) -> Counts:
        """The board's counters (see ``counted``) that are not zero, by (name, department)."""
        with self._lock:
            rows = self.backend.query("SELECT name, department, n FROM case_counts WHERE n <> 0")
        return {(name, department): int(n) for name, department, n in rows}

    def open_by_status(self, counts: Counts | None = None) -> dict[str, int]:
        """How many cases not closed yet are in each status (and ``supervised``: how many of
        them are under supervision), from the counters (``counts`` when already read)."""
        counts = self.counts() if counts is None else counts
        out = {name.removeprefix("status:"): n for (name, _), n in counts.items()
               if name.startswith("status:")}
        out["supervised"] = counts.get(("supervised", ""), 0)
        return out

    def cards_by_department(self, counts: Counts | None = None) -> dict[str, dict[str, int]]:
        """Open cases with a yellow (near due) or red (overdue) card, counted by department."""
        counts = self.counts() if counts is None else counts
        out: dict[str, dict[str, int]] = {}
        for (name, department), n in sorted(counts.items()):
            if name.startswith("card:"):
                out.setdefault(department, {"yellow": 0, "red": 0})[name.removeprefix("card:")] = n
        return out

    def open_supervised(self, limit: int) -> list[CaseRow]:
        """The newest ``limit`` open cases under supervision (an indexed read)."""
        with self._lock:
            rows = self.backend.query(
                _SELECT_CASE + " WHERE c.supervised = 1 AND c.closed_at IS NULL"
                " ORDER BY c.created_at DESC, c.case_id LIMIT ?", (limit,))
        return [CaseRow(*row) for row in rows]

    def pending_extensions(self, limit: int) -> list[CaseRow]:
        """The oldest ``limit`` open cases in handling with an extension request waiting for a
        decision (an indexed read)."""
        with self._lock:
            rows = self.backend.query(
                _SELECT_CASE + " WHERE c.extension_pending IS NOT NULL AND c.closed_at IS NULL"
                " AND c.status = 'handling' ORDER BY c.created_at, c.case_id LIMIT ?", (limit,))
        return [CaseRow(*row) for row in rows]

    def intakes_of(self, username: str, day: str) -> tuple[int, int]:
        """``(taken, answered directly)``: the cases ``username`` took in on local ``day`` and
        how many of them were answered on the spot (直办)."""
        with self._lock:
            rows = self.backend.query(
                "SELECT COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM case_events e WHERE"
                " e.case_id = c.case_id AND e.kind = 'AnsweredDirectly') THEN 1 ELSE 0 END)"
                " FROM cases c WHERE c.day = ? AND c.intake_by = ?", (day, username))
        return int(rows[0][0]), int(rows[0][1] or 0)

    def due(self, now: float, limit: int = 500) -> list[str]:
        """Cases whose next deadline has come, earliest first."""
        with self._lock:
            rows = self.backend.query(
                "SELECT case_id FROM cases WHERE next_deadline <= ? ORDER BY next_deadline LIMIT ?",
                (now, limit))
        return [row[0] for row in rows]

    def next_deadline(self) -> float | None:
        with self._lock:
            return self.backend.query("SELECT MIN(next_deadline) FROM cases")[0][0]

    def count(self) -> int:
        with self._lock:
            return self.backend.query("SELECT COUNT(*) FROM cases")[0][0]

    def count_events(self) -> int:
        with self._lock:
            return self.backend.query("SELECT COUNT(*) FROM case_events")[0][0]

    # ------------------------------------------------------------------ settings

    def put_setting(self, name: str, data: Any) -> None:
        with self._lock, self.backend.transaction():
            self.backend.execute(
                "INSERT INTO case_settings (name, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (name, json.dumps(data, ensure_ascii=False), time.time()))

    def setting(self, name: str) -> Any:
        with self._lock:
            rows = self.backend.query("SELECT data FROM case_settings WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

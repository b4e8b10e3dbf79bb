"""The dialer's tasks that no case holds (missed-call callbacks), kept in the case store's
database (SQLite or PostgreSQL, table ``outbound_tasks``) so that a restart loses none.

``TaskStore.save`` takes a snapshot of the changed tasks (under the runner's lock) and writes
it on one worker thread of its own, in order: the loop never waits on the database and a later
state never lands before an earlier one. ``load`` reads what a new run takes up: every task not
finished, and the finished ones still inside the once-per-number period.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from callcenter.casework.store import CaseStore
from outbound.model import Kind, Mode
from outbound.task import FINAL, State, Task

log = logging.getLogger(__name__)

COLUMNS = ("task_id", "kind", "mode", "number", "line", "created", "due_at", "expires", "case_id",
           "call_id", "language", "state", "attempts", "since")
_UPSERT = (f"INSERT INTO outbound_tasks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
           "ON CONFLICT (task_id) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "task_id"))
_FINAL = tuple(state.value for state in FINAL)
_KEPT = frozenset({Kind.MISSED_CALL})  # visits are re-made from their cases


def task_row(task: Task) -> tuple[Any, ...]:
    return (task.task_id, task.kind.value, task.mode.value, task.number, task.line, task.created,
            task.due_at, task.expires, task.case_id, task.call_id, task.language, task.state.value,
            task.attempts, task.since)


def task_of(row: tuple[Any, ...]) -> Task:
    (task_id, kind, mode, number, line, created, due_at, expires, case_id, call_id, language, state,
     attempts, since) = row
    return Task(task_id, Kind(kind), Mode(mode), number, line, float(created), float(due_at),
                None if expires is None else float(expires), case_id=case_id, call_id=call_id,
                language=language, state=State(state), attempts=int(attempts), since=float(since))


class TaskStore:
    """Stored tasks over the case store's connection (its ``transaction``: thread-safe)."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbound-store")

    def save(self, tasks: Iterable[Task]) -> None:
        """Store the tasks of the kinds no case holds, in the background, in call order."""
        rows = [task_row(task) for task in tasks if task.kind in _KEPT]
        if not rows:
            return
        try:
            self._writer.submit(self._write, rows)
        except RuntimeError:  # closed: a call's end reported while the engine stops
            log.warning("outbound: %d task changes after closing were not stored", len(rows))

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        try:
            with self.store.transaction() as db:
                db.executemany(_UPSERT, rows)
        except Exception:
            log.exception("outbound: %d task changes could not be stored", len(rows))

    def flush(self) -> None:
        """Wait until everything saved so far is written."""
        self._writer.submit(lambda: None).result()

    def load(self, since: float) -> list[Task]:
        """Tasks not finished, and finished ones made at or after ``since``, oldest first;
        finished ones made before it are deleted."""
        marks = ", ".join("?" * len(_FINAL))
        with self.store.transaction() as db:
            db.execute(f"DELETE FROM outbound_tasks WHERE created < ? AND state IN ({marks})",
                       (since, *_FINAL))
            rows = db.query(f"SELECT {', '.join(COLUMNS)} FROM outbound_tasks ORDER BY created, task_id")
        return [task_of(row) for row in rows]

    def close(self) -> None:
        self._writer.shutdown(wait=True)

"""``RecordWriter``: batched, non-blocking recording of the engine's commands.

The engine's loop only puts commands on a queue (``sink`` costs a list append and a lock);
one writer thread takes whatever has piled up, up to ``max_batch`` items, and commits it in
one transaction. Under load batches grow on their own; when idle each item commits at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from acd.commands import AgentStateChanged, CallFinished, CallRecord
from callcenter.records.rows import RECORDED, Rows, check_score
from callcenter.records.store import RecordStore, Satisfaction, StoreClosed

log = logging.getLogger(__name__)

_STOP = object()


class RecordWriter:
    """Writes call records and state changes to ``store`` on a thread of its own.

    A batch that fails for a transient reason is retried with backoff for about
    ``retry_seconds`` (a locked or full disk may recover) before it is logged and dropped;
    ``failed`` counts the dropped items. Every ``heartbeat`` seconds (and with each batch)
    it notes in the database that the engine is alive, which dates a crash; once the store is
    closed (its owner shutting down) it notes nothing more, silently.

    With ``held`` nothing is written until :meth:`release` (which may first run a recovery
    step on the store): the engine queues records while its listeners open, and only then
    closes what an earlier run left open.
    """

    def __init__(self, store: RecordStore, *, max_batch: int = 1000,
                 retry_seconds: float = 30.0, heartbeat: float = 5.0, held: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.max_batch = max_batch
        self.retry_seconds = retry_seconds
        self.heartbeat = heartbeat
        self.clock = clock
        self._released = threading.Event()
        self._recover: Callable[[RecordStore], None] | None = None
        if not held:
            self._released.set()
        self.written = 0
        self.failed = 0
        self.batches = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._submitted = 0
        self._done = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="record-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ producer side

    def sink(self, commands: Sequence[object]) -> None:
        """A ``CoreDriver`` sink: queue the recorded commands, never waiting on the disk."""
        for command in commands:
            if isinstance(command, RECORDED):
                self._put(command)

    def release(self, recover: Callable[[RecordStore], None] | None = None) -> None:
        """Start writing; ``recover(store)`` runs first, on the writer thread (once)."""
        if not self._released.is_set():
            self._recover = recover
            self._released.set()

    def add_call(self, record: CallRecord) -> None:
        self._put(CallFinished(record))

    def add_agent_state(self, change: AgentStateChanged) -> None:
        self._put(change)

    def set_satisfaction(self, call_id: object, score: int, at: float | None = None) -> None:
        """Queue the IVR survey score; applied after every record queued before it."""
        check_score(score)
        self._put((str(call_id), score, time.time() if at is None else at))

    def _put(self, item: object) -> None:
        with self._cond:  # so that nothing is queued behind the stop mark
            if self._closed:
                raise RuntimeError("record writer is closed")
            self._submitted += 1
            self._queue.put(item)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed (or dropped); False on timeout.
        For shutdown and tools: it blocks, so the event loop should not call it."""
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Write what is queued, stop the thread and close the store."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._released.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.store.close()

    @property
    def pending(self) -> int:
        with self._cond:
            return self._submitted - self._done

    # ------------------------------------------------------------------ writer thread

    def _run(self) -> None:
        self._released.wait()
        if self._recover is not None and not self._closed:
            try:
                self._recover(self.store)
            except Exception:
                log.exception("closing what an earlier run left open failed")
        stop = False
        while not stop:
            try:
                items = [self._queue.get(timeout=self.heartbeat)]
            except queue.Empty:
                self._beat()
                continue
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in items:
                stop = True
                items = [item for item in items if item is not _STOP]
            if items:
                self._commit(items)

    def _beat(self) -> None:
        try:
            self.store.beat(self.clock())
        except Exception:  # a missed heartbeat only makes a crash time less precise
            log.warning("heartbeat not written", exc_info=True)

    def _commit(self, items: list[object]) -> None:
        self._write(items)
        with self._cond:
            self._done += len(items)
            self._cond.notify_all()

    def _write(self, items: list[object]) -> None:
        """Commit ``items`` in one transaction. A transient failure (locked or full disk, lost
        connection) is retried with backoff; a batch the database refuses outright is split
        so that only the refused items are dropped."""
        rows = Rows([], [], [])
        satisfactions: list[Satisfaction] = []
        for item in items:
            if isinstance(item, tuple):
                satisfactions.append(item)  # type: ignore[arg-type]
            else:
                rows.add(item, self.store.tz)
        delay, deadline = 0.05, time.monotonic() + self.retry_seconds
        while True:
            try:
                self.store.write(rows.closed, rows.events, satisfactions, opened=rows.opened,
                                 beat_at=self.clock())
            except StoreClosed:  # closed under the writer: its owner is gone, no use retrying
                log.error("records store closed: %d record item(s) dropped", len(items))
                self.failed += len(items)
                return
            except Exception as exc:
                if not _transient(exc):
                    if len(items) > 1:
                        half = len(items) // 2
                        self._write(items[:half])
                        self._write(items[half:])
                    else:
                        log.error("record refused by the database, dropped: %r", items[0],
                                  exc_info=True)
                        self.failed += 1
                    return
                if time.monotonic() + delay > deadline:
                    log.exception("dropping %d record item(s) after retries", len(items))
                    self.failed += len(items)
                    return
                log.warning("record batch failed; retrying in %.2f s", delay, exc_info=True)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            else:
                self.written += len(items)
                self.batches += 1
                return


def _transient(exc: BaseException) -> bool:
    """DB-API ``OperationalError`` (sqlite3 and psycopg alike): locked, I/O, connection."""
    return any(cls.__name__ == "OperationalError" for cls in type(exc).__mro__)


__all__ = ["RecordWriter"]

"""The SMS outbox in the case store's database: what is still to send survives the SMSC being
down and the engine restarting, and each message is sent once.

A notice is inserted in the same transaction as the case change that called for it, keyed by
its message id (``ON CONFLICT DO NOTHING``: a second insert changes nothing), with one row per
part. The sender takes the due messages' pending parts, records each part the SMSC accepted
(with the SMSC's id) so that it is never submitted again, and the delivery reports by that id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from callcenter.casework.store import CaseStore
from callcenter.sms.notices import Notice
from callcenter.sms.text import Part, split

Statement = tuple[str, Sequence[Any]]

_INSERT = ("INSERT INTO sms_outbox (message_id, case_id, notice, number, language, text, segments, "
           "status, created_at, not_before, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) "
           "ON CONFLICT (message_id) DO NOTHING")
_INSERT_PART = ("INSERT INTO sms_parts (message_id, seq, state, updated_at) VALUES (?, ?, 'pending', ?) "
                "ON CONFLICT (message_id, seq) DO NOTHING")


def insert_statements(notice: Notice, now: float) -> list[Statement]:
    """The statements that queue ``notice`` (for the case change's own transaction)."""
    out: list[Statement] = [(_INSERT, (notice.message_id, notice.case_id, notice.notice, notice.number,
                                       notice.language, notice.text, notice.segments, now,
                                       notice.not_before, now))]
    out += [(_INSERT_PART, (notice.message_id, seq, now)) for seq in range(1, notice.segments + 1)]
    return out


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A due message and the parts of it still to submit."""

    message_id: str
    case_id: str
    notice: str
    number: str
    text: str
    segments: int
    attempts: int
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """A message's new status (sent, delivered, failed): what the case's history records."""

    message_id: str
    case_id: str
    notice: str
    status: str
    segments: int
    detail: str


class Outbox:
    """Outbox queries over the case store's connection (thread-safe through its lock)."""

    def __init__(self, store: CaseStore, *, concatenation: str = "udh",
                 clock: Callable[[], float] = time.time) -> None:
        self.backend = store.backend
        self._lock = store._lock
        self.concatenation = concatenation
        self.clock = clock

    def add(self, notice: Notice) -> None:
        """Queue ``notice`` on its own (the engine queues it with the case change instead)."""
        with self._lock, self.backend.transaction():
            for sql, params in insert_statements(notice, self.clock()):
                self.backend.execute(sql, params)

    def due(self, now: float, limit: int = 100) -> list[Outgoing]:
        """Queued messages whose time has come, oldest first, with their pending parts."""
        with self._lock:
            rows = self.backend.query(
                "SELECT message_id, case_id, notice, number, text, segments, attempts FROM sms_outbox "
                "WHERE status = 'queued' AND not_before <= ? ORDER BY not_before, created_at LIMIT ?",
                (now, limit))
            out = []
            for message_id, case_id, notice, number, text, segments, attempts in rows:
                pending = {r[0] for r in self.backend.query(
                    "SELECT seq FROM sms_parts WHERE message_id = ? AND state = 'pending'", (message_id,))}
                parts = split(text, message_id, self.concatenation)  # type: ignore[arg-type]
                out.append(Outgoing(message_id, case_id, notice, number, text, segments, attempts,
                                    tuple(p for p in parts if p.seq in pending)))
        return out

    def counts(self) -> dict[str, int]:
        """Messages by state."""
        with self._lock:
            return dict(self.backend.query("SELECT status, COUNT(*) FROM sms_outbox GROUP BY status"))

    def next_due(self) -> float | None:
        with self._lock:
            return self.backend.query("SELECT MIN(not_before) FROM sms_outbox WHERE status = 'queued'")[0][0]

    def part_sent(self, message_id: str, seq: int, smsc_id: str) -> Change | None:
        """The SMSC accepted a part; returns the message's change once every part is in."""
        now = self.clock()
        with self._lock, self.backend.transaction():
            self.backend.execute(
                "UPDATE sms_parts SET state = 'sent', smsc_id = ?, updated_at = ? "
                "WHERE message_id = ? AND seq = ? AND state = 'pending'",
                (smsc_id, now, message_id, seq))
            left = self.backend.query("SELECT COUNT(*) FROM sms_parts WHERE message_id = ? "
                                      "AND state = 'pending'", (message_id,))[0][0]
            if left:
                return None
            ids = [r[0] for r in self.backend.query(
                "SELECT smsc_id FROM sms_parts WHERE message_id = ? ORDER BY seq", (message_id,))]
            return self._set(message_id, "sent", "smsc id " + ",".join(str(i) for i in ids), now,
                             only_from=("queued",))

    def defer(self, message_id: str, until: float, detail: str, *, max_attempts: int) -> Change | None:
        """A temporary refusal: try again at ``until``; ``failed`` after ``max_attempts``."""
        now = self.clock()
        with self._lock, self.backend.transaction():
            rows = self.backend.query(
                "SELECT attempts FROM sms_outbox WHERE message_id = ? AND status = 'queued'", (message_id,))
            if not rows:
                return None
            if rows[0][0] + 1 >= max_attempts:
                return self._set(message_id, "failed", f"{detail} ({max_attempts} attempts)", now,
                                 only_from=("queued",))
            self.backend.execute(
                "UPDATE sms_outbox SET attempts = attempts + 1, not_before = ?, detail = ?, updated_at = ? "
                "WHERE message_id = ?", (until, detail, now, message_id))
        return None

    def fail(self, message_id: str, detail: str) -> Change | None:
        """A permanent refusal of a part: the message failed."""
        with self._lock, self.backend.transaction():
            return self._set(message_id, "failed", detail, self.clock(), only_from=("queued",))

    def receipt(self, smsc_id: str, delivered: bool, detail: str) -> tuple[bool, Change | None]:
        """A delivery report for the part the SMSC knows as ``smsc_id``: whether that part was
        known (sent, not yet reported), and the message's change once it is decided (all parts
        delivered, or one failed)."""
        now = self.clock()
        with self._lock, self.backend.transaction():
            rows = self.backend.query(
                "SELECT message_id FROM sms_parts WHERE smsc_id = ? AND state = 'sent'", (smsc_id,))
            if not rows:
                return False, None
            message_id = rows[0][0]
            self.backend.execute("UPDATE sms_parts SET state = ?, updated_at = ? WHERE smsc_id = ? "
                                 "AND message_id = ?",
                                 ("delivered" if delivered else "failed", now, smsc_id, message_id))
            if not delivered:
                return True, self._set(message_id, "failed", detail, now, only_from=("queued", "sent"))
            left = self.backend.query(
                "SELECT COUNT(*) FROM sms_parts WHERE message_id = ? AND state <> 'delivered'",
                (message_id,))[0][0]
            if left:
                return True, None
            return True, self._set(message_id, "delivered", detail, now, only_from=("sent",))

    def _set(self, message_id: str, status: str, detail: str, now: float, *,
             only_from: tuple[str, ...]) -> Change | None:
        changed = self.backend.execute(
            "UPDATE sms_outbox SET status = ?, detail = ?, updated_at = ? WHERE message_id = ? "
            f"AND status IN ({', '.join('?' * len(only_from))})",
            (status, detail[:500], now, message_id, *only_from))
        if not changed:
            return None
        case_id, notice, segments = self.backend.query(
            "SELECT case_id, notice, segments FROM sms_outbox WHERE message_id = ?", (message_id,))[0]
        return Change(message_id, case_id, notice, status, segments, detail[:500])

    def messages(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Every message (of one case), for the CLI and tests."""
        sql = ("SELECT message_id, case_id, notice, number, language, text, segments, status, attempts, "
               "not_before, detail FROM sms_outbox")
        params: tuple[Any, ...] = ()
        if case_id is not None:
            sql, params = sql + " WHERE case_id = ?", (case_id,)
        names = ("message_id", "case_id", "notice", "number", "language", "text", "segments", "status",
                 "attempts", "not_before", "detail")
        with self._lock:
            rows = self.backend.query(sql + " ORDER BY created_at", params)
        return [dict(zip(names, row, strict=True)) for row in rows]

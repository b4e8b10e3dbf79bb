"""Conversions between the core's commands and table rows (call records, queue-log events)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from acd.commands import AgentStateChanged, CallFinished, CallRecord
from callcenter.records.lifecycle import OPEN, CallClosed, CallOpened

CALL_COLUMNS = (
    "call_id", "day", "line", "language", "queue", "first_queue", "priority", "arrived_at",
    "enqueued_at", "answered_at", "ended_at", "outcome", "agent_id", "wait", "sl_wait", "talk",
    "offers", "callback", "overflow_target", "satisfaction", "transferred_to",
)
EVENT_COLUMNS = ("at", "call_id", "queue", "agent", "event", "data")

# Queue-log event names (after Asterisk's queue_log).
ENTERQUEUE, CONNECT, COMPLETE, ABANDON, OVERFLOW = (
    "ENTERQUEUE", "CONNECT", "COMPLETE", "ABANDON", "OVERFLOW",
)
AGENTSTATE, SURVEY = "AGENTSTATE", "SURVEY"

CallRow = tuple[Any, ...]
EventRow = tuple[Any, ...]


def local_day(at: float, tz: ZoneInfo) -> str:
    """The calendar day (YYYY-MM-DD) of epoch seconds ``at`` in the center's timezone."""
    return datetime.fromtimestamp(at, tz).date().isoformat()


def call_row(record: CallRecord, tz: ZoneInfo) -> CallRow:
    """One ``calls`` row; the day is the arrival day in the center's timezone."""
    return (
        str(record.call_id), local_day(record.arrived_at, tz), record.line, record.language,
        record.queue, record.first_queue, record.priority, record.arrived_at,
        record.enqueued_at, record.answered_at, record.ended_at, record.outcome,
        record.agent_id, record.wait, record.sl_wait, record.talk, record.offers,
        int(record.callback), record.overflow_target, None, record.transferred_to,
    )


def open_row(opened: CallOpened, tz: ZoneInfo) -> CallRow:
    """The ``calls`` row of a call that has just arrived (outcome ``open``)."""
    return (
        opened.call_id, local_day(opened.arrived_at, tz), opened.line, opened.language, None,
        None, 0, opened.arrived_at, None, None, None, OPEN, None, 0.0, 0.0, 0.0, 0, 0, None,
        None, None,
    )


def closed_row(closed: CallClosed, tz: ZoneInfo) -> CallRow:
    """The ``calls`` row of a call that ended in the IVR."""
    return (
        closed.call_id, local_day(closed.arrived_at, tz), closed.line, closed.language, None,
        None, 0, closed.arrived_at, None, None, closed.ended_at, closed.outcome, None, 0.0, 0.0,
        0.0, 0, 0, None, None, closed.transferred_to,
    )


def _data(**fields: Any) -> str:
    return json.dumps({k: v for k, v in fields.items() if v is not None}, sort_keys=True)


def call_events(record: CallRecord) -> list[EventRow]:
    """Queue-log rows for a finished call: ENTERQUEUE, CONNECT if answered, then the end."""
    call_id = str(record.call_id)
    first = record.first_queue or record.queue
    rows: list[EventRow] = [
        (record.enqueued_at, call_id, first, None, ENTERQUEUE,
         _data(line=record.line, language=record.language, priority=record.priority)),
    ]
    if record.outcome == "answered":
        rows.append((record.answered_at, call_id, record.queue, record.agent_id, CONNECT,
                     _data(wait=record.wait, offers=record.offers)))
        rows.append((record.ended_at, call_id, record.queue, record.agent_id, COMPLETE,
                     _data(wait=record.wait, talk=record.talk,
                           transferred_to=record.transferred_to)))
    elif record.outcome == "abandoned":
        rows.append((record.ended_at, call_id, record.queue, None, ABANDON,
                     _data(wait=record.wait, offers=record.offers)))
    else:
        rows.append((record.ended_at, call_id, record.queue, None, OVERFLOW,
                     _data(wait=record.wait, target=record.overflow_target)))
    return rows


def agent_state_event(change: AgentStateChanged) -> EventRow:
    call_id = str(change.call_id) if change.call_id is not None else None
    return (change.at, call_id, None, change.agent_id, AGENTSTATE,
            _data(presence=change.presence, activity=change.activity, reason=change.reason or None,
                  state=seat_state(change.presence, change.activity)))


def survey_event(call_id: str, score: int, at: float) -> EventRow:
    return (at, call_id, None, None, SURVEY, _data(score=score))


@dataclass(slots=True)
class Rows:
    """What a batch of commands writes: records opened, records closed, event-log rows."""

    opened: list[CallRow]
    closed: list[CallRow]
    events: list[EventRow]

    def add(self, command: object, tz: ZoneInfo) -> None:
        """Add the rows ``command`` writes (none for commands that are not recorded)."""
        if isinstance(command, CallFinished):
            self.closed.append(call_row(command.record, tz))
            self.events.extend(call_events(command.record))
        elif isinstance(command, AgentStateChanged):
            self.events.append(agent_state_event(command))
        elif isinstance(command, CallOpened):
            self.opened.append(open_row(command, tz))
        elif isinstance(command, CallClosed):
            self.closed.append(closed_row(command, tz))


RECORDED = (CallFinished, AgentStateChanged, CallOpened, CallClosed)


def command_rows(commands: object, tz: ZoneInfo) -> Rows:
    """The rows ``commands`` write."""
    rows = Rows([], [], [])
    for command in commands:  # type: ignore[attr-defined]
        rows.add(command, tz)
    return rows


def seat_state(presence: str, activity: str) -> str:
    """One state name per seat, as the ACD snapshot counts agents: logged_out, not_ready,
    idle, ringing, on_call or wrap_up."""
    if presence == "logged_out":
        return "logged_out"
    if activity == "idle":
        return "idle" if presence == "available" else "not_ready"
    return activity


def check_score(score: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"satisfaction score must be an integer 0..10, got {score!r}")
    return score


@dataclass(frozen=True, slots=True)
class StoredCall:
    """A ``calls`` row read back: the ``CallRecord`` fields plus day and satisfaction. A call
    that ended in the IVR (or is open, or was lost) has no queue."""

    call_id: str
    day: str
    line: str | None
    language: str | None
    queue: str | None  # None: the call never reached a queue
    first_queue: str | None
    priority: int
    arrived_at: float
    enqueued_at: float | None
    answered_at: float | None
    ended_at: float | None  # None while the call is open
    outcome: str
    agent_id: str | None
    wait: float
    sl_wait: float
    talk: float
    offers: int
    callback: bool
    overflow_target: str | None
    satisfaction: int | None
    transferred_to: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> StoredCall:
        values = dict(zip(CALL_COLUMNS, row, strict=True))
        values["callback"] = bool(values["callback"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    at: float
    call_id: str | None
    queue: str | None
    agent: str | None
    event: str
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> StoredEvent:
        at, call_id, queue, agent, event, data = row
        return cls(at, call_id, queue, agent, event, json.loads(data))

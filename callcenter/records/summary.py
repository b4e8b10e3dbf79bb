"""The canonical summary log line of a call: one key=value line per finished call."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from acd.commands import CallFinished, CallRecord
from callcenter.records.lifecycle import CallClosed

log = logging.getLogger("callcenter.calls")


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    if not text or any(ch in text for ch in ' ="\\') or any(ord(ch) < 32 for ch in text):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(ch if ord(ch) >= 32 else f"\\x{ord(ch):02x}" for ch in escaped)
        return f'"{escaped}"'
    return text


def call_summary_line(record: CallRecord | CallClosed) -> str:
    """``call_id=... line=... language=... queue=... wait=... talk=... outcome=... agent=...``

    Waits and talk are seconds with millisecond precision; a missing value is ``-``; values
    with spaces, quotes or control characters are quoted, so the line always splits back into
    the same eight fields.
    """
    if isinstance(record, CallClosed):  # ended in the IVR: no queue, wait, talk or agent
        queue, wait, talk, agent = None, 0.0, 0.0, None
    else:
        queue, wait, talk, agent = record.queue, record.wait, record.talk, record.agent_id
    fields = (
        ("call_id", record.call_id), ("line", record.line), ("language", record.language),
        ("queue", queue), ("wait", float(wait)), ("talk", float(talk)),
        ("outcome", record.outcome), ("agent", agent),
    )
    return " ".join(f"{key}={_value(value)}" for key, value in fields)


def log_call_summaries(commands: Sequence[object]) -> None:
    """A ``CoreDriver`` sink: log the summary line of every finished call at INFO."""
    for command in commands:
        if isinstance(command, CallFinished):
            log.info("%s", call_summary_line(command.record))
        elif isinstance(command, CallClosed):
            log.info("%s", call_summary_line(command))

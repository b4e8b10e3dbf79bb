"""The canonical summary log line of a call: one key=value line per finished call."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from acd.commands import CallFinished, CallRecord

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


def call_summary_line(record: CallRecord) -> str:
    """``call_id=... line=... language=... queue=... wait=... talk=... outcome=... agent=...``

    Waits and talk are seconds with millisecond precision; a missing value is ``-``; values
    with spaces, quotes or control characters are quoted, so the line always splits back into
    the same eight fields.
    """
    fields = (
        ("call_id", record.call_id), ("line", record.line), ("language", record.language),
        ("queue", record.queue), ("wait", float(record.wait)), ("talk", float(record.talk)),
        ("outcome", record.outcome), ("agent", record.agent_id),
    )
    return " ".join(f"{key}={_value(value)}" for key, value in fields)


def log_call_summaries(commands: Sequence[object]) -> None:
    """A ``CoreDriver`` sink: log the summary line of every finished call at INFO."""
    for command in commands:
        if isinstance(command, CallFinished):
            log.info("%s", call_summary_line(command.record))

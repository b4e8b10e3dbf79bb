"""Schema step 7: the outbound tasks no case holds.

A return visit is re-made from its case at start; a missed-call callback has no case, so its task
is kept here: pending ones are dialled after a restart, and finished ones remember that the
number was called back in the period. A row is rewritten at each change of its task.
"""

from __future__ import annotations

OUTBOUND_MIGRATION: list[str | dict[str, str]] = [
    """
    CREATE TABLE outbound_tasks (
        task_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        mode TEXT NOT NULL,
        number TEXT NOT NULL,
        line TEXT NOT NULL,
        created {float} NOT NULL,
        due_at {float} NOT NULL,
        expires {float},
        case_id TEXT,
        call_id TEXT,
        language TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        since {float} NOT NULL
    )
    """,
    "CREATE INDEX outbound_tasks_created ON outbound_tasks (created)",
]

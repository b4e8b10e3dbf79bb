"""The record schema and its migrations, one entry per version, for SQLite and PostgreSQL.

A database records its version in ``schema_version``; ``RecordStore.open`` applies the
missing steps in one transaction and refuses a database newer than this code.
"""

from __future__ import annotations

from callcenter.records.case_schema import BOARD_MIGRATION, CASES_MIGRATION
from callcenter.records.outbound_schema import OUTBOUND_MIGRATION
from callcenter.records.sms_schema import SMS_MIGRATION

SCHEMA_VERSION = 7

# Every outcome a call record can have. ``open``: the call is live (or the engine died under
# it); ``lost``: it was open when the engine died, closed at the next start.
QUEUE_OUTCOMES = ("answered", "abandoned", "overflowed")
IVR_OUTCOMES = ("self_service", "ivr_abandoned", "ivr_transferred")
OUTCOMES = ("open", *QUEUE_OUTCOMES, *IVR_OUTCOMES, "lost")
_OUTCOME_CHECK = "CHECK (outcome IN ({}))".format(", ".join(f"'{o}'" for o in OUTCOMES))

# Types that differ between the two dialects. REAL is 4 bytes in PostgreSQL: epoch seconds
# need DOUBLE PRECISION there.
_TYPES = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY", "float": "REAL"},
    "postgresql": {"pk": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                   "float": "DOUBLE PRECISION"},
}

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    applied_at {float} NOT NULL
)
"""

_CALLS_V4 = """
CREATE TABLE calls_v4 (
    id {pk},
    call_id TEXT NOT NULL UNIQUE,
    day TEXT NOT NULL,
    line TEXT,
    language TEXT,
    queue TEXT,
    first_queue TEXT,
    priority INTEGER NOT NULL,
    arrived_at {float} NOT NULL,
    enqueued_at {float},
    answered_at {float},
    ended_at {float},
    outcome TEXT NOT NULL {outcome_check},
    agent_id TEXT,
    wait {float} NOT NULL,
    sl_wait {float} NOT NULL,
    talk {float} NOT NULL,
    offers INTEGER NOT NULL,
    callback INTEGER NOT NULL,
    overflow_target TEXT,
    satisfaction INTEGER,
    transferred_to TEXT
)
"""
_V3_COLUMNS = (
    "id, call_id, day, line, language, queue, first_queue, priority, arrived_at, enqueued_at, "
    "answered_at, ended_at, outcome, agent_id, wait, sl_wait, talk, offers, callback, "
    "overflow_target, satisfaction, transferred_to"
)

# 4: a record opens when the call arrives (queue, queue entry and end unknown yet) and may end
# in the IVR or be lost; the heartbeat dates a crash. SQLite cannot alter a column or a CHECK:
# it copies the calls into a new table.
RECORD_EVERY_CALL: list[str | dict[str, str]] = [
    {"sqlite": _CALLS_V4},
    {"sqlite": f"INSERT INTO calls_v4 ({_V3_COLUMNS}) SELECT {_V3_COLUMNS} FROM calls"},
    {"sqlite": "DROP TABLE calls"},
    {"sqlite": "ALTER TABLE calls_v4 RENAME TO calls"},
    {"sqlite": "CREATE INDEX calls_day ON calls (day)"},
    {"postgresql": "ALTER TABLE calls ALTER COLUMN queue DROP NOT NULL, "
                   "ALTER COLUMN enqueued_at DROP NOT NULL, ALTER COLUMN ended_at DROP NOT NULL"},
    {"postgresql": "ALTER TABLE calls DROP CONSTRAINT calls_outcome_check"},
    {"postgresql": "ALTER TABLE calls ADD CONSTRAINT calls_outcome_check {outcome_check}"},
    "CREATE INDEX calls_outcome ON calls (outcome)",
    "CREATE TABLE heartbeat (id INTEGER PRIMARY KEY, beat_at {float} NOT NULL)",
]

# MIGRATIONS[v - 1] brings a database from version v - 1 to v. A statement that differs by
# dialect is a dict of dialect -> statement (a dialect not named skips it).
Statement = str | dict[str, str]
MIGRATIONS: list[list[Statement]] = [
    [
        """
        CREATE TABLE calls (
            id {pk},
            call_id TEXT NOT NULL UNIQUE,
            day TEXT NOT NULL,
            line TEXT,
            language TEXT,
            queue TEXT NOT NULL,
            first_queue TEXT,
            priority INTEGER NOT NULL,
            arrived_at {float} NOT NULL,
            enqueued_at {float} NOT NULL,
            answered_at {float},
            ended_at {float} NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'abandoned', 'overflowed')),
            agent_id TEXT,
            wait {float} NOT NULL,
            sl_wait {float} NOT NULL,
            talk {float} NOT NULL,
            offers INTEGER NOT NULL,
            callback INTEGER NOT NULL,
            overflow_target TEXT,
            satisfaction INTEGER
        )
        """,
        "CREATE INDEX calls_day ON calls (day)",
        """
        CREATE TABLE events (
            id {pk},
            at {float} NOT NULL,
            call_id TEXT,
            queue TEXT,
            agent TEXT,
            event TEXT NOT NULL,
            data TEXT NOT NULL
        )
        """,
        "CREATE INDEX events_at ON events (at)",
        "CREATE INDEX events_agent_at ON events (agent, at)",
    ],
    [
        "ALTER TABLE calls ADD COLUMN transferred_to TEXT",  # the department, after a transfer
    ],
    CASES_MIGRATION,
    RECORD_EVERY_CALL,
    SMS_MIGRATION,
    BOARD_MIGRATION,
    OUTBOUND_MIGRATION,
]


def version_table_sql(dialect: str) -> str:
    return _VERSION_TABLE.format(**_TYPES[dialect])


def migration_sql(dialect: str, to_version: int) -> list[str]:
    """The statements that bring a database from ``to_version - 1`` to ``to_version``."""
    out = []
    for statement in MIGRATIONS[to_version - 1]:
        if isinstance(statement, dict):
            if dialect not in statement:
                continue
            statement = statement[dialect]
        out.append(statement.format(**_TYPES[dialect], outcome_check=_OUTCOME_CHECK))
    return out

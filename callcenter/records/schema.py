"""The record schema and its migrations, one entry per version, for SQLite and PostgreSQL.

A database records its version in ``schema_version``; ``RecordStore.open`` applies the
missing steps in one transaction and refuses a database newer than this code.
"""

from __future__ import annotations

from callcenter.records.case_schema import CASES_MIGRATION

SCHEMA_VERSION = 3

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
        out.append(statement.format(**_TYPES[dialect]))
    return out

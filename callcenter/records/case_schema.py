"""Schema step 3: cases (工单), hotline users and the knowledge base.

``case_events`` is the append-only history of every case (who, when, what; the core's events
as JSON); ``cases`` is the current state projected from it, with the columns the API filters on;
``case_departments`` lists the departments a case is with now (a department user sees only
those). Knowledge-base articles keep every version; the search index holds the current one:
SQLite's FTS5 with the trigram tokenizer (works for Chinese without word segmentation),
PostgreSQL's pg_trgm over the same text. ``case_settings`` keeps the imported taxonomy and
departments.
"""

from __future__ import annotations

CASES_MIGRATION: list[str | dict[str, str]] = [
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'department')),
        department TEXT,
        password_hash TEXT NOT NULL,
        created_at {float} NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        CHECK ((role = 'department') = (department IS NOT NULL))
    )
    """,
    """
    CREATE TABLE user_sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (username),
        created_at {float} NOT NULL,
        expires_at {float} NOT NULL
    )
    """,
    """
    CREATE TABLE case_events (
        id {pk},
        case_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at {float} NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (case_id, seq)
    )
    """,
    "CREATE INDEX case_events_at ON case_events (at)",
    """
    CREATE TABLE cases (
        case_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        category TEXT NOT NULL,
        urgency TEXT NOT NULL,
        channel TEXT NOT NULL,
        caller TEXT,
        district TEXT,
        address TEXT,
        call_id TEXT,
        intake_by TEXT NOT NULL,
        created_at {float} NOT NULL,
        day TEXT NOT NULL,
        closed_at {float},
        next_deadline {float},
        card TEXT,
        supervised INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        state TEXT NOT NULL
    )
    """,
    "CREATE INDEX cases_caller ON cases (caller, created_at)",
    "CREATE INDEX cases_day ON cases (day)",
    "CREATE INDEX cases_call ON cases (call_id)",
    "CREATE INDEX cases_deadline ON cases (next_deadline)",
    "CREATE INDEX cases_status ON cases (status, created_at)",
    """
    CREATE TABLE case_departments (
        case_id TEXT NOT NULL,
        department TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (case_id, department)
    )
    """,
    "CREATE INDEX case_departments_dept ON case_departments (department, case_id)",
    """
    CREATE TABLE kb_articles (
        article_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        tags TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at {float} NOT NULL,
        current INTEGER NOT NULL,
        PRIMARY KEY (article_id, version)
    )
    """,
    {
        "sqlite": "CREATE VIRTUAL TABLE kb_search USING fts5("
                  "article_id UNINDEXED, title, body, tags, tokenize = 'trigram')",
        "postgresql": "CREATE TABLE kb_search (article_id TEXT PRIMARY KEY, title TEXT NOT NULL, "
                      "body TEXT NOT NULL, tags TEXT NOT NULL)",
    },
    {"postgresql": "CREATE EXTENSION IF NOT EXISTS pg_trgm"},
    {
        "postgresql": "CREATE INDEX kb_search_trgm ON kb_search USING gin "
                      "((title || ' ' || body || ' ' || tags) gin_trgm_ops)",
    },
    """
    CREATE TABLE case_articles (
        case_id TEXT NOT NULL,
        article_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        linked_by TEXT NOT NULL,
        linked_at {float} NOT NULL,
        PRIMARY KEY (case_id, article_id)
    )
    """,
    "CREATE INDEX case_articles_article ON case_articles (article_id)",
    """
    CREATE TABLE case_settings (
        name TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated_at {float} NOT NULL
    )
    """,
]

# Schema step 6: the supervisors' board reads counters, not a scan of the open cases.
# ``case_counts`` holds, per (name, department), how many open cases count: ``status:<status>``,
# ``supervised``, ``extension`` (handling with an extension request pending) and, per department
# a case is with, ``card:yellow`` / ``card:red``. ``CaseStore.commit`` changes them in the case
# change's own transaction; this step counts the cases already there. Two partial indexes list
# the board's newest supervised cases and oldest pending extension requests.
BOARD_MIGRATION: list[str | dict[str, str]] = [
    "ALTER TABLE cases ADD COLUMN extension_pending INTEGER",
    {
        "sqlite": "UPDATE cases SET extension_pending = json_extract(state, '$.extension_pending')",
        "postgresql": "UPDATE cases SET extension_pending = (state::jsonb ->> 'extension_pending')::integer",
    },
    """
    CREATE TABLE case_counts (
        name TEXT NOT NULL,
        department TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (name, department)
    )
    """,
    "INSERT INTO case_counts (name, department, n) SELECT 'status:' || status, '', COUNT(*) FROM cases"
    " WHERE closed_at IS NULL GROUP BY status",
    "INSERT INTO case_counts (name, department, n) SELECT 'supervised', '', COUNT(*) FROM cases"
    " WHERE closed_at IS NULL AND supervised = 1",
    "INSERT INTO case_counts (name, department, n) SELECT 'extension', '', COUNT(*) FROM cases"
    " WHERE closed_at IS NULL AND status = 'handling' AND extension_pending IS NOT NULL",
    "INSERT INTO case_counts (name, department, n) SELECT 'card:' || c.card, d.department, COUNT(*)"
    " FROM cases c JOIN case_departments d ON d.case_id = c.case_id"
    " WHERE c.card IS NOT NULL AND c.closed_at IS NULL GROUP BY c.card, d.department",
    "CREATE INDEX cases_open_supervised ON cases (created_at DESC, case_id)"
    " WHERE supervised = 1 AND closed_at IS NULL",
    "CREATE INDEX cases_extension_pending ON cases (created_at, case_id)"
    " WHERE extension_pending IS NOT NULL AND closed_at IS NULL",
]

"""Schema step 5: the SMS outbox.

``sms_outbox`` holds every notice to send, keyed by its own message id (``<case>/<notice>``:
inserted in the case's own transaction, once whatever happens); ``sms_parts`` its parts, each
with the SMSC's message id once accepted and its delivery state from the receipts.
"""

from __future__ import annotations

SMS_MIGRATION: list[str | dict[str, str]] = [
    """
    CREATE TABLE sms_outbox (
        message_id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL,
        notice TEXT NOT NULL,
        number TEXT NOT NULL,
        language TEXT NOT NULL,
        text TEXT NOT NULL,
        segments INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
        created_at {float} NOT NULL,
        not_before {float} NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at {float} NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX sms_outbox_due ON sms_outbox (status, not_before)",
    "CREATE INDEX sms_outbox_case ON sms_outbox (case_id)",
    """
    CREATE TABLE sms_parts (
        message_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        smsc_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'failed')),
        updated_at {float} NOT NULL,
        PRIMARY KEY (message_id, seq)
    )
    """,
    "CREATE INDEX sms_parts_smsc ON sms_parts (smsc_id)",
]

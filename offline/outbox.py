"""Durable queue of records waiting to be sent to the portal.

Transactions: no Outbox method commits. Each write joins the caller's transaction,
so a record can be queued atomically with the business write it belongs to::

    with db.conn:                      # or: with db.atomic():
        journal_payment(db, ...)
        outbox.enqueue("payment", {...})

A write made outside any transaction stays uncommitted (and is lost on close) until
the caller commits, so always wrap calls as above.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

PENDING = "pending"
SENT = "sent"
NEEDS_ATTENTION = "needs_attention"
STATES = (PENDING, SENT, NEEDS_ATTENTION)

# Errors come from servers and libraries; cap them so a huge body cannot bloat the db.
MAX_ERROR_LENGTH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    idempotency_key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'needs_attention')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT
)
"""


@dataclass(frozen=True)
class OutboxItem:
    idempotency_key: str
    kind: str
    schema_version: int
    # Payloads may hold personal data: keep them out of logs via repr.
    payload: dict[str, Any] = field(repr=False)
    created_at: datetime.datetime
    attempts: int
    last_error: str | None


class Outbox:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        with db.atomic():
            db.execute(_SCHEMA)
            db.execute("CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox (state)")

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        schema_version: int = 1,
    ) -> str:
        """Queue ``payload``; returns its key. A key already queued is left as it was."""
        if not kind:
            raise ValueError("kind must not be empty")
        key = idempotency_key or str(uuid.uuid4())
        # Serialise before touching the db, so bad payloads fail without side effects.
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        self._db.conn.execute(
            "INSERT INTO outbox (idempotency_key, kind, schema_version, payload, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
            (key, kind, schema_version, body, _utc_now()),
        )
        return key

    def pending(self, limit: int = 50) -> list[OutboxItem]:
        """Pending items, oldest first."""
        # rowid, not created_at: the kiosk clock may jump (no RTC before NTP sync).
        rows = self._db.conn.execute(
            "SELECT idempotency_key, kind, schema_version, payload, created_at, attempts,"
            " last_error FROM outbox WHERE state = ? ORDER BY rowid LIMIT ?",
            (PENDING, limit),
        ).fetchall()
        return [
            OutboxItem(
                idempotency_key=key,
                kind=kind,
                schema_version=version,
                payload=json.loads(payload),
                created_at=datetime.datetime.fromisoformat(created_at),
                attempts=attempts,
                last_error=last_error,
            )
            for key, kind, version, payload, created_at, attempts, last_error in rows
        ]

    def mark_sent(self, key: str) -> None:
        self._update(
            key,
            "state = ?, sent_at = ?, attempts = attempts + 1, last_error = NULL",
            (SENT, _utc_now()),
        )

    def mark_failed(self, key: str, error: str, *, permanent: bool = False) -> None:
        """Record a failed attempt. ``permanent`` parks the item for a technician.

        ``error`` is a short message for technicians: never put personal data in it.
        An item already sent stays sent.
        """
        self._update(
            key,
            "state = ?, attempts = attempts + 1, last_error = ?",
            (NEEDS_ATTENTION if permanent else PENDING, error[:MAX_ERROR_LENGTH]),
            only_unsent=True,
        )

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        rows = self._db.conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")
        counts.update(dict(rows.fetchall()))
        return counts

    def _update(
        self, key: str, assignments: str, values: tuple[Any, ...], *, only_unsent: bool = False
    ) -> None:
        guard = " AND state != 'sent'" if only_unsent else ""
        cursor = self._db.conn.execute(
            f"UPDATE outbox SET {assignments} WHERE idempotency_key = ?{guard}", (*values, key)
        )
        if cursor.rowcount == 0 and not self._exists(key):
            raise KeyError(f"no outbox item with key {key!r}")

    def _exists(self, key: str) -> bool:
        query = "SELECT 1 FROM outbox WHERE idempotency_key = ?"
        return self._db.conn.execute(query, (key,)).fetchone() is not None


def _utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")

"""Every status a tracked record went through: service requests, payments, accounts.

Rows are only ever added. The first one is written with the record itself, in the
same transaction; a record from before this table existed has none, and tracking then
falls back to the record's own creation time and current status.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

SERVICE_REQUEST, PAYMENT, ACCOUNT = "service_request", "payment", "account"


def record_status(
    conn: sqlite3.Connection,
    record_kind: str,
    record_id: str,
    status: str,
    changed_at: str,
    note: dict[str, str] | None = None,
) -> None:
    """``note`` is {"en": ..., "es": ...}: what the city says about this step."""
    conn.execute(
        "INSERT INTO status_changes (record_kind, record_id, status, note, changed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (record_kind, record_id, status, json.dumps(note) if note else None, changed_at),
    )


def status_changes(
    conn: sqlite3.Connection, record_kind: str, record_id: str
) -> list[dict[str, Any]]:
    """Oldest first: [{"status", "at", "note": {"en", "es"} | None}]."""
    rows = conn.execute(
        "SELECT status, note, changed_at FROM status_changes"
        " WHERE record_kind = ? AND record_id = ? ORDER BY changed_at, id",
        (record_kind, record_id),
    ).fetchall()
    return [
        {
            "status": row["status"],
            "at": row["changed_at"],
            "note": json.loads(row["note"]) if row["note"] else None,
        }
        for row in rows
    ]

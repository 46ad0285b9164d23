"""Durable queue of transactions waiting to be delivered to the portal.

Transactions: no Outbox method commits. Each write joins the caller's transaction,
so a record is queued atomically with the local state it belongs to::

    with db.atomic():
        journal_payment(db, ...)
        outbox.enqueue("payment", {...}, order_key=f"bill:{bill_id}")

States of an item (see ``TRANSITIONS``): ``pending`` until the portal answers for it;
then ``sent`` (delivered, final), ``needs_attention`` (the portal rejected it, with its
reason) or ``conflict`` (the portal holds a different transaction under the same
idempotency key). A technician's ``retry`` puts the last two back to ``pending``.
Network failures and 5xx leave an item ``pending`` and add to its attempt history.

Payloads are encrypted (offline.crypto); everything else in a row is metadata that
can be counted and shown without the key and holds no personal data: the ordering
key is a keyed pseudonym of the bill or resident, never the value itself.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.logging_setup import redact
from offline.crypto import PayloadCipher, UnreadablePayload
from offline.db import apply_schema

PENDING, SENT, NEEDS_ATTENTION, CONFLICT = "pending", "sent", "needs_attention", "conflict"
STATES = (PENDING, SENT, NEEDS_ATTENTION, CONFLICT)
# Outcome of one delivery attempt -> the state it leads to from ``pending``.
TRANSITIONS = {
    "created": SENT,
    "replayed": SENT,
    "rejected": NEEDS_ATTENTION,
    "conflict": CONFLICT,
    "retry": PENDING,
    "network": PENDING,
    "server_error": PENDING,
    "unreadable": NEEDS_ATTENTION,
}
# Errors come from servers and libraries; cap them so a huge body cannot bloat the db.
MAX_ERROR_LENGTH = 500
# Crockford's base32 minus look-alikes: residents read references aloud and type them.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    order_key TEXT NOT NULL,
    key_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'needs_attention', 'conflict')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    portal_reference TEXT,
    -- How the delivery that ended the item's pending life went (created, replayed...).
    -- Successful deliveries are kept here rather than as attempt rows: one write per
    -- acknowledged item, the common case. Every failed attempt gets its own row.
    delivered_by TEXT,
    delivered_at_attempt INTEGER,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox (state, seq);
CREATE INDEX IF NOT EXISTS outbox_by_order ON outbox (order_key, seq);
CREATE INDEX IF NOT EXISTS outbox_by_reference ON outbox (reference);
CREATE TABLE IF NOT EXISTS outbox_attempts (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL REFERENCES outbox (idempotency_key) ON DELETE CASCADE,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_attempts_by_key ON outbox_attempts (idempotency_key);
CREATE TABLE IF NOT EXISTS outbox_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_SUMMARY_COLUMNS = (
    "idempotency_key, reference, kind, schema_version, created_at, state, attempts,"
    " last_error, portal_reference, sent_at, key_id"
)


@dataclass(frozen=True)
class QueuedItem:
    """What the resident's confirmation shows: the kiosk reference of the transaction."""

    idempotency_key: str
    reference: str


@dataclass(frozen=True)
class ItemSummary:
    """Metadata only: safe to print for a technician."""

    idempotency_key: str
    reference: str
    kind: str
    schema_version: int
    created_at: str
    state: str
    attempts: int
    last_error: str | None
    portal_reference: str | None
    sent_at: str | None
    key_id: str


@dataclass(frozen=True)
class OutboxItem:
    idempotency_key: str
    reference: str
    kind: str
    schema_version: int
    created_at: str
    attempts: int
    # None when this device's key cannot open it (see ``unreadable``).
    payload: dict[str, Any] | None = field(repr=False)

    @property
    def unreadable(self) -> bool:
        return self.payload is None


@dataclass(frozen=True)
class Delivery:
    """The portal's answer (or the lack of one) for one item."""

    idempotency_key: str
    outcome: str  # a key of TRANSITIONS
    status: int | None = None
    error: str | None = None
    portal_reference: str | None = None


@dataclass(frozen=True)
class Attempt:
    at: str
    outcome: str
    status: int | None
    error: str | None


class Outbox:
    def __init__(
        self,
        db: sqlite_utils.Database,
        cipher: PayloadCipher | None,
        *,
        max_unsent: int = 5000,
        min_free_bytes: int = 50 * 1024 * 1024,
    ) -> None:
        self._db = db
        # None for tools that must only ever see metadata (kiosk-queue).
        self._cipher = cipher
        self.max_unsent = max_unsent
        self.min_free_bytes = min_free_bytes
        with db.atomic():
            legacy = self._is_legacy()
            if legacy and cipher is None:
                raise RuntimeError("this queue has the old layout: start the kiosk once first")
            legacy_rows = self._take_legacy_rows() if legacy else []
            apply_schema(db, _SCHEMA)
            for key, kind, version, payload, created_at in legacy_rows:
                self.enqueue(kind, json.loads(payload), idempotency_key=key, schema_version=version)
                db.conn.execute(
                    "UPDATE outbox SET created_at = ? WHERE idempotency_key = ?", (created_at, key)
                )

    def _is_legacy(self) -> bool:
        columns = {row[1] for row in self._db.conn.execute("PRAGMA table_info(outbox)")}
        return bool(columns) and "seq" not in columns

    def _take_legacy_rows(self) -> list[tuple]:
        """Unsent rows of the first, unencrypted outbox layout, which is then dropped."""
        rows = self._db.conn.execute(
            "SELECT idempotency_key, kind, schema_version, payload, created_at FROM outbox"
            " WHERE state != 'sent' ORDER BY rowid"
        ).fetchall()
        self._db.conn.execute("DROP TABLE outbox")
        return rows

    def transaction(self):
        """A context manager committing everything written inside it together."""
        return self._db.atomic()

    def close(self) -> None:
        self._db.close()

    # Writing -----------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        order_key: str | None = None,
        idempotency_key: str | None = None,
        schema_version: int = 1,
        reference: str | None = None,
    ) -> QueuedItem:
        """Queue ``payload``. ``order_key`` (say ``bill:42`` or ``resident:<hash>``)
        makes the item wait for earlier pending items with the same order key.

        A key already queued is left as it was and its existing reference returned.
        ``reference``: one made by new_reference() beforehand, for a payload that must
        carry its own reference (a permit application is numbered by it).
        """
        if not kind:
            raise ValueError("kind must not be empty")
        key = idempotency_key or str(uuid.uuid4())
        # Serialise first, so a bad payload fails without side effects.
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        sealed = self._cipher.encrypt(body, _context(key, kind, schema_version))
        reference = reference or new_reference()
        inserted = self._db.conn.execute(
            "INSERT INTO outbox (idempotency_key, reference, kind, schema_version, order_key,"
            " key_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            (
                key,
                reference,
                kind,
                schema_version,
                self._cipher.pseudonym(order_key or f"item:{key}"),
                self._cipher.key_id,
                sealed,
                utc_now(),
            ),
        )
        if inserted.rowcount == 1:
            return QueuedItem(key, reference)
        row = self._db.conn.execute(
            "SELECT reference FROM outbox WHERE idempotency_key = ?", (key,)
        ).fetchone()
        return QueuedItem(key, row[0])

    def record(self, deliveries: list[Delivery]) -> None:
        """Apply the outcome of one delivery attempt per item, with its history.

        An item that is no longer pending keeps its state: a late answer for an item
        already sent, or one a technician parked, only adds to its history.
        """
        now = utc_now()
        conn = self._db.conn
        for delivery in deliveries:
            state = TRANSITIONS[delivery.outcome]
            error = _clip(delivery.error)
            if state == SENT:
                cursor = conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, state = 'sent', last_error = NULL,"
                    " portal_reference = coalesce(?, portal_reference), delivered_by = ?,"
                    " delivered_at_attempt = attempts + 1, sent_at = ?"
                    " WHERE idempotency_key = ? AND state = 'pending'",
                    (delivery.portal_reference, delivery.outcome, now, delivery.idempotency_key),
                )
                if cursor.rowcount == 1:
                    continue
            conn.execute(
                "INSERT INTO outbox_attempts (idempotency_key, at, outcome, status, error)"
                " VALUES (?, ?, ?, ?, ?)",
                (delivery.idempotency_key, now, delivery.outcome, delivery.status, error),
            )
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1,"
                " state = CASE WHEN state = 'pending' THEN ? ELSE state END,"
                " last_error = CASE WHEN state = 'pending' THEN ? ELSE last_error END"
                " WHERE idempotency_key = ?",
                (state, error, delivery.idempotency_key),
            )

    def retry(self, key: str) -> bool:
        """Technician action: send a parked item again. False if it was not parked."""
        cursor = self._db.conn.execute(
            "UPDATE outbox SET state = 'pending' WHERE idempotency_key = ?"
            " AND state IN ('needs_attention', 'conflict')",
            (key,),
        )
        return cursor.rowcount == 1

    def purge_sent(self, older_than: datetime.timedelta) -> int:
        """Forget delivered items older than the retention period, with their history."""
        cutoff = (datetime.datetime.now(datetime.UTC) - older_than).isoformat(
            timespec="milliseconds"
        )
        keys = "SELECT idempotency_key FROM outbox WHERE state = 'sent' AND sent_at < ?"
        self._db.conn.execute(
            f"DELETE FROM outbox_attempts WHERE idempotency_key IN ({keys})", (cutoff,)
        )
        cursor = self._db.conn.execute(
            "DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?", (cutoff,)
        )
        return cursor.rowcount

    def set_meta(self, name: str, value: str) -> None:
        self._db.conn.execute(
            "INSERT INTO outbox_meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    # Reading -----------------------------------------------------------------

    def next_batch(self, limit: int, *, skip: frozenset[str] = frozenset()) -> list[OutboxItem]:
        """Up to ``limit`` pending items, oldest first, at most one per order key and
        none queued behind an earlier pending item with the same order key."""
        # rowid order, not created_at: the kiosk clock may jump (no RTC before NTP).
        rows = self._db.conn.execute(
            "SELECT idempotency_key, reference, kind, schema_version, created_at, attempts,"
            " payload FROM outbox AS item WHERE state = 'pending' AND NOT EXISTS"
            " (SELECT 1 FROM outbox AS earlier WHERE earlier.order_key = item.order_key"
            " AND earlier.seq < item.seq AND earlier.state = 'pending')"
            " ORDER BY seq LIMIT ?",
            (limit + len(skip),),
        ).fetchall()
        batch = []
        for key, reference, kind, version, created_at, attempts, sealed in rows:
            if key in skip:
                continue
            if len(batch) == limit:
                break  # decrypt no more than will be sent
            batch.append(
                OutboxItem(
                    key,
                    reference,
                    kind,
                    version,
                    created_at,
                    attempts,
                    self._open(key, kind, version, sealed),
                )
            )
        return batch

    def _open(self, key: str, kind: str, version: int, sealed: bytes) -> dict[str, Any] | None:
        try:
            plaintext = self._cipher.decrypt(sealed, _context(key, kind, version))
        except UnreadablePayload:
            return None
        return json.loads(plaintext)

    def payload(self, key: str) -> dict[str, Any] | None:
        row = self._db.conn.execute(
            "SELECT kind, schema_version, payload FROM outbox WHERE idempotency_key = ?", (key,)
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return self._open(key, *row)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        rows = self._db.conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")
        counts.update(dict(rows.fetchall()))
        return counts

    def unsent(self) -> int:
        row = self._db.conn.execute("SELECT count(*) FROM outbox WHERE state != 'sent'")
        return row.fetchone()[0]

    def summaries(self, state: str | None = None, limit: int = 100) -> list[ItemSummary]:
        where, params = ("WHERE state = ?", (state,)) if state else ("", ())
        rows = self._db.conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM outbox {where} ORDER BY seq LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [ItemSummary(*row) for row in rows]

    def oldest_pending(self) -> ItemSummary | None:
        found = self.summaries(PENDING, limit=1)
        return found[0] if found else None

    def find(self, ident: str) -> ItemSummary | None:
        """An item by idempotency key, by a unique key prefix, or by reference."""
        ident = ident.strip()
        rows = self._db.conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM outbox WHERE idempotency_key = ?"
            " OR reference = upper(?) OR (length(?) >= 8 AND idempotency_key LIKE ? || '%')"
            " LIMIT 2",
            (ident, ident, ident, ident.replace("%", "").replace("_", "")),
        ).fetchall()
        return ItemSummary(*rows[0]) if len(rows) == 1 else None

    def attempts(self, key: str) -> list[Attempt]:
        """Every attempt in order: the failed ones, and the delivery if there was one."""
        conn = self._db.conn
        rows = conn.execute(
            "SELECT at, outcome, status, error FROM outbox_attempts"
            " WHERE idempotency_key = ? ORDER BY id",
            (key,),
        ).fetchall()
        history = [Attempt(*row) for row in rows]
        delivery = conn.execute(
            "SELECT sent_at, delivered_by, delivered_at_attempt FROM outbox"
            " WHERE idempotency_key = ? AND delivered_by IS NOT NULL",
            (key,),
        ).fetchone()
        if delivery is not None:
            sent_at, outcome, ordinal = delivery
            history.insert(ordinal - 1, Attempt(sent_at, outcome, None, None))
        return history

    def has_pending(self) -> bool:
        query = "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending')"
        return bool(self._db.conn.execute(query).fetchone()[0])

    def meta(self, name: str) -> str | None:
        row = self._db.conn.execute("SELECT value FROM outbox_meta WHERE name = ?", (name,))
        found = row.fetchone()
        return found[0] if found else None

    def export(self) -> Iterator[dict[str, Any]]:
        """Every unsent item with its payload still sealed: a technician can carry the
        queue off a kiosk that will never be online again without exposing anyone."""
        rows = self._db.conn.execute(
            f"SELECT {_SUMMARY_COLUMNS}, payload FROM outbox WHERE state != 'sent' ORDER BY seq"
        )
        for row in rows:
            summary = ItemSummary(*row[:-1]).__dict__
            yield {**summary, "sealed_payload": base64.b64encode(row[-1]).decode()}

    # Capacity ----------------------------------------------------------------

    def capacity_problem(self) -> str | None:
        """Why a new payment must not start now, or None. Checked *before* charging:
        once the terminal has taken money, the queue must have room to record it."""
        if self.unsent() >= self.max_unsent:
            return "queue_full"
        if self._free_bytes() < self.min_free_bytes:
            return "disk_low"
        return None

    def _free_bytes(self) -> int:
        path = self._db.conn.execute("PRAGMA database_list").fetchone()[2]
        return shutil.disk_usage(Path(path).parent if path else Path.cwd()).free


def _context(key: str, kind: str, version: int) -> bytes:
    return f"{key}\0{kind}\0{version}".encode()


def _clip(error: str | None) -> str | None:
    # Portal reasons can quote what a resident typed; metadata must stay impersonal.
    return redact(error)[:MAX_ERROR_LENGTH] if error else None


def new_reference() -> str:
    """``K-XXXX-XXXX``: 40 random bits, short enough to read over the phone."""
    bits = secrets.randbits(40)
    chars = "".join(_REFERENCE_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"K-{chars[:4]}-{chars[4:]}"


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")

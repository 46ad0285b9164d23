"""The payment journal: every card payment, written down before the terminal is asked.

Life of an entry::

    intent ─▶ sent ─▶ approved ─▶ posted                      (the portal has it)
      │        │        └──▶ reversing ─▶ reversed            (could not be honoured)
      │        │                    └──▶ refund_needed        (reversal refused)
      │        ├──▶ declined | aborted                       (nothing charged)
      │        └──▶ unknown ─▶ approved | not_charged         (recovered)
      └──▶ not_charged                                        (never reached the terminal)

``intent`` is committed (WAL, synchronous=FULL: on disk) before the terminal gets
the sale; ``sent`` once it acknowledged it. An entry in ``intent``, ``sent``,
``unknown`` or ``reversing`` is *open*: its outcome is not known, and no new
payment may start until kiosk.payments resolves it with the terminal.

Like the outbox, no method commits: an approval is recorded in the same transaction
as the outbox item that posts it to the portal. What was paid for and the terminal's
receipt text are sealed with the device key; the masked PAN is checked before it is
stored, and a PAN that is not masked is refused.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from drivers.privacy import is_masked_pan
from offline.crypto import PayloadCipher
from offline.db import apply_schema
from offline.outbox import new_reference, utc_now

INTENT, SENT, APPROVED, DECLINED, ABORTED, UNKNOWN = (
    "intent",
    "sent",
    "approved",
    "declined",
    "aborted",
    "unknown",
)
NOT_CHARGED, POSTED, REVERSING, REVERSED, REFUND_NEEDED = (
    "not_charged",
    "posted",
    "reversing",
    "reversed",
    "refund_needed",
)
STATES = (
    INTENT,
    SENT,
    APPROVED,
    DECLINED,
    ABORTED,
    UNKNOWN,
    NOT_CHARGED,
    POSTED,
    REVERSING,
    REVERSED,
    REFUND_NEEDED,
)
OPEN_STATES = (INTENT, SENT, UNKNOWN, REVERSING)
# Every state an entry may move to from each state; anything else is a bug.
TRANSITIONS: dict[str, frozenset[str]] = {
    INTENT: frozenset({SENT, APPROVED, DECLINED, ABORTED, UNKNOWN, NOT_CHARGED}),
    SENT: frozenset({APPROVED, DECLINED, ABORTED, UNKNOWN, NOT_CHARGED}),
    UNKNOWN: frozenset({APPROVED, NOT_CHARGED}),
    APPROVED: frozenset({POSTED, REVERSING}),
    REVERSING: frozenset({REVERSED, REFUND_NEEDED}),
    DECLINED: frozenset(),
    ABORTED: frozenset(),
    NOT_CHARGED: frozenset(),
    POSTED: frozenset(),
    REVERSED: frozenset(),
    REFUND_NEEDED: frozenset(),
}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS payment_journal (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ({", ".join(repr(state) for state in STATES)})),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    terminal_id TEXT NOT NULL DEFAULT '',
    baseline_receipt INTEGER,
    receipt_number INTEGER,
    trace INTEGER,
    masked_pan TEXT,
    card_type TEXT,
    reason TEXT,
    outbox_key TEXT,
    reversal_receipt INTEGER,
    order_sealed BLOB NOT NULL,
    receipt_sealed BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_journal_by_state ON payment_journal (state);
CREATE TABLE IF NOT EXISTS payment_events (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payment_journal (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS payment_terminals (
    terminal_id TEXT PRIMARY KEY,
    last_receipt INTEGER NOT NULL
)
"""
_COLUMNS = (
    "id, reference, state, amount_cents, currency, terminal_id, baseline_receipt,"
    " receipt_number, trace, masked_pan, card_type, reason, outbox_key, reversal_receipt,"
    " created_at, updated_at"
)


class UnmaskedPan(ValueError):
    """A terminal reported a card number that is not masked; it is never stored."""


@dataclass(frozen=True)
class JournalEntry:
    id: int
    reference: str
    state: str
    amount_cents: int
    currency: str
    terminal_id: str
    baseline_receipt: int | None
    receipt_number: int | None
    trace: int | None
    masked_pan: str | None
    card_type: str | None
    reason: str | None
    outbox_key: str | None
    reversal_receipt: int | None
    created_at: str
    updated_at: str

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES


class PaymentJournal:
    def __init__(self, db: sqlite_utils.Database, cipher: PayloadCipher | None) -> None:
        """Without a cipher (technician tools) entries can be listed but not opened."""
        self._db = db
        self._cipher = cipher
        with db.atomic():
            apply_schema(db, _SCHEMA)

    @contextlib.contextmanager
    def transaction(self):
        """Commit everything written inside together (a savepoint when nested).

        BEGIN IMMEDIATE takes the write lock up front: our writes read first (the
        current state), and in WAL a read transaction cannot become a write one after
        another connection (the sync worker) committed, which fails at once instead
        of waiting for the busy timeout.
        """
        conn = self._db.conn
        if conn.in_transaction:
            with self._db.atomic():
                yield self._db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # Writing ------------------------------------------------------------------

    def begin(
        self, order: dict[str, Any], amount_cents: int, currency: str, terminal_id: str
    ) -> JournalEntry:
        """A new ``intent``; commit it before the terminal is asked to charge."""
        if self._cipher is None:
            raise RuntimeError("a journal without the device key cannot take payments")
        reference = new_reference()
        now = utc_now()
        cursor = self._db.conn.execute(
            "INSERT INTO payment_journal (reference, state, amount_cents, currency, terminal_id,"
            " baseline_receipt, order_sealed, created_at, updated_at)"
            " VALUES (?, 'intent', ?, ?, ?, ?, ?, ?, ?)",
            (
                reference,
                amount_cents,
                currency,
                terminal_id,
                self.last_receipt(terminal_id),
                self._seal(reference, "order", order),
                now,
                now,
            ),
        )
        self._event(cursor.lastrowid, INTENT, None)
        return self.get(reference)

    def move(self, entry: JournalEntry, state: str, **details: Any) -> JournalEntry:
        """Move ``entry`` to ``state``, with result details (receipt_number, trace,
        masked_pan, card_type, reason, terminal_id, outbox_key, reversal_receipt)."""
        current = self.get(entry.reference)
        if state == current.state:
            return current
        if state not in TRANSITIONS[current.state]:
            raise ValueError(
                f"payment {entry.reference}: {current.state} -> {state} is not allowed"
            )
        masked_pan = details.get("masked_pan")
        if masked_pan and not is_masked_pan(masked_pan):
            raise UnmaskedPan("refusing to store a card number that is not masked")
        allowed = {
            "receipt_number",
            "trace",
            "masked_pan",
            "card_type",
            "reason",
            "terminal_id",
            "outbox_key",
            "reversal_receipt",
        }
        unknown = set(details) - allowed
        if unknown:
            raise TypeError(f"unknown journal fields: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in details)
        values = list(details.values())
        self._db.conn.execute(
            f"UPDATE payment_journal SET state = ?, updated_at = ?"
            f"{', ' + assignments if assignments else ''} WHERE id = ?",
            (state, utc_now(), *values, current.id),
        )
        self._event(current.id, state, details.get("reason"))
        for receipt in (details.get("receipt_number"), details.get("reversal_receipt")):
            terminal_id = details.get("terminal_id", current.terminal_id)
            if receipt is not None:
                self.saw_receipt(terminal_id, receipt)
        return self.get(entry.reference)

    def keep_receipt(self, entry: JournalEntry, lines: list[str]) -> None:
        """The terminal's receipt text, verbatim for printing, sealed (never logged)."""
        self._db.conn.execute(
            "UPDATE payment_journal SET receipt_sealed = ? WHERE id = ?",
            (self._seal(entry.reference, "receipt", list(lines)), entry.id),
        )

    def saw_receipt(self, terminal_id: str, receipt_number: int) -> None:
        """Remember the newest receipt number a terminal has shown us."""
        self._db.conn.execute(
            "INSERT INTO payment_terminals (terminal_id, last_receipt) VALUES (?, ?)"
            " ON CONFLICT (terminal_id) DO UPDATE SET last_receipt ="
            " max(last_receipt, excluded.last_receipt)",
            (terminal_id, receipt_number),
        )

    # Reading ------------------------------------------------------------------

    def last_receipt(self, terminal_id: str) -> int | None:
        row = self._db.conn.execute(
            "SELECT last_receipt FROM payment_terminals WHERE terminal_id = ?", (terminal_id,)
        ).fetchone()
        return row[0] if row else None

    def knows_terminal(self, terminal_id: str) -> bool:
        return self.last_receipt(terminal_id) is not None

    def get(self, reference: str) -> JournalEntry:
        row = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM payment_journal WHERE reference = ?", (reference,)
        ).fetchone()
        if row is None:
            raise KeyError(reference)
        return JournalEntry(*row)

    def entries(self, *states: str, limit: int = 1000) -> list[JournalEntry]:
        where = f"WHERE state IN ({', '.join('?' * len(states))})" if states else ""
        rows = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM payment_journal {where} ORDER BY id LIMIT ?",
            (*states, limit),
        ).fetchall()
        return [JournalEntry(*row) for row in rows]

    def open_entries(self) -> list[JournalEntry]:
        return self.entries(*OPEN_STATES)

    def claimed(self, terminal_id: str, receipt_number: int) -> bool:
        """Whether a journal entry already owns this terminal receipt."""
        row = self._db.conn.execute(
            "SELECT 1 FROM payment_journal WHERE terminal_id = ?"
            " AND (receipt_number = ? OR reversal_receipt = ?)",
            (terminal_id, receipt_number, receipt_number),
        ).fetchone()
        return row is not None

    def order(self, entry: JournalEntry) -> dict[str, Any]:
        return self._open(entry.reference, "order")

    def receipt_lines(self, entry: JournalEntry) -> list[str]:
        return self._open(entry.reference, "receipt") or []

    def events(self, entry: JournalEntry) -> list[tuple[str, str, str | None]]:
        return self._db.conn.execute(
            "SELECT at, state, detail FROM payment_events WHERE payment_id = ? ORDER BY id",
            (entry.id,),
        ).fetchall()

    def counts(self) -> dict[str, int]:
        rows = self._db.conn.execute(
            "SELECT state, count(*) FROM payment_journal GROUP BY state"
        ).fetchall()
        return {state: 0 for state in STATES} | dict(rows)

    # Internals ----------------------------------------------------------------

    def _event(self, payment_id: int, state: str, detail: str | None) -> None:
        self._db.conn.execute(
            "INSERT INTO payment_events (payment_id, at, state, detail) VALUES (?, ?, ?, ?)",
            (payment_id, utc_now(), state, detail),
        )

    def _seal(self, reference: str, part: str, value: Any) -> bytes:
        body = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
        return self._cipher.encrypt(body, f"payment:{reference}:{part}".encode())

    def _open(self, reference: str, part: str) -> Any:
        if self._cipher is None:
            raise RuntimeError("this journal was opened without the device key")
        column = "order_sealed" if part == "order" else "receipt_sealed"
        row = self._db.conn.execute(
            f"SELECT {column} FROM payment_journal WHERE reference = ?", (reference,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return json.loads(self._cipher.decrypt(row[0], f"payment:{reference}:{part}".encode()))

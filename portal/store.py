"""SQLite persistence of the portal.

One connection shared by uvicorn's worker threads, serialised by a lock: the portal
is a reference server for demos and tests, and a single writer keeps every
multi-step operation (a payment and its idempotency record) trivially atomic.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from portal.schema import create_or_upgrade
from portal.timeutil import to_iso, utc_now


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bill_from_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "account": row["account"],
        "kind": row["kind"],
        "description": {"en": row["description_en"], "es": row["description_es"]},
        "amount_due_cents": row["amount_due_cents"],
        "currency": row["currency"],
        "due_date": row["due_date"],
        "allows_partial": bool(row["allows_partial"]),
        "status": row["status"],
    }


def linked_account(conn: sqlite3.Connection, profile: str, id_hash: str) -> str | None:
    """The account the card with this profile and identity hash is linked to, if any.
    Callers pass it straight to ``column = ?``: None, an unknown card, matches no row."""
    row = conn.execute(
        "SELECT account FROM identity_links WHERE profile = ? AND id_hash = ?",
        (profile, id_hash.lower()),
    ).fetchone()
    return row["account"] if row else None


class PortalStore:
    def __init__(self, db_path: str | Path) -> None:
        self.path = str(db_path)
        # isolation_level=None: transactions are opened explicitly in transaction().
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._writing = False
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            create_or_upgrade(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything done on the yielded connection commits together or not at all.

        Nested use joins the outer transaction, so a caller can make several store
        methods atomic by wrapping them in one ``with store.transaction():``.
        """
        with self._lock:
            if self._depth and not self._writing:
                raise RuntimeError("store.transaction() cannot join store.reading()")
            with self._joined(writing=True) as conn:
                yield conn

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """For reads only: what is read on the yielded connection is one state of the
        database, and no write lock is taken. Inside a transaction(), it joins it."""
        with self._lock, self._joined(writing=False) as conn:
            yield conn

    @contextmanager
    def _joined(self, *, writing: bool) -> Iterator[sqlite3.Connection]:
        outermost = self._depth == 0
        if outermost:
            self._conn.execute("BEGIN IMMEDIATE" if writing else "BEGIN DEFERRED")
            self._writing = writing
        self._depth += 1
        try:
            yield self._conn
        except BaseException:
            self._depth -= 1
            if outermost:
                self._conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if outermost:
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # -- devices -------------------------------------------------------------

    def issue_token(self, device_id: str, token: str | None = None) -> str:
        """A new token for the device (or ``token``, to keep a restarted test portal
        reachable by kiosks already holding it); earlier tokens stop working."""
        token = token or secrets.token_urlsafe(32)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO devices (device_id, token_sha256, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (device_id) DO UPDATE SET"
                " token_sha256 = excluded.token_sha256, created_at = excluded.created_at",
                (device_id, token_digest(token), to_iso(utc_now())),
            )
        return token

    def device_for_token(self, token: str) -> str | None:
        row = self.query_one(
            "SELECT device_id FROM devices WHERE token_sha256 = ?", (token_digest(token),)
        )
        return row["device_id"] if row else None

    # -- meta ------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- catalogue -----------------------------------------------------------

    def put_catalogue(self, catalogue: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO catalogue (id, body) VALUES (1, ?)",
                (json.dumps(catalogue),),
            )

    def catalogue(self) -> dict[str, Any] | None:
        row = self.query_one("SELECT body FROM catalogue WHERE id = 1")
        return json.loads(row["body"]) if row else None

    # -- accounts, identities and bills ----------------------------------------

    def add_account(self, number: str, holder_name: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO accounts (number, holder_name) VALUES (?, ?)", (number, holder_name)
            )

    def link_identity(self, profile: str, id_hash: str, account: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO identity_links (profile, id_hash, account) VALUES (?, ?, ?)",
                (profile, id_hash, account),
            )

    def add_bill(
        self,
        *,
        bill_id: str,
        number: str,
        account: str,
        kind: str,
        description: dict[str, str],
        amount_due_cents: int,
        due_date: str,
        allows_partial: bool,
        currency: str = "USD",
    ) -> dict[str, Any]:
        status = "paid" if amount_due_cents == 0 else "open"
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO bills (id, number, account, kind, description_en, description_es,"
                " amount_due_cents, currency, due_date, allows_partial, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    bill_id,
                    number,
                    account,
                    kind,
                    description["en"],
                    description["es"],
                    amount_due_cents,
                    currency,
                    due_date,
                    int(allows_partial),
                    status,
                ),
            )
        bill = self.bill(bill_id)
        assert bill is not None
        return bill

    def bill(self, bill_id: str) -> dict[str, Any] | None:
        row = self.query_one("SELECT * FROM bills WHERE id = ?", (bill_id,))
        return bill_from_row(row) if row else None

    def bills_matching(self, number: str) -> list[dict[str, Any]]:
        """Residents type what is printed on paper, in any case and with stray spaces.
        A kiosk's keypad has digits only: digits alone also match a bill number whose
        digits they are ("1001" finds W-1001)."""
        needle = number.strip().upper()
        rows = self.query(
            "SELECT * FROM bills WHERE upper(number) = ? OR upper(account) = ?"
            " OR (? != '' AND number LIKE ?) ORDER BY due_date, number",
            (needle, needle, needle if needle.isdigit() else "", f"%{needle}"),
        )
        return [
            bill_from_row(row)
            for row in rows
            if row["number"].upper() == needle
            or row["account"].upper() == needle
            or "".join(filter(str.isdigit, row["number"])) == needle
        ]

    def bills_for_identity(self, profile: str, id_hash: str) -> list[dict[str, Any]]:
        with self.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM bills WHERE account = ? ORDER BY due_date, number",
                (linked_account(conn, profile, id_hash),),
            ).fetchall()
        return [bill_from_row(row) for row in rows]

    def resident_for_identity(self, profile: str, id_hash: str) -> dict[str, str] | None:
        with self.reading() as conn:
            row = conn.execute(
                "SELECT number, holder_name FROM accounts WHERE number = ?",
                (linked_account(conn, profile, id_hash),),
            ).fetchone()
        if row is None:
            return None
        return {"account": row["number"], "display_name": row["holder_name"]}

    def payment_count(self, bill_id: str) -> int:
        """Payments that paid (part of) this bill, alone or in a basket."""
        row = self.query_one(
            "SELECT count(DISTINCT payment_id) AS n FROM payment_allocations"
            " WHERE kind = 'bill' AND target_id = ?",
            (bill_id,),
        )
        return int(row["n"]) if row else 0

    # -- addresses -------------------------------------------------------------

    def add_address(
        self, address_id: str, address: str, zipcode: str, lat: float, long: float
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO addresses (id, address, zipcode, lat, long) VALUES (?, ?, ?, ?, ?)",
                (address_id, address, zipcode, lat, long),
            )

    def search_addresses(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        # instr() rather than LIKE so that % and _ typed by a resident are literal.
        rows = self.query(
            "SELECT * FROM addresses WHERE instr(lower(address), lower(?)) > 0"
            " ORDER BY address LIMIT ?",
            (text.strip(), limit),
        )
        return [dict(row) for row in rows]

    def address(self, address_id: str) -> dict[str, Any] | None:
        row = self.query_one("SELECT * FROM addresses WHERE id = ?", (address_id,))
        return dict(row) if row else None

    # -- Open311 service definitions -------------------------------------------

    def put_open311_service(self, position: int, service: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO open311_services (service_code, position, body)"
                " VALUES (?, ?, ?)",
                (service["service_code"], position, json.dumps(service)),
            )

    def open311_services(self) -> list[dict[str, Any]]:
        rows = self.query("SELECT body FROM open311_services ORDER BY position, service_code")
        return [json.loads(row["body"]) for row in rows]

    def open311_service(self, service_code: str) -> dict[str, Any] | None:
        row = self.query_one(
            "SELECT body FROM open311_services WHERE service_code = ?", (service_code,)
        )
        return json.loads(row["body"]) if row else None

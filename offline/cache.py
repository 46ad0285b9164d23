"""Last known copies of portal data (bills, fees, forms, public content) for offline use.

Cached bills and "my permits" lists name residents, so the cache is sealed like the
outbox: each value is encrypted with the device key and bound to its entry, and each
entry's name (which may hold a bill number or an identity hash) is stored only as a
keyed pseudonym. A copy that cannot be read (the device key was replaced) is a miss:
the cache is only ever a fallback.

Unlike the outbox, ``put`` commits by itself: a cache write never belongs to a larger
unit of work. Inside an open transaction it joins that transaction instead.
"""

from __future__ import annotations

import datetime
import json
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from offline.crypto import PayloadCipher, UnreadablePayload

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    fetched_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class CachedValue:
    # Cached bills may name residents: keep values out of logs via repr.
    value: Any = field(repr=False)
    fetched_at: datetime.datetime

    def age(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        """How old the copy is; city limits on offline use compare against this."""
        return (now or datetime.datetime.now(datetime.UTC)) - self.fetched_at


class Cache:
    def __init__(self, db: sqlite_utils.Database, cipher: PayloadCipher) -> None:
        self._db = db
        self._cipher = cipher
        with db.atomic():
            db.execute(_SCHEMA)
            # Copies an earlier version kept in plain text: never read again, so gone.
            db.execute("DELETE FROM cache WHERE typeof(value) = 'text'")

    def _row_name(self, name: str) -> str:
        return self._cipher.pseudonym(f"cache\0{name}")

    def put(self, name: str, value: Any) -> None:
        """Store a JSON-serialisable ``value`` under ``name``, stamped with the time now."""
        row_name = self._row_name(name)
        body = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
        sealed = self._cipher.encrypt(body, row_name.encode())
        fetched_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        with self._db.atomic():
            self._db.conn.execute(
                "INSERT INTO cache (name, value, fetched_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " fetched_at = excluded.fetched_at",
                (row_name, sealed, fetched_at),
            )

    def keep(self, name: str, value: Any) -> None:
        """``put`` for a copy that is only ever a fallback: a write that fails is logged,
        never raised, since what was just fetched still reaches the resident."""
        try:
            self.put(name, value)
        except sqlite3.Error:
            # The kind of copy only: a name may hold a bill number or a card's hash.
            kind = name.split(".", 1)[0].split(":", 1)[0]
            log.exception("could not keep an offline copy (%s)", kind)

    def get(self, name: str) -> CachedValue | None:
        row_name = self._row_name(name)
        row = self._db.conn.execute(
            "SELECT value, fetched_at FROM cache WHERE name = ?", (row_name,)
        ).fetchone()
        if row is None:
            return None
        try:
            body = self._cipher.decrypt(bytes(row[0]), row_name.encode())
        except UnreadablePayload:
            log.warning("a cached copy cannot be read with this device's key; dropped")
            with self._db.atomic():
                self._db.conn.execute("DELETE FROM cache WHERE name = ?", (row_name,))
            return None
        return CachedValue(json.loads(body), datetime.datetime.fromisoformat(row[1]))

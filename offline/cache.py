"""Last known copies of portal data (bills, fees, opening hours) for offline use.

Unlike the outbox, ``put`` commits by itself: a cache write never belongs to a larger
unit of work. Inside an open transaction it joins that transaction instead.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

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
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        with db.atomic():
            db.execute(_SCHEMA)

    def put(self, name: str, value: Any) -> None:
        """Store a JSON-serialisable ``value`` under ``name``, stamped with the time now."""
        body = json.dumps(value, ensure_ascii=False, sort_keys=True)
        fetched_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        with self._db.atomic():
            self._db.conn.execute(
                "INSERT INTO cache (name, value, fetched_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " fetched_at = excluded.fetched_at",
                (name, body, fetched_at),
            )

    def get(self, name: str) -> CachedValue | None:
        row = self._db.conn.execute(
            "SELECT value, fetched_at FROM cache WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        return CachedValue(json.loads(row[0]), datetime.datetime.fromisoformat(row[1]))

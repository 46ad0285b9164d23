"""The kiosk's local SQLite database, set up to survive power cuts.

Transactions: the connection keeps Python's default handling, so ``with db.conn:``
commits or rolls back everything written inside it, and ``db.atomic()`` does the same
with an explicit BEGIN (and nests as savepoints).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import sqlite_utils

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def open_database(path: str | Path, *, shared: bool = False) -> sqlite_utils.Database:
    """Open (creating it and its folders if needed) the database at ``path``.

    ``shared``: the connection may be used from several threads, one at a time (the
    caller serialises them, as the payment desk does with its lock).
    Raises sqlite3.DatabaseError when the file exists but is not a database.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=not shared)
    try:
        # WAL: readers (e.g. the UI) never block the writer. FULL: a committed
        # payment journal entry survives a power cut, which NORMAL does not promise.
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            logger.warning("SQLite refused WAL mode (got %r); is the disk a network share?", mode)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


def apply_schema(db: sqlite_utils.Database, script: str) -> None:
    """Run ``;``-separated CREATE statements inside the caller's transaction.

    Not ``executescript``: that commits whatever transaction is open first, which
    would break the atomic migrations that call this.
    """
    for statement in script.split(";"):
        if statement.strip():
            db.conn.execute(statement)


def check_integrity(db: sqlite_utils.Database) -> list[str]:
    """Problems SQLite finds in the database file; empty means healthy.

    Never raises for a damaged file: damage bad enough that SQLite cannot even run
    the check is reported as a single problem, so callers have one thing to test.
    """
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return [f"integrity check could not run: {exc}"]
    problems = [row[0] for row in rows]
    return [] if problems == ["ok"] else problems

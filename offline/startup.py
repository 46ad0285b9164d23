"""Opening the kiosk database at start-up, with an integrity check.

A damaged database is moved aside with its WAL and shared-memory files (the WAL may
hold the only copy of recent transactions), never deleted, and a fresh one is
started so residents can still use the information services. The move is recorded
as an alert that keeps payments off until a technician has looked at it.
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from offline.alerts import DATABASE_QUARANTINED, Alerts
from offline.db import check_integrity, open_database

log = logging.getLogger(__name__)

SIDE_FILES = ("", "-wal", "-shm")


@dataclass
class OpenedDatabase:
    db: sqlite_utils.Database
    alerts: Alerts
    # Where damaged files were moved this start, if any.
    quarantined: list[Path] = field(default_factory=list)


def open_kiosk_database(path: str | Path) -> OpenedDatabase:
    path = Path(path)
    problems = _problems(path) if path.exists() else []
    moved: list[Path] = []
    if problems:
        moved = quarantine(path)
        log.critical(
            "KIOSK DATABASE DAMAGED: moved to %s (%s). Payments are OFF until a technician "
            "runs `kiosk-queue ack %s` after checking it.",
            moved[0],
            "; ".join(problems[:3]),
            DATABASE_QUARANTINED,
        )
    db = open_database(path)
    alerts = Alerts(db)
    if moved:
        alerts.raise_alert(
            DATABASE_QUARANTINED, f"moved to {moved[0]}: {'; '.join(problems[:3])}"[:1000]
        )
    return OpenedDatabase(db, alerts, moved)


def _problems(path: Path) -> list[str]:
    # Read-only: a read-write open of a damaged file can checkpoint or delete its
    # WAL on close, destroying the very transactions a technician needs to recover.
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as error:
        return [f"cannot open: {error}"]
    try:
        return check_integrity(sqlite_utils.Database(conn))
    finally:
        conn.close()


def quarantine(path: Path) -> list[Path]:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for suffix in SIDE_FILES:
        source = path.with_name(path.name + suffix)
        if source.exists():
            target = path.with_name(f"{path.name}.corrupt-{stamp}{suffix}")
            source.rename(target)
            moved.append(target)
    return moved

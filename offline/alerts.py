"""Conditions a technician must act on, kept in the kiosk database.

An alert stays active until a technician acknowledges it (``kiosk-queue ack KIND``);
restarting the kiosk does not clear it. The kiosk reads active alerts to decide what
it may offer: a quarantined database switches payments off.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from offline.outbox import utc_now

DATABASE_QUARANTINED = "database_quarantined"
# Raised by the print worker; the future heartbeat reports it so a technician brings paper.
PRINTER_PAPER_NEAR_END = "printer_paper_near_end"
# A resident touched "Call for help": staff should go to the kiosk, then acknowledge it.
HELP_REQUESTED = "help_requested"
# Alerts that switch payments off while active.
BLOCKS_PAYMENTS = frozenset({DATABASE_QUARANTINED})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    acknowledged_at TEXT
)
"""


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    detail: str
    raised_at: str


class Alerts:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        with db.atomic():
            db.conn.execute(_SCHEMA)

    def raise_alert(self, kind: str, detail: str) -> None:
        with self._db.atomic():
            self._db.conn.execute(
                "INSERT INTO alerts (kind, detail, raised_at) VALUES (?, ?, ?)",
                (kind, detail, utc_now()),
            )

    def raise_once(self, kind: str, detail: str) -> bool:
        """Raise ``kind`` unless it is already active; True when it was raised now.
        One statement, so two processes raising at once cannot both insert."""
        with self._db.atomic():
            cursor = self._db.conn.execute(
                "INSERT INTO alerts (kind, detail, raised_at) SELECT ?, ?, ? WHERE NOT EXISTS"
                " (SELECT 1 FROM alerts WHERE kind = ? AND acknowledged_at IS NULL)",
                (kind, detail, utc_now(), kind),
            )
        return cursor.rowcount == 1

    def active(self) -> list[Alert]:
        rows = self._db.conn.execute(
            "SELECT id, kind, detail, raised_at FROM alerts WHERE acknowledged_at IS NULL"
            " ORDER BY id"
        ).fetchall()
        return [Alert(*row) for row in rows]

    def acknowledge(self, kind: str) -> int:
        with self._db.atomic():
            cursor = self._db.conn.execute(
                "UPDATE alerts SET acknowledged_at = ? WHERE kind = ? AND acknowledged_at IS NULL",
                (utc_now(), kind),
            )
        return cursor.rowcount

    def payment_blockers(self) -> list[str]:
        """Kinds of the active alerts that keep payments off."""
        return [alert.kind for alert in self.active() if alert.kind in BLOCKS_PAYMENTS]

    def payments_blocked(self) -> bool:
        return bool(self.payment_blockers())

"""Durable receipt print jobs: a crash or an empty paper roll never loses a receipt,
and a retry never prints a finished one twice.

Life of a job::

    queued ──start──▶ printing ──finish──▶ printed        (final)
      ▲                  │  └──fail──▶ failed ──requeue──▶ queued …
      └──────────────────┘
    printing ──kiosk restarted──▶ uncertain               (never retried by itself)
    queued   ──kiosk restarted──▶ failed                  (its resident has gone)

A job caught mid-print by a crash may or may not have come out of the printer, so
it becomes ``uncertain``: only a person (the resident on the end screen, or a
technician by reference) can ask for it again, and that makes a new job marked as a
reprint. The print worker only picks ``queued`` jobs; a ``failed`` one is printed
again only when a person asks (``requeue``): a receipt printed after its resident
left would go to the next person in line.

Like the outbox, no method commits: add a job in the same transaction as the
business record it proves. Documents are sealed with the device key, since a
receipt can carry a resident's name or address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from offline.crypto import PayloadCipher
from offline.db import apply_schema
from offline.outbox import utc_now

QUEUED, PRINTING, PRINTED, FAILED, UNCERTAIN = (
    "queued",
    "printing",
    "printed",
    "failed",
    "uncertain",
)

STATES = (QUEUED, PRINTING, PRINTED, FAILED, UNCERTAIN)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'printing', 'printed', 'failed', 'uncertain')),
    reprint_of INTEGER REFERENCES print_jobs (id),
    document BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    printed_at TEXT
);
CREATE INDEX IF NOT EXISTS print_jobs_by_reference ON print_jobs (reference);
CREATE INDEX IF NOT EXISTS print_jobs_by_state ON print_jobs (state);
"""


@dataclass(frozen=True)
class PrintJob:
    id: int
    reference: str
    state: str
    reprint_of: int | None
    attempts: int
    last_error: str | None
    created_at: str
    printed_at: str | None


class PrintJobs:
    def __init__(self, db: sqlite_utils.Database, cipher: PayloadCipher | None) -> None:
        """Without a cipher (technician tools) jobs can be listed and reprinted, not read."""
        self._db = db
        self._cipher = cipher
        with db.atomic():
            apply_schema(db, _SCHEMA)

    def transaction(self):
        return self._db.atomic()

    def close(self) -> None:
        self._db.close()

    def add(self, reference: str, document: dict[str, Any]) -> int:
        """Queue a receipt; returns the job id."""
        if self._cipher is None:
            raise RuntimeError("adding a print job needs the device key")
        body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        cursor = self._db.conn.execute(
            "INSERT INTO print_jobs (reference, document, created_at) VALUES (?, ?, ?)",
            (reference, self._cipher.encrypt(body, _context(reference)), utc_now()),
        )
        return cursor.lastrowid

    def start(self, job_id: int) -> bool:
        """Claim a queued job for printing. False means it must not be printed now: it
        is finished, being printed, or failed or uncertain (a person must ask again)."""
        cursor = self._db.conn.execute(
            "UPDATE print_jobs SET state = 'printing', attempts = attempts + 1"
            " WHERE id = ? AND state = 'queued'",
            (job_id,),
        )
        return cursor.rowcount == 1

    def finish(self, job_id: int) -> None:
        self._db.conn.execute(
            "UPDATE print_jobs SET state = 'printed', printed_at = ?, last_error = NULL"
            " WHERE id = ? AND state = 'printing'",
            (utc_now(), job_id),
        )

    def fail(self, job_id: int, reason: str) -> None:
        """The printer refused the job before printing any of it (paper out, offline).
        A job that may be half printed is not "failed": see ``recover``."""
        self._db.conn.execute(
            "UPDATE print_jobs SET state = 'failed', last_error = ? WHERE id = ?"
            " AND state = 'printing'",
            (reason[:200], job_id),
        )

    def interrupted(self, job_id: int, reason: str) -> None:
        """Printing stopped part-way (paper ran out, link dropped): never retried by
        itself, since part of the receipt is already on paper."""
        self._db.conn.execute(
            "UPDATE print_jobs SET state = 'uncertain', last_error = ? WHERE id = ?"
            " AND state = 'printing'",
            (reason[:200], job_id),
        )

    def recover(self) -> int:
        """At start-up: jobs a crash caught mid-print become uncertain, and jobs still
        waiting fail (their resident has gone). Returns how many were caught printing."""
        cursor = self._db.conn.execute(
            "UPDATE print_jobs SET state = 'uncertain', last_error = 'kiosk restarted while"
            " printing' WHERE state = 'printing'"
        )
        self._db.conn.execute(
            "UPDATE print_jobs SET state = 'failed', last_error = 'kiosk restarted before"
            " printing' WHERE state = 'queued'"
        )
        return cursor.rowcount

    def requeue(self, job_id: int) -> bool:
        """A person asked again for a job that never printed: queue it once more."""
        cursor = self._db.conn.execute(
            "UPDATE print_jobs SET state = 'queued' WHERE id = ? AND state = 'failed'", (job_id,)
        )
        return cursor.rowcount == 1

    def ask_again(self, job_id: int) -> int | None:
        """What a person's "print again" means for a job: a failed one is queued again
        (nothing of it printed), a printed or uncertain one gets a reprint job (its
        id is returned), and one queued or printing is left alone (None).

        Each step is one conditional write, never a read then a write: another
        process committing in between cannot make it fail or act twice. The sealed
        document is copied as it is, so a technician's tool needs no key."""
        if self.requeue(job_id):
            return job_id
        cursor = self._db.conn.execute(
            "INSERT INTO print_jobs (reference, reprint_of, document, created_at)"
            " SELECT reference, id, document, ? FROM print_jobs"
            " WHERE id = ? AND state IN ('printed', 'uncertain')",
            (utc_now(), job_id),
        )
        if cursor.rowcount == 1:
            return cursor.lastrowid
        if self.get(job_id) is None:
            raise KeyError(job_id)
        return None

    def abandon(self, job_id: int, reason: str = "the resident left before it printed") -> bool:
        """The resident has gone: a job still waiting must not print for the next one."""
        cursor = self._db.conn.execute(
            "UPDATE print_jobs SET state = 'failed', last_error = ? WHERE id = ?"
            " AND state = 'queued'",
            (reason, job_id),
        )
        return cursor.rowcount == 1

    def purge(self, before: str) -> int:
        """Forget finished jobs created before ``before`` (ISO time): their sealed
        documents hold names and addresses. A job a newer one reprints is kept."""
        cursor = self._db.conn.execute(
            "DELETE FROM print_jobs WHERE created_at < ?"
            " AND state IN ('printed', 'failed', 'uncertain')"
            " AND id NOT IN (SELECT reprint_of FROM print_jobs WHERE reprint_of IS NOT NULL"
            " AND (created_at >= ? OR state NOT IN ('printed', 'failed', 'uncertain')))",
            (before, before),
        )
        return cursor.rowcount

    def due(self) -> list[PrintJob]:
        """Jobs the printer should take now, oldest first."""
        return self._select("WHERE state = 'queued' ORDER BY id")

    def recent(self, limit: int = 50, state: str | None = None) -> list[PrintJob]:
        """Newest first; only jobs in ``state`` when given."""
        if state is None:
            return self._select("ORDER BY id DESC LIMIT ?", (limit,))
        return self._select("WHERE state = ? ORDER BY id DESC LIMIT ?", (state, limit))

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        counts.update(
            self._db.conn.execute("SELECT state, count(*) FROM print_jobs GROUP BY state")
        )
        return counts

    def for_reference(self, reference: str) -> list[PrintJob]:
        return self._select("WHERE reference = ? ORDER BY id", (reference,))

    def get(self, job_id: int) -> PrintJob | None:
        found = self._select("WHERE id = ?", (job_id,))
        return found[0] if found else None

    def document(self, job_id: int) -> dict[str, Any]:
        row = self._db.conn.execute(
            "SELECT reference, document FROM print_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise KeyError(job_id)
        if self._cipher is None:
            raise RuntimeError("reading a print job needs the device key")
        return json.loads(self._cipher.decrypt(row[1], _context(row[0])))

    def _select(self, where: str, params: tuple = ()) -> list[PrintJob]:
        rows = self._db.conn.execute(
            "SELECT id, reference, state, reprint_of, attempts, last_error, created_at,"
            " printed_at FROM print_jobs " + where,
            params,
        ).fetchall()
        return [PrintJob(*row) for row in rows]


def _context(reference: str) -> bytes:
    return f"print-job\0{reference}".encode()

"""Stripe-style idempotency keys, shared by POST /api/v1/payments and the sync batch.

Stored outcomes live in the ``idempotency_records`` table and are written on the same
connection, inside the same transaction, as the change they describe, so the record
exists if and only if the change does. The in-memory claim turns a second concurrent
request with the same key into a 409 instead of letting it queue behind the first.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

from portal.errors import ApiError

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class IdempotencyConflict(ApiError):
    def __init__(self) -> None:
        super().__init__(
            422,
            "idempotency_key_reused",
            "This idempotency key was already used with different parameters.",
        )


@dataclass(frozen=True)
class Outcome:
    """What a keyed request answered: ``body`` is JSON text, stored verbatim."""

    status: int
    body: str
    replayed: bool


def checked_key(raw: str | None) -> str:
    if raw is None or raw == "":
        raise ApiError(400, "idempotency_key_missing", f"The {HEADER} header is required.")
    if len(raw) > MAX_KEY_LENGTH:
        raise ApiError(
            400,
            "idempotency_key_missing",
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters long.",
        )
    return raw


def fingerprint(payload: dict[str, Any]) -> str:
    """Same parameters, same fingerprint, whatever the key order or whitespace sent."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def recall(conn: sqlite3.Connection, device_id: str, key: str, digest: str) -> Outcome | None:
    """The stored outcome of this key, None if unused; IdempotencyConflict if the key
    was used for a request with another fingerprint."""
    record = conn.execute(
        "SELECT request_sha256, status_code, body FROM idempotency_records"
        " WHERE device_id = ? AND key = ?",
        (device_id, key),
    ).fetchone()
    if record is None:
        return None
    if record["request_sha256"] != digest:
        raise IdempotencyConflict()
    return Outcome(record["status_code"], record["body"], replayed=True)


def remember(
    conn: sqlite3.Connection, device_id: str, key: str, digest: str, outcome: Outcome, at: str
) -> None:
    conn.execute(
        "INSERT INTO idempotency_records"
        " (device_id, key, request_sha256, status_code, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (device_id, key, digest, outcome.status, outcome.body, at),
    )


def as_response(outcome: Outcome) -> Response:
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else None
    return Response(
        content=outcome.body,
        status_code=outcome.status,
        media_type="application/json",
        headers=headers,
    )


class InFlightKeys:
    """Keys whose first request is still being processed, per device."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed: set[tuple[str, str]] = set()

    def claim(self, device_id: str, key: str) -> bool:
        return bool(self.claim_all(device_id, [key]))

    def claim_all(self, device_id: str, keys: Iterable[str]) -> set[str]:
        """Claims every free key at once, so two batches sharing keys cannot split
        them between each other; returns the keys claimed."""
        with self._lock:
            free = {key for key in keys if (device_id, key) not in self._claimed}
            self._claimed.update((device_id, key) for key in free)
            return free

    def release(self, device_id: str, key: str) -> None:
        self.release_all(device_id, [key])

    def release_all(self, device_id: str, keys: Iterable[str]) -> None:
        with self._lock:
            self._claimed.difference_update((device_id, key) for key in keys)

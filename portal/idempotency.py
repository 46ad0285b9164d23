"""Pieces of Stripe-style idempotency that do not touch the database.

Stored outcomes live in the ``idempotency_records`` table and are written in the
same transaction as the payment (see :mod:`portal.payments`). What lives here is the
in-memory claim that turns a second concurrent request with the same key into a
409 instead of letting it queue behind the first.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from fastapi.responses import Response

from portal.errors import ApiError

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


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


def replay(status_code: int, body: str) -> Response:
    return Response(
        content=body,
        status_code=status_code,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"},
    )


class InFlightKeys:
    """Keys whose first request is still being processed, per device."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed: set[tuple[str, str]] = set()

    def claim(self, device_id: str, key: str) -> bool:
        with self._lock:
            if (device_id, key) in self._claimed:
                return False
            self._claimed.add((device_id, key))
            return True

    def release(self, device_id: str, key: str) -> None:
        with self._lock:
            self._claimed.discard((device_id, key))

"""POST /api/v1/sync/batch: the kiosk's offline queue, delivered exactly once.

The whole batch runs in one transaction, so it costs a single commit (one fsync)
however many items it holds; each item gets a SAVEPOINT that is rolled back when the
item fails, so a bad item leaves no trace and does not spoil the others.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request

from portal.api import AUTH_ERRORS, documented_error, store_of
from portal.auth import require_device
from portal.errors import ApiError
from portal.idempotency import IdempotencyConflict, InFlightKeys
from portal.models import SyncBatch, SyncItem, SyncOutcome, SyncResults
from portal.sync_kinds import ItemContext, apply_item

log = logging.getLogger(__name__)

OUTCOMES = get_args(SyncOutcome)

router = APIRouter(prefix="/api/v1", tags=["sync"], responses=AUTH_ERRORS)


class SyncStats:
    """Counters for soak tests: batches, items, and items per outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(("batches", "items", *OUTCOMES), 0)

    def add(self, results: list[dict[str, Any]]) -> None:
        with self._lock:
            self._counts["batches"] += 1
            self._counts["items"] += len(results)
            for result in results:
                self._counts[result["outcome"]] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def _result(item: SyncItem, outcome: str, status: int, body: Any, error: Any) -> dict[str, Any]:
    return {
        "idempotency_key": item.idempotency_key,
        "outcome": outcome,
        "status": status,
        "body": body,
        "error": error,
    }


def _failure(item: SyncItem, outcome: str, exc: ApiError) -> dict[str, Any]:
    error = {"code": exc.code, "message": exc.message, "fields": exc.fields}
    return _result(item, outcome, exc.status, None, error)


KEY_IN_USE = ApiError(
    409, "idempotency_key_in_use", "An item with this key is still being processed; resend it."
)
INTERNAL = ApiError(500, "internal_error", "The portal failed on this item; resend it later.")


def remember_reference(conn, device_id: str, item: SyncItem) -> None:
    """So the receipt's reference can be tracked from anywhere (portal/tracking.py)."""
    conn.execute(
        "INSERT OR IGNORE INTO kiosk_references (reference, device_id, idempotency_key)"
        " VALUES (?, ?, ?)",
        (item.reference.upper(), device_id, item.idempotency_key),
    )


def _process(ctx: ItemContext) -> dict[str, Any]:
    conn, item = ctx.conn, ctx.item
    conn.execute("SAVEPOINT sync_item")
    try:
        outcome = apply_item(ctx)
    except IdempotencyConflict as exc:
        result = _failure(item, "conflict", exc)
    except ApiError as exc:
        result = _failure(item, "rejected", exc)
    except Exception:
        # The traceback, not the payload: payloads hold residents' personal data.
        log.exception("sync item of kind %r failed", item.kind)
        result = _failure(item, "retry", INTERNAL)
    else:
        conn.execute("RELEASE sync_item")
        if item.reference:
            remember_reference(conn, ctx.device_id, item)
        kind = "replayed" if outcome.replayed else "created"
        return _result(item, kind, outcome.status, json.loads(outcome.body), None)
    conn.execute("ROLLBACK TO sync_item")
    conn.execute("RELEASE sync_item")
    return result


@router.post(
    "/sync/batch",
    response_model=SyncResults,
    responses={422: documented_error("Not 1 to 500 well-formed items")},
)
def sync_batch(
    request: Request, batch: SyncBatch, device_id: Annotated[str, Depends(require_device)]
) -> dict[str, Any]:
    """Applies queued items in order, each at most once per idempotency key and device.

    Kinds, all at schema_version 1: `payment` (the body of POST /api/v1/payments),
    `service_request` (an Open311 POST as JSON, attributes as {code: value or [values]};
    the key doubles as its kiosk_request_id) and `survey_response` ({survey_id, answers,
    locale?, kiosk_reference?}). A rejected item stores nothing: correct it and resend it
    under the same key.
    """
    store = store_of(request)
    in_flight: InFlightKeys = request.app.state.in_flight_keys
    claimed = in_flight.claim_all(device_id, {item.idempotency_key for item in batch.items})
    try:
        with store.transaction() as conn:
            results = [
                _process(ItemContext(conn, store, device_id, item))
                if item.idempotency_key in claimed
                else _failure(item, "retry", KEY_IN_USE)
                for item in batch.items
            ]
    finally:
        in_flight.release_all(device_id, claimed)
    request.app.state.sync_stats.add(results)
    return {"results": results}

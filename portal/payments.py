"""POST /api/v1/payments with Stripe-style idempotency keys, and payment look-up.

A kiosk that loses the response to a payment retries with the same key; it must get
the very same answer and the resident must be charged once. Rejected requests store
nothing, so the kiosk can fix the body and retry under the same key.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from portal.api import AUTH_ERRORS, documented_error, store_of
from portal.auth import require_device
from portal.errors import ApiError
from portal.idempotency import (
    HEADER,
    InFlightKeys,
    Outcome,
    as_response,
    checked_key,
    fingerprint,
    recall,
    remember,
)
from portal.models import Payment, PaymentRecord, PaymentRequest
from portal.timeutil import to_iso, utc_now

MAX_PLAIN_PAN_DIGITS = 4

router = APIRouter(prefix="/api/v1", tags=["payments"], responses=AUTH_ERRORS)


def reject_unmasked_pan(payment: PaymentRequest) -> None:
    masked_pan = payment.terminal.masked_pan if payment.terminal else None
    if masked_pan and sum(ch.isdigit() for ch in masked_pan) > MAX_PLAIN_PAN_DIGITS:
        raise ApiError(
            422,
            "pan_not_masked",
            "The card number must be masked; the portal never stores full card numbers.",
            fields={"terminal.masked_pan": "at most the last 4 digits may be shown"},
        )


def check_payable(bill: sqlite3.Row | None, payment: PaymentRequest) -> int:
    """The balance left after this payment, or an ApiError saying why it cannot post."""
    if bill is None:
        raise ApiError(404, "bill_not_found", "No bill has this id.", fields={"bill_id": "unknown"})
    balance = bill["amount_due_cents"]
    if bill["status"] == "paid" or balance == 0:
        raise ApiError(409, "bill_already_paid", "This bill is already paid.")
    if payment.currency != bill["currency"]:
        raise ApiError(
            422,
            "currency_mismatch",
            f"This bill is in {bill['currency']}.",
            fields={"currency": f"must be {bill['currency']}"},
        )
    if payment.amount_cents > balance:
        raise ApiError(
            422,
            "amount_exceeds_balance",
            "The amount is more than what is left to pay on this bill.",
            fields={"amount_cents": f"must be at most {balance}"},
        )
    if not bill["allows_partial"] and payment.amount_cents != balance:
        raise ApiError(
            422,
            "partial_not_allowed",
            "This bill must be paid in full.",
            fields={"amount_cents": f"must be exactly {balance}"},
        )
    return balance - payment.amount_cents


def apply_payment(
    conn: sqlite3.Connection, device_id: str, key: str, payment: PaymentRequest
) -> Outcome:
    """Posts the payment, or recalls what this key answered before, on an open
    transaction; raises ApiError, before writing anything, if it cannot post.

    The sync batch calls this too, so a key used on either path is known on the other.
    """
    reject_unmasked_pan(payment)
    digest = fingerprint(payment.model_dump(mode="json"))
    earlier = recall(conn, device_id, key, digest)
    if earlier is not None:
        return earlier
    bill = conn.execute("SELECT * FROM bills WHERE id = ?", (payment.bill_id,)).fetchone()
    remaining = check_payable(bill, payment)
    created = {
        "payment_id": "pay_" + secrets.token_hex(8),
        "bill_id": payment.bill_id,
        "amount_cents": payment.amount_cents,
        "remaining_cents": remaining,
        "status": "posted",
        "created_at": to_iso(utc_now()),
    }
    conn.execute(
        "UPDATE bills SET amount_due_cents = ?, status = ? WHERE id = ?",
        (remaining, "paid" if remaining == 0 else "open", payment.bill_id),
    )
    terminal = payment.terminal.model_dump(mode="json") if payment.terminal else None
    conn.execute(
        "INSERT INTO payments (payment_id, bill_id, device_id, amount_cents, currency,"
        " remaining_cents, kiosk_reference, terminal, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            created["payment_id"],
            payment.bill_id,
            device_id,
            payment.amount_cents,
            payment.currency,
            remaining,
            payment.kiosk_reference,
            json.dumps(terminal) if terminal else None,
            created["status"],
            created["created_at"],
        ),
    )
    outcome = Outcome(201, json.dumps(created), replayed=False)
    remember(conn, device_id, key, digest, outcome, created["created_at"])
    return outcome


@router.post(
    "/payments",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": Payment, "description": "Posted (or replayed: Idempotent-Replayed: true)"},
        400: documented_error("Idempotency-Key header missing"),
        404: documented_error("Unknown bill"),
        409: documented_error("Bill already paid, or the same key is still being processed"),
        422: documented_error(
            "Invalid body, key reused with other parameters, or amount not payable"
        ),
    },
)
def create_payment(
    request: Request,
    payment: PaymentRequest,
    device_id: Annotated[str, Depends(require_device)],
    idempotency_key: Annotated[str | None, Header(alias=HEADER)] = None,
) -> Response:
    key = checked_key(idempotency_key)
    in_flight: InFlightKeys = request.app.state.in_flight_keys
    if not in_flight.claim(device_id, key):
        raise ApiError(
            409, "idempotency_key_in_use", f"A request with this {HEADER} is still in progress."
        )
    store = store_of(request)
    try:
        with store.transaction() as conn:
            return as_response(apply_payment(conn, device_id, key, payment))
    finally:
        in_flight.release(device_id, key)


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentRecord,
    responses={404: documented_error("Unknown payment")},
    dependencies=[Depends(require_device)],
)
def get_payment(request: Request, payment_id: str) -> dict[str, Any]:
    store = store_of(request)
    row = store.query_one("SELECT * FROM payments WHERE payment_id = ?", (payment_id,))
    if row is None:
        raise ApiError(404, "payment_not_found", "No payment has this id.")
    return {
        "payment_id": row["payment_id"],
        "bill_id": row["bill_id"],
        "amount_cents": row["amount_cents"],
        "currency": row["currency"],
        "remaining_cents": row["remaining_cents"],
        "kiosk_reference": row["kiosk_reference"],
        "terminal": json.loads(row["terminal"]) if row["terminal"] else None,
        "status": row["status"],
        "created_at": row["created_at"],
    }

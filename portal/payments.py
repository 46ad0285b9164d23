"""POST /api/v1/payments with Stripe-style idempotency keys, and payment look-up.

A kiosk that loses the response to a payment retries with the same key; it must get
the very same answer and the resident must be charged once. Rejected requests store
nothing, so the kiosk can fix the body and retry under the same key.

One card sale may pay several things (``allocations``: a basket of bills, later a
permit fee); every line is checked before any is written, so a sale posts whole or
not at all, and a refusal of any line refuses the sale (the kiosk then reverses it).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
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
from portal.models import Allocation, Payment, PaymentRecord, PaymentRequest
from portal.permits import permit_fee_line
from portal.status_history import PAYMENT, record_status
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


def check_payable(bill: sqlite3.Row | None, line: Allocation, currency: str, at: str) -> int:
    """The balance left after this line, or an ApiError saying why it cannot post.

    ``at`` names the line in the error's fields ("" for a single-bill request)."""
    if bill is None:
        raise ApiError(
            404, "bill_not_found", "No bill has this id.", fields={f"{at}bill_id": "unknown"}
        )
    balance = bill["amount_due_cents"]
    if bill["status"] == "paid" or balance == 0:
        raise ApiError(409, "bill_already_paid", f"Bill {bill['number']} is already paid.")
    if currency != bill["currency"]:
        raise ApiError(
            422,
            "currency_mismatch",
            f"This bill is in {bill['currency']}.",
            fields={"currency": f"must be {bill['currency']}"},
        )
    if line.amount_cents > balance:
        raise ApiError(
            422,
            "amount_exceeds_balance",
            f"The amount is more than what is left to pay on bill {bill['number']}.",
            fields={f"{at}amount_cents": f"must be at most {balance}"},
        )
    if not bill["allows_partial"] and line.amount_cents != balance:
        raise ApiError(
            422,
            "partial_not_allowed",
            f"Bill {bill['number']} must be paid in full.",
            fields={f"{at}amount_cents": f"must be exactly {balance}"},
        )
    return balance - line.amount_cents


def _bill_line(conn: sqlite3.Connection, line: Allocation, currency: str, at: str):
    """Check a bill line; returns the write that applies it, to run once all are checked."""
    bill = conn.execute("SELECT * FROM bills WHERE id = ?", (line.id,)).fetchone()
    remaining = check_payable(bill, line, currency, at)

    def write() -> int:
        conn.execute(
            "UPDATE bills SET amount_due_cents = ?, status = ? WHERE id = ?",
            (remaining, "paid" if remaining == 0 else "open", line.id),
        )
        return remaining

    return write


# What each kind of allocation pays for: a checker that raises ApiError or returns the
# write that applies the line. A service with its own fees (permits) adds its kind here.
ALLOCATION_KINDS: dict[str, Callable[[sqlite3.Connection, Allocation, str, str], Callable]] = {
    "bill": _bill_line,
    "permit_fee": permit_fee_line,
}


def _checked_lines(conn: sqlite3.Connection, payment: PaymentRequest) -> list[Callable[[], int]]:
    """Every line checked, before anything is written: all of them post, or none."""
    lines = payment.lines()
    single = payment.allocations is None
    if sum(line.amount_cents for line in lines) != payment.amount_cents:
        raise ApiError(
            422,
            "amount_mismatch",
            "The amount charged is not the sum of the allocations.",
            fields={"amount_cents": "must be the sum of allocations[].amount_cents"},
        )
    seen: set[tuple[str, str]] = set()
    writes = []
    for index, line in enumerate(lines):
        at = "" if single else f"allocations.{index}."
        if (line.kind, line.id) in seen:
            raise ApiError(
                422,
                "duplicate_allocation",
                "The same thing is paid twice in one payment.",
                fields={f"{at}id": "appears more than once"},
            )
        seen.add((line.kind, line.id))
        check = ALLOCATION_KINDS.get(line.kind)
        if check is None:
            raise ApiError(
                422,
                "unknown_allocation_kind",
                f"This portal cannot apply payments to {line.kind!r}.",
                fields={f"{at}kind": "must be one of " + ", ".join(ALLOCATION_KINDS)},
            )
        writes.append(check(conn, line, payment.currency, at))
    return writes


def apply_payment(
    conn: sqlite3.Connection, device_id: str, key: str, payment: PaymentRequest
) -> Outcome:
    """Posts the payment, or recalls what this key answered before, on an open
    transaction; raises ApiError, before writing anything, if any line cannot post.

    The sync batch calls this too, so a key used on either path is known on the other.
    """
    reject_unmasked_pan(payment)
    digest = fingerprint(payment.model_dump(mode="json"))
    earlier = recall(conn, device_id, key, digest)
    if earlier is not None:
        return earlier
    writes = _checked_lines(conn, payment)
    payment_id = "pay_" + secrets.token_hex(8)
    applied = [
        {
            "kind": line.kind,
            "id": line.id,
            "amount_cents": line.amount_cents,
            "remaining_cents": write(),
        }
        for line, write in zip(payment.lines(), writes, strict=True)
    ]
    bills = [line for line in applied if line["kind"] == "bill"]
    created = {
        "payment_id": payment_id,
        "bill_id": bills[0]["id"] if bills else None,
        "amount_cents": payment.amount_cents,
        "remaining_cents": sum(line["remaining_cents"] for line in bills),
        "allocations": applied,
        "status": "posted",
        "created_at": to_iso(utc_now()),
    }
    terminal = payment.terminal.model_dump(mode="json") if payment.terminal else None
    conn.execute(
        "INSERT INTO payments (payment_id, bill_id, device_id, amount_cents, currency,"
        " remaining_cents, kiosk_reference, terminal, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            payment_id,
            created["bill_id"],
            device_id,
            payment.amount_cents,
            payment.currency,
            created["remaining_cents"],
            payment.kiosk_reference,
            json.dumps(terminal) if terminal else None,
            created["status"],
            created["created_at"],
        ),
    )
    conn.executemany(
        "INSERT INTO payment_allocations (payment_id, position, kind, target_id, amount_cents,"
        " remaining_cents) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                payment_id,
                position,
                line["kind"],
                line["id"],
                line["amount_cents"],
                line["remaining_cents"],
            )
            for position, line in enumerate(applied)
        ],  # fmt: skip
    )
    record_status(conn, PAYMENT, payment_id, created["status"], created["created_at"])
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
    allocations = store.query(
        "SELECT kind, target_id, amount_cents, remaining_cents FROM payment_allocations"
        " WHERE payment_id = ? ORDER BY position",
        (payment_id,),
    )
    return {
        "payment_id": row["payment_id"],
        "bill_id": row["bill_id"],
        "allocations": [
            {
                "kind": line["kind"],
                "id": line["target_id"],
                "amount_cents": line["amount_cents"],
                "remaining_cents": line["remaining_cents"],
            }
            for line in allocations
        ],
        "amount_cents": row["amount_cents"],
        "currency": row["currency"],
        "remaining_cents": row["remaining_cents"],
        "kiosk_reference": row["kiosk_reference"],
        "terminal": json.loads(row["terminal"]) if row["terminal"] else None,
        "status": row["status"],
        "created_at": row["created_at"],
    }

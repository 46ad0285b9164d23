"""Tracking: a reference on a receipt, resolved to its status history and latest notes.

A reference is an Open311 service_request_id (``LF-000001``) or batch token, a payment
id, or the kiosk reference (``K-XXXX-XXXX``) printed on a receipt. Payments carry their
kiosk reference; anything else a kiosk queued is found by the outbox idempotency key
the asking kiosk sends along (``kiosk_key``), which only resolves among that device's
own items. "Mine" lists what belongs to the resident whose card identity is in the
body: never in a URL, where it would end up in access logs.

What tracking shows is a status, its history and the city's notes, never what the
resident typed, so the public page (portal/tracking_page.py) can show it on a phone.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from portal.api import AUTH_ERRORS, _check_profile, documented_error, store_of
from portal.auth import require_device
from portal.errors import ApiError
from portal.models import IdentityLookup
from portal.open311_records import language, localized
from portal.status_history import ACCOUNT, PAYMENT, SERVICE_REQUEST, status_changes
from portal.store import linked_account

REFERENCE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_MINE = 50
TITLES = {
    PAYMENT: {"en": "Payment of bill {number}", "es": "Pago de la factura {number}"},
    "payment_no_bill": {"en": "Payment", "es": "Pago"},
    ACCOUNT: {"en": "eCitizen account", "es": "Cuenta de eCiudadano"},
    "request_unknown_service": {"en": "Service request", "es": "Solicitud de servicio"},
}


class HistoryEntry(BaseModel):
    status: str = Field(
        description="open, closed (requests); posted (payments); "
        "pending_activation, active (accounts)"
    )
    at: str = Field(description="ISO 8601, UTC")
    note: str | None = Field(description="What the city said at this step, in the locale")


class TrackedItem(BaseModel):
    reference: str = Field(
        description="The reference that was asked for (or, in 'mine', the record's own number)"
    )
    kind: str = Field(description="service_request, payment or account")
    tracking_number: str = Field(description="The city's number for the record")
    title: str
    status: str
    created_at: str
    updated_at: str
    expected_at: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    history: list[HistoryEntry] = Field(description="Oldest first")
    latest_note: str | None


class TrackedList(BaseModel):
    items: list[TrackedItem] = Field(description="Newest first")


class MineRequest(IdentityLookup):
    locale: Annotated[str, Field(max_length=16)] | None = None


# -- views ------------------------------------------------------------------------


def _history(
    conn: sqlite3.Connection, kind: str, record_id: str, lang: str, fallback: list[dict]
) -> list[dict[str, Any]]:
    changes = status_changes(conn, kind, record_id) or fallback
    return [
        {"status": c["status"], "at": c["at"], "note": localized(c["note"], lang)} for c in changes
    ]


def _latest_note(history: list[dict[str, Any]], current: str | None = None) -> str | None:
    if current:
        return current
    return next((entry["note"] for entry in reversed(history) if entry["note"]), None)


def request_item(conn: sqlite3.Connection, row: sqlite3.Row, reference: str, lang: str) -> dict:
    service = conn.execute(
        "SELECT body FROM open311_services WHERE service_code = ?", (row["service_code"],)
    ).fetchone()
    name = json.loads(service["body"])["service_name"] if service else None
    notes = json.loads(row["status_notes"]) if row["status_notes"] else None
    # Before status_changes existed: its creation, and where it is now if that differs.
    fallback = [{"status": "open", "at": row["requested_datetime"], "note": None}]
    if row["status"] != "open":
        fallback.append({"status": row["status"], "at": row["updated_datetime"], "note": notes})
    history = _history(conn, SERVICE_REQUEST, row["service_request_id"], lang, fallback)
    return {
        "reference": reference,
        "kind": SERVICE_REQUEST,
        "tracking_number": row["service_request_id"],
        "title": localized(name or TITLES["request_unknown_service"], lang),
        "status": row["status"],
        "created_at": row["requested_datetime"],
        "updated_at": row["updated_datetime"],
        "expected_at": row["expected_datetime"],
        "history": history,
        "latest_note": _latest_note(history, localized(notes, lang)),
    }


def payment_item(conn: sqlite3.Connection, row: sqlite3.Row, reference: str, lang: str) -> dict:
    bill = conn.execute("SELECT number FROM bills WHERE id = ?", (row["bill_id"],)).fetchone()
    if bill is not None:
        title = localized(TITLES[PAYMENT], lang).format(number=bill["number"])
    else:
        title = localized(TITLES["payment_no_bill"], lang)
    # Before payments wrote status_changes: its creation in its current status.
    fallback = [{"status": row["status"], "at": row["created_at"], "note": None}]
    history = _history(conn, PAYMENT, row["payment_id"], lang, fallback)
    return {
        "reference": reference,
        "kind": PAYMENT,
        "tracking_number": row["payment_id"],
        "title": title,
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": history[-1]["at"],
        "amount_cents": row["amount_cents"],
        "currency": row["currency"],
        "history": history,
        "latest_note": _latest_note(history),
    }


def account_item(conn: sqlite3.Connection, row: sqlite3.Row, reference: str, lang: str) -> dict:
    fallback = [{"status": row["status"], "at": row["created_at"], "note": None}]
    history = _history(conn, ACCOUNT, row["account"], lang, fallback)
    return {
        "reference": reference,
        "kind": ACCOUNT,
        "tracking_number": row["account"],
        "title": localized(TITLES[ACCOUNT], lang),
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": history[-1]["at"],
        "history": history,
        "latest_note": _latest_note(history),
    }


def _one(conn: sqlite3.Connection, sql: str, *params: Any) -> sqlite3.Row | None:
    return conn.execute(sql, params).fetchone()


def _service_request(conn: sqlite3.Connection, id_or_token: str) -> sqlite3.Row | None:
    """By its id (in any case) or by the token a batch service answered with."""
    return _one(
        conn,
        "SELECT * FROM service_requests WHERE service_request_id = ? OR service_request_id ="
        " (SELECT service_request_id FROM request_tokens WHERE token = ?)",
        id_or_token.upper(),
        id_or_token,
    )


def _queued_by_kiosk(
    conn: sqlite3.Connection, reference: str, device_id: str, key: str, lang: str
) -> dict[str, Any] | None:
    """What one kiosk queued under ``key``, once it has arrived."""
    seen = _one(
        conn,
        "SELECT response FROM kiosk_requests WHERE device_id = ? AND kiosk_request_id = ?",
        device_id,
        key,
    )
    if seen is not None:
        answer = json.loads(seen["response"])[0]
        row = _service_request(conn, answer.get("service_request_id") or answer.get("token") or "")
        return request_item(conn, row, reference, lang) if row else None
    row = _one(
        conn,
        "SELECT * FROM ecitizen_accounts WHERE device_id = ? AND idempotency_key = ?",
        device_id,
        key,
    )
    return account_item(conn, row, reference, lang) if row else None


def track(
    conn: sqlite3.Connection,
    reference: str,
    lang: str,
    *,
    device_id: str | None = None,
    kiosk_key: str | None = None,
) -> dict[str, Any] | None:
    """The tracked record behind ``reference``, or None."""
    wanted = reference.strip()
    row = _service_request(conn, wanted)
    if row is not None:
        return request_item(conn, row, wanted, lang)
    row = _one(
        conn,
        "SELECT * FROM payments WHERE upper(kiosk_reference) = ? OR payment_id = ?"
        " ORDER BY created_at LIMIT 1",
        wanted.upper(),
        wanted,
    )
    if row is not None:
        return payment_item(conn, row, wanted, lang)
    if device_id and kiosk_key:
        return _queued_by_kiosk(conn, wanted, device_id, kiosk_key, lang)
    delivered = _one(
        conn,
        "SELECT device_id, idempotency_key FROM kiosk_references WHERE reference = ? LIMIT 1",
        wanted.upper(),
    )
    if delivered is not None:
        return _queued_by_kiosk(
            conn, wanted, delivered["device_id"], delivered["idempotency_key"], lang
        )
    return None


def mine(conn: sqlite3.Connection, profile: str, id_hash: str, lang: str) -> list[dict[str, Any]]:
    """The requests, payments and account of the resident with this card, newest first."""
    id_hash = id_hash.lower()
    account = linked_account(conn, profile, id_hash)
    items = [
        request_item(conn, row, row["service_request_id"], lang)
        for row in conn.execute(
            "SELECT * FROM service_requests WHERE account_id = ?"
            " ORDER BY requested_datetime DESC LIMIT ?",
            (account, MAX_MINE),
        )
    ]
    # Through the allocations: a basket is the resident's if any bill in it is, and a
    # permit fee (no bill at all) if its application was made with this card.
    items += [
        payment_item(conn, row, row["kiosk_reference"], lang)
        for row in conn.execute(
            "SELECT DISTINCT payments.* FROM payments"
            " JOIN payment_allocations AS line ON line.payment_id = payments.payment_id"
            " LEFT JOIN bills ON line.kind = 'bill' AND bills.id = line.target_id"
            " LEFT JOIN permit_applications AS application ON line.kind = 'permit_fee'"
            " AND application.application_number = line.target_id"
            " WHERE bills.account = ?"
            " OR (application.profile = ? AND lower(application.id_hash) = ?)"
            " ORDER BY payments.created_at DESC LIMIT ?",
            (account, profile, id_hash, MAX_MINE),
        )
    ]
    items += [
        account_item(conn, row, row["account"], lang)
        for row in conn.execute(
            "SELECT * FROM ecitizen_accounts WHERE profile = ? AND id_hash = ?", (profile, id_hash)
        )
    ]
    items.sort(key=lambda item: item["created_at"], reverse=True)
    return items[:MAX_MINE]


# -- routes -----------------------------------------------------------------------

router = APIRouter(
    prefix="/api/v1", tags=["tracking"], dependencies=[Depends(require_device)],
    responses=AUTH_ERRORS,
)  # fmt: skip


@router.get(
    "/tracking/{reference}",
    response_model=TrackedItem,
    responses={404: documented_error("Nothing has this reference")},
)
def track_reference(
    request: Request,
    reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)],
    device_id: Annotated[str, Depends(require_device)],
    locale: Annotated[str | None, Query(max_length=16)] = None,
    kiosk_key: Annotated[
        str | None,
        Query(
            max_length=255,
            description="The outbox idempotency key of the item this kiosk "
            "queued under a K- reference; only this device's own items are found by it",
        ),
    ] = None,
) -> dict[str, Any]:
    """A service request, payment or account by any reference a receipt shows."""
    with store_of(request).reading() as conn:
        found = track(conn, reference, language(locale), device_id=device_id, kiosk_key=kiosk_key)
    if found is None:
        raise ApiError(404, "tracking_not_found", "Nothing has this reference.")
    return found


@router.post("/tracking/mine", response_model=TrackedList)
def track_mine(request: Request, body: MineRequest) -> dict[str, Any]:
    """What the resident with this card has: POST, so the hash stays out of URLs."""
    _check_profile(body.profile)
    with store_of(request).reading() as conn:
        return {"items": mine(conn, body.profile, body.id_hash, language(body.locale))}

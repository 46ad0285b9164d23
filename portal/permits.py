"""Permit and licence forms, residents' permits, and applications made at a kiosk.

An application arrives through the sync batch (kind ``permit_application``), so it
works offline and a resend is never a second application. Its number is the kiosk's
reference, known before the kiosk was ever online. A fee is paid by a payment line of
kind ``permit_fee`` naming that number: the sync worker delivers a kiosk's items for
one application in order, so the application is here before its fee.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from portal.api import AUTH_ERRORS, _check_profile, documented_error, store_of
from portal.auth import require_device
from portal.errors import ApiError
from portal.models import ID_HASH_PATTERN, Allocation, IdentityLookup
from portal.store import PortalStore, linked_account
from portal.timeutil import to_iso, utc_now

router = APIRouter(
    prefix="/api/v1/permits",
    tags=["permits"],
    dependencies=[Depends(require_device)],
    responses=AUTH_ERRORS,
)

Value = Annotated[str, Field(max_length=2000)] | StrictInt | float | list[str]


class PermitApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form_id: Annotated[str, Field(min_length=1, max_length=64)]
    form_version: Annotated[StrictInt, Field(ge=1)]
    reference: Annotated[str, Field(min_length=1, max_length=64)]
    values: dict[Annotated[str, Field(max_length=64)], Value] = Field(max_length=50)
    documents: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=20)
    renewal_of: Annotated[str, Field(max_length=64)] | None = None
    profile: Annotated[str, Field(max_length=16)] | None = None
    id_hash: Annotated[str, Field(pattern=ID_HASH_PATTERN)] | None = None
    fee_cents: Annotated[StrictInt, Field(ge=0)]
    locale: Annotated[str, Field(max_length=16)] | None = None


# -- storage -------------------------------------------------------------------


def put_form(store: PortalStore, position: int, form: dict[str, Any]) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO permit_forms (form_id, position, body) VALUES (?, ?, ?)",
            (form["form_id"], position, json.dumps(form, ensure_ascii=False)),
        )


def add_permit(store: PortalStore, number, account, form_id, values, issued, expires) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO resident_permits (permit_number, account, form_id, permit_values,"
            " issued, expires) VALUES (?, ?, ?, ?, ?, ?)",
            (number, account, form_id, json.dumps(values, ensure_ascii=False), issued, expires),
        )


def _form(conn: sqlite3.Connection, form_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT body FROM permit_forms WHERE form_id = ?", (form_id,)).fetchone()
    return json.loads(row["body"]) if row else None


def _summary(form: dict[str, Any]) -> dict[str, Any]:
    keys = ("form_id", "version", "kind", "title", "summary", "fee_cents", "renewal_fee_cents")
    return {key: form[key] for key in (*keys, "currency", "renewable")}


# -- reading -------------------------------------------------------------------


@router.get("/forms")
def list_forms(request: Request) -> dict[str, Any]:
    rows = store_of(request).query("SELECT body FROM permit_forms ORDER BY position")
    return {"forms": [_summary(json.loads(row["body"])) for row in rows]}


@router.get("/forms/{form_id}", responses={404: documented_error("No such form")})
def get_form(request: Request, form_id: str) -> dict[str, Any]:
    with store_of(request).reading() as conn:
        form = _form(conn, form_id)
    if form is None:
        raise ApiError(404, "form_not_found", "No permit or licence form has this id.")
    return form


@router.post("/mine")
def permits_of_resident(request: Request, query: IdentityLookup) -> dict[str, Any]:
    """POST, not GET: the identity hash stays out of URLs and access logs."""
    _check_profile(query.profile)
    with store_of(request).reading() as conn:
        rows = conn.execute(
            "SELECT * FROM resident_permits WHERE account = ? ORDER BY expires",
            (linked_account(conn, query.profile, query.id_hash),),
        ).fetchall()
    return {
        "permits": [
            {
                "permit_number": row["permit_number"],
                "form_id": row["form_id"],
                "issued": row["issued"],
                "expires": row["expires"],
                "values": json.loads(row["permit_values"]),
            }
            for row in rows
        ]
    }


# -- checking what a resident entered -------------------------------------------


def _field_error(field: dict[str, Any], value: Any) -> str | None:
    datatype = field["datatype"]
    keys = {choice["key"] for choice in field.get("values", [])}
    if datatype == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return "must be a number"
        if "minimum" in field and value < field["minimum"]:
            return f"must be at least {field['minimum']}"
        if "maximum" in field and value > field["maximum"]:
            return f"must be at most {field['maximum']}"
        return None
    if datatype == "multivaluelist":
        if not isinstance(value, list) or not set(value) <= keys:
            return "must be a list of: " + ", ".join(sorted(keys))
        return None
    if not isinstance(value, str):
        return "must be text"
    if datatype == "singlevaluelist" and value not in keys:
        return "must be one of: " + ", ".join(sorted(keys))
    if datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "must be an ISO 8601 date and time"
    if len(value) > field.get("max_length", 2000):
        return f"must be at most {field.get('max_length', 2000)} characters"
    if field.get("pattern") and not re.fullmatch(field["pattern"], value):
        return "is not in the expected format"
    return None


def checked_values(form: dict[str, Any], application: PermitApplication) -> dict[str, Any]:
    """The values the form knows, checked; an ApiError naming every bad field."""
    problems: dict[str, str] = {}
    kept: dict[str, Any] = {}
    for field in form["fields"]:
        code = field["code"]
        value = application.values.get(code)
        if value in (None, "", []):
            if field.get("required"):
                problems[f"values.{code}"] = "is required"
            continue
        problem = _field_error(field, value)
        if problem:
            problems[f"values.{code}"] = problem
        kept[code] = value
    missing = [
        document["code"]
        for document in form["documents"]
        if document["required"] and document["code"] not in application.documents
    ]
    if missing:
        problems["documents"] = "must confirm " + ", ".join(missing)
    if problems:
        raise ApiError(422, "validation_failed", "Some answers are not valid.", fields=problems)
    return kept


def _fee(conn: sqlite3.Connection, form: dict[str, Any], application: PermitApplication) -> int:
    renewal = application.renewal_of is not None
    if renewal:
        if not form["renewable"]:
            raise ApiError(422, "not_renewable", "This permit cannot be renewed.")
        # Only the holder renews: the permit must belong to the card's account.
        holder = None
        if application.profile and application.id_hash:
            holder = linked_account(conn, application.profile, application.id_hash)
        held = conn.execute(
            "SELECT form_id FROM resident_permits WHERE permit_number = ? AND account = ?",
            (application.renewal_of, holder),
        ).fetchone()
        if held is None or held["form_id"] != form["form_id"]:
            raise ApiError(
                404,
                "permit_not_found",
                "There is no such permit to renew for this resident.",
                fields={"renewal_of": "not a permit of this form held by this card's account"},
            )
    fee = form["renewal_fee_cents"] if renewal else form["fee_cents"]
    if application.fee_cents != fee:
        raise ApiError(
            409,
            "fee_changed",
            "The fee for this form has changed since the kiosk showed it.",
            fields={"fee_cents": f"is now {fee}"},
        )
    return fee


def record_application(
    conn: sqlite3.Connection, device_id: str, key: str, application: PermitApplication
) -> dict[str, Any]:
    form = _form(conn, application.form_id)
    if form is None:
        raise ApiError(404, "form_not_found", "No permit or licence form has this id.")
    if application.form_version != form["version"]:
        raise ApiError(
            409,
            "form_changed",
            "The form has changed since the kiosk showed it.",
            fields={"form_version": f"is now {form['version']}"},
        )
    if application.profile is not None:
        _check_profile(application.profile)
    fee = _fee(conn, form, application)
    values = checked_values(form, application)
    received = {
        "application_number": application.reference,
        "form_id": form["form_id"],
        "status": "awaiting_fee" if fee else "submitted",
        "fee_cents": fee,
        "received_at": to_iso(utc_now()),
    }
    conn.execute(
        "INSERT INTO permit_applications (application_number, device_id, idempotency_key,"
        " form_id, form_version, renewal_of, profile, id_hash, form_values, documents,"
        " fee_cents, currency, status, locale, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            application.reference,
            device_id,
            key,
            form["form_id"],
            form["version"],
            application.renewal_of,
            application.profile,
            application.id_hash.lower() if application.id_hash else None,
            json.dumps(values, ensure_ascii=False),
            json.dumps(sorted(application.documents)),
            fee,
            form["currency"],
            received["status"],
            application.locale,
            received["received_at"],
        ),
    )
    return received


# -- the fee, as one line of a card payment (portal/payments.py) ------------------


def permit_fee_line(conn: sqlite3.Connection, line: Allocation, currency: str, at: str):
    row = conn.execute(
        "SELECT fee_cents, currency, status FROM permit_applications WHERE application_number = ?",
        (line.id,),
    ).fetchone()
    if row is None:
        raise ApiError(
            404,
            "application_not_found",
            "No application has this number.",
            fields={f"{at}id": "unknown application"},
        )
    if row["status"] != "awaiting_fee":
        raise ApiError(409, "fee_already_paid", f"The fee of application {line.id} is paid.")
    if currency != row["currency"] or line.amount_cents != row["fee_cents"]:
        raise ApiError(
            422,
            "wrong_fee",
            "The amount is not this application's fee.",
            fields={f"{at}amount_cents": f"must be exactly {row['fee_cents']} {row['currency']}"},
        )

    def write() -> int:
        conn.execute(
            "UPDATE permit_applications SET status = 'submitted' WHERE application_number = ?",
            (line.id,),
        )
        return 0

    return write

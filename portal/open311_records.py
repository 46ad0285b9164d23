"""Open311 service requests in the store, and their GeoReport v2 representation.

Service definitions are stored with every text in English and Spanish; GeoReport v2
has no translation field, so a ``locale`` picks one language per response.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from typing import Any

from portal.open311_forms import Submission
from portal.status_history import SERVICE_REQUEST, record_status
from portal.store import PortalStore
from portal.timeutil import to_iso, utc_now

LANGUAGES = ("en", "es")
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


def language(locale: str | None) -> str:
    """'es', 'es-US', 'es_MX' all mean Spanish; anything else falls back to English."""
    prefix = (locale or "en").replace("_", "-").split("-")[0].lower()
    return prefix if prefix in LANGUAGES else "en"


def localized(text: dict[str, str] | str | None, lang: str) -> str | None:
    if text is None or isinstance(text, str):
        return text
    return text.get(lang) or text.get("en")


def service_summary(service: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "service_code": service["service_code"],
        "service_name": localized(service["service_name"], lang),
        "description": localized(service["description"], lang),
        "metadata": bool(service["metadata"]),
        "type": service["type"],
        "keywords": localized(service["keywords"], lang),
        "group": localized(service["group"], lang),
    }


def service_definition(service: dict[str, Any], lang: str) -> dict[str, Any]:
    attributes = []
    for attribute in sorted(service.get("attributes", []), key=lambda item: item["order"]):
        shown = {
            "variable": attribute.get("variable", True),
            "code": attribute["code"],
            "datatype": attribute["datatype"],
            "required": attribute["required"],
            "datatype_description": localized(attribute["datatype_description"], lang) or "",
            "order": attribute["order"],
            "description": localized(attribute["description"], lang),
        }
        if "values" in attribute:
            shown["values"] = [
                {"key": value["key"], "name": localized(value["name"], lang)}
                for value in attribute["values"]
            ]
        attributes.append(shown)
    return {"service_code": service["service_code"], "attributes": attributes}


def create_request(
    store: PortalStore,
    submission: Submission,
    *,
    device_id: str,
    kiosk_request_id: str | None,
    lang: str,
) -> list[dict[str, Any]]:
    """The POST response; a kiosk_request_id seen before from this device returns the
    earlier response and creates nothing, so kiosks can retry after a lost answer."""
    with store.transaction() as conn:
        response, _ = record_request(
            conn, submission, device_id=device_id, kiosk_request_id=kiosk_request_id, lang=lang
        )
    return response


def record_request(
    conn: sqlite3.Connection,
    submission: Submission,
    *,
    device_id: str,
    kiosk_request_id: str | None,
    lang: str,
    account_id: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """create_request on an open transaction; also says whether it created anything."""
    if kiosk_request_id is not None:
        seen = conn.execute(
            "SELECT response FROM kiosk_requests WHERE device_id = ? AND kiosk_request_id = ?",
            (device_id, kiosk_request_id),
        ).fetchone()
        if seen is not None:
            return json.loads(seen["response"]), False
    service = submission.service
    now = utc_now()
    expected_days = service.get("expected_days")
    seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 AS next FROM service_requests")
    request_id = f"LF-{seq.fetchone()['next']:06d}"
    insert_request(
        conn,
        {
            "service_request_id": request_id,
            "service_code": service["service_code"],
            "device_id": device_id,
            "status": "open",
            "requested_datetime": to_iso(now),
            "updated_datetime": to_iso(now),
            "expected_datetime": (
                to_iso(now + timedelta(days=expected_days)) if expected_days else None
            ),
            "attributes": submission.attributes,
            **submission.details,
            # A card the portal linked to an account names it; a form's own is kept.
            "account_id": account_id or submission.details.get("account_id"),
        },
    )
    record_status(conn, SERVICE_REQUEST, request_id, "open", to_iso(now))
    notice = localized(service.get("service_notice"), lang)
    if service["type"] == "batch":
        # The reference portal "processes the batch" at once: the token is
        # already resolvable when the kiosk asks for it.
        token = uuid.uuid4().hex
        conn.execute(
            "INSERT INTO request_tokens (token, service_request_id, created_at) VALUES (?, ?, ?)",
            (token, request_id, to_iso(now)),
        )
        response = [{"token": token, "service_notice": notice, "account_id": None}]
    else:
        response = [
            {"service_request_id": request_id, "service_notice": notice, "account_id": None}
        ]
    if kiosk_request_id is not None:
        conn.execute(
            "INSERT INTO kiosk_requests (device_id, kiosk_request_id, response) VALUES (?, ?, ?)",
            (device_id, kiosk_request_id, json.dumps(response)),
        )
    return response, True


def insert_request(conn: sqlite3.Connection, record: dict[str, Any]) -> None:
    """Insert one service request; ``record`` maps column names to values, with
    status_notes ({"en", "es"}) and attributes given as Python objects."""
    row = dict(record)
    row["status_notes"] = json.dumps(row["status_notes"]) if row.get("status_notes") else None
    row["attributes"] = json.dumps(row.get("attributes") or {})
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO service_requests ({names}) VALUES ({marks})", tuple(row.values()))


def request_view(row: Any, services: dict[str, dict[str, Any]], lang: str) -> dict[str, Any]:
    service = services.get(row["service_code"], {})
    notes = json.loads(row["status_notes"]) if row["status_notes"] else None
    return {
        "service_request_id": row["service_request_id"],
        "status": row["status"],
        "status_notes": localized(notes, lang),
        "service_name": localized(service.get("service_name"), lang),
        "service_code": row["service_code"],
        "description": row["description"],
        "agency_responsible": localized(service.get("agency_responsible"), lang),
        "service_notice": localized(service.get("service_notice"), lang),
        "requested_datetime": row["requested_datetime"],
        "updated_datetime": row["updated_datetime"],
        "expected_datetime": row["expected_datetime"],
        "address": row["address"],
        "address_id": row["address_id"],
        "zipcode": row["zipcode"],
        "lat": row["lat"],
        "long": row["long"],
        "media_url": row["media_url"],
    }


def find_requests(
    store: PortalStore,
    *,
    request_ids: list[str] | None = None,
    service_codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> list[Any]:
    """Newest first. Per GeoReport v2, ids override every other filter and a search
    without dates covers the last 90 days."""
    conditions: list[str] = []
    params: list[Any] = []

    def among(column: str, values: list[str]) -> None:
        conditions.append(f"{column} IN ({', '.join('?' for _ in values)})")
        params.extend(values)

    if request_ids:
        among("service_request_id", request_ids)
    else:
        if service_codes:
            among("service_code", service_codes)
        if statuses:
            among("status", statuses)
        if start is None and end is None:
            start = to_iso(utc_now() - DEFAULT_WINDOW)
        if start is not None:
            conditions.append("requested_datetime >= ?")
            params.append(start)
        if end is not None:
            conditions.append("requested_datetime <= ?")
            params.append(end)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return store.query(
        f"SELECT * FROM service_requests {where}"
        " ORDER BY requested_datetime DESC, seq DESC LIMIT ?",
        (*params, MAX_RESULTS),
    )


def request_for_token(store: PortalStore, token: str) -> Any:
    return store.query_one(
        "SELECT token, service_request_id FROM request_tokens WHERE token = ?", (token,)
    )

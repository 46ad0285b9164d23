"""A resident at a kiosk touched "Call for help": staff should go to that kiosk.

Kiosks queue the call offline and deliver it through the sync batch. It says which
kiosk, when, and where the resident was in the kiosk (screen and service), and nothing
about the resident: extra fields are refused, so nothing personal can slip in.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Screen and service names of the kiosk, such as "pay_bill": never free text.
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")]


class HelpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kiosk_id: Annotated[str, Field(min_length=1, max_length=64)]
    screen: Name
    service_id: Name | None = None
    # So that staff who speak the resident's language can go.
    locale: Annotated[str, Field(max_length=16)] | None = None


def record_help_request(
    conn: sqlite3.Connection,
    device_id: str,
    key: str,
    request: HelpRequest,
    requested_at: str,
    received_at: str,
) -> dict[str, Any]:
    received = {
        "help_request_id": "hr_" + secrets.token_hex(8),
        "kiosk_id": request.kiosk_id,
        "requested_at": requested_at,
        "received_at": received_at,
    }
    conn.execute(
        "INSERT INTO help_requests (id, device_id, idempotency_key, kiosk_id, screen,"
        " service_id, locale, requested_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            received["help_request_id"],
            device_id,
            key,
            request.kiosk_id,
            request.screen,
            request.service_id,
            request.locale,
            requested_at,
            received_at,
        ),
    )
    return received

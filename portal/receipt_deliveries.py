"""Receipts a resident asked to get by email or text message instead of on paper.

The reference portal only records the request; a city's portal hands it to its mail or
SMS service. The address is personal data: it is stored for delivery, never echoed.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from portal.timeutil import to_iso, utc_now

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
PHONE_PATTERN = r"^\+?[0-9]{7,15}$"  # E.164-like: kiosks send digits only


class ReceiptDelivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Annotated[str, Field(min_length=1, max_length=64)]
    channel: Literal["email", "sms"]
    address: Annotated[str, Field(min_length=3, max_length=254)]
    locale: Annotated[str, Field(max_length=16)] | None = None

    @field_validator("address")
    @classmethod
    def _address_fits_channel(cls, address: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")
        pattern = EMAIL_PATTERN if channel == "email" else PHONE_PATTERN
        if not re.match(pattern, address):
            raise ValueError(f"not a valid {channel or 'email or phone'} address")
        return address


def record_receipt_delivery(
    conn: sqlite3.Connection, device_id: str, key: str, delivery: ReceiptDelivery
) -> dict[str, Any]:
    received = {
        "receipt_delivery_id": "rd_" + secrets.token_hex(8),
        "reference": delivery.reference,
        "channel": delivery.channel,
        "received_at": to_iso(utc_now()),
    }
    conn.execute(
        "INSERT INTO receipt_deliveries (id, device_id, idempotency_key, reference, channel,"
        " address, locale, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            received["receipt_delivery_id"],
            device_id,
            key,
            delivery.reference,
            delivery.channel,
            delivery.address,
            delivery.locale,
            received["received_at"],
        ),
    )
    return received

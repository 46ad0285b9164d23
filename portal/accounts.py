"""eCitizen accounts created at a kiosk, for residents without home internet.

The kiosk makes the activation code itself, so that it is printed on the receipt even
while the portal cannot be reached; it arrives here in the sealed ``account_creation``
item. The portal keeps only a scrypt hash of it, salted with the device and the item's
idempotency key: a replay of the same item hashes to the same value, and nobody holding
this database can read a code back. The card is known only by its salted hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kiosk.identity import PROFILES
from portal.errors import ApiError
from portal.models import ID_HASH_PATTERN
from portal.receipt_deliveries import EMAIL_PATTERN, PHONE_PATTERN
from portal.status_history import ACCOUNT, record_status
from portal.store import linked_account
from portal.timeutil import to_iso, utc_now

# What the kiosk prints: no 0/O, 1/I/L or U/V look-alikes; grouped with one hyphen.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_PATTERN = rf"^[{CODE_ALPHABET}]{{5}}-?[{CODE_ALPHABET}]{{5}}$"
ACTIVATION_VALID = timedelta(days=30)
PENDING_ACTIVATION = "pending_activation"
# Costs about 16 MiB and some 50 ms: cheap once, hopeless for 2**48 guesses.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class AccountCreation(BaseModel):
    """The ``account_creation`` sync item, schema version 1."""

    model_config = ConfigDict(extra="forbid")

    profile: str
    id_hash: str = Field(pattern=ID_HASH_PATTERN)
    display_name: Annotated[str, Field(min_length=1, max_length=120)]
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    activation_code: str = Field(pattern=CODE_PATTERN)
    locale: Annotated[str, Field(max_length=16)] | None = None

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, profile: str) -> str:
        if profile not in PROFILES:
            raise ValueError("must be one of " + ", ".join(PROFILES))
        return profile


def normalized_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def activation_code_hash(code: str, device_id: str, idempotency_key: str) -> str:
    salt = f"{device_id}\n{idempotency_key}".encode()
    digest = hashlib.scrypt(normalized_code(code).encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + digest.hex()


def activation_code_matches(conn: sqlite3.Connection, account: str, code: str) -> bool:
    """Whether ``code`` is the one printed for ``account`` (for the activation page)."""
    row = conn.execute(
        "SELECT device_id, idempotency_key, activation_code_hash FROM ecitizen_accounts"
        " WHERE account = ?",
        (account,),
    ).fetchone()
    if row is None:
        return False
    candidate = activation_code_hash(code, row["device_id"], row["idempotency_key"])
    return hmac.compare_digest(candidate, row["activation_code_hash"])


def create_account(
    conn: sqlite3.Connection,
    device_id: str,
    idempotency_key: str,
    request: AccountCreation,
    code_hash: str,
) -> dict[str, Any]:
    """Opens the account on an open transaction and answers with what was stored; an
    ApiError, before any write, when this card already has an account."""
    id_hash = request.id_hash.lower()
    if linked_account(conn, request.profile, id_hash) is not None:
        raise ApiError(409, "account_exists", "An account is already linked to this card.")
    sequence = conn.execute("SELECT count(*) + 1 FROM ecitizen_accounts").fetchone()[0]
    account = f"EC-{sequence:06d}"
    now = utc_now()
    created = {
        "account": account,
        "display_name": request.display_name,
        "status": PENDING_ACTIVATION,
        "phone": request.phone,
        "email": request.email,
        "activation_code_hash": code_hash,
        "activation_expires_at": to_iso(now + ACTIVATION_VALID),
        "created_at": to_iso(now),
    }
    conn.execute(
        "INSERT INTO accounts (number, holder_name) VALUES (?, ?)", (account, request.display_name)
    )
    conn.execute(
        "INSERT INTO identity_links (profile, id_hash, account) VALUES (?, ?, ?)",
        (request.profile, id_hash, account),
    )
    conn.execute(
        "INSERT INTO ecitizen_accounts (account, device_id, idempotency_key, profile, id_hash,"
        " phone, email, activation_code_hash, activation_expires_at, locale, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            account,
            device_id,
            idempotency_key,
            request.profile,
            id_hash,
            request.phone,
            request.email,
            code_hash,
            created["activation_expires_at"],
            request.locale,
            PENDING_ACTIVATION,
            created["created_at"],
        ),
    )
    record_status(conn, ACCOUNT, account, PENDING_ACTIVATION, created["created_at"])
    return created

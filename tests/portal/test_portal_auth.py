"""Device authentication on /api/v1."""

from __future__ import annotations

import hashlib

import pytest
import requests
from portal_testkit import TIMEOUT

PROTECTED = [
    "/api/v1/catalogue",
    "/api/v1/bills?number=W-1001",
    "/api/v1/addresses?q=elm",
    "/api/v1/payments/pay_unknown",
]


def test_health_needs_no_token(portal):
    response = requests.get(f"{portal.url}/api/v1/health", timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "city": "Lindenfield"}


@pytest.mark.parametrize("path", PROTECTED)
def test_missing_token_is_401_in_our_error_shape(portal, path):
    response = requests.get(portal.url + path, timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.json()["error"]["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "token-without-scheme"],
)
def test_wrong_token_is_401(portal, header):
    response = requests.get(
        f"{portal.url}/api/v1/catalogue", headers={"Authorization": header}, timeout=TIMEOUT
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_payment_without_token_is_401_and_posts_nothing(portal, new_bill):
    bill = new_bill(amount_due_cents=500)
    response = requests.post(
        f"{portal.url}/api/v1/payments",
        json={
            "bill_id": bill["id"],
            "amount_cents": 500,
            "currency": "USD",
            "kiosk_reference": "x",
        },
        headers={"Idempotency-Key": "no-auth"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert portal.store.bill(bill["id"])["amount_due_cents"] == 500


def test_valid_token_is_accepted(api):
    assert api.get("/api/v1/catalogue").status_code == 200


def test_tokens_are_stored_only_as_sha256(portal):
    rows = portal.store.query("SELECT device_id, token_sha256 FROM devices")
    stored = {row["device_id"]: row["token_sha256"] for row in rows}

    assert stored["demo-kiosk"] == hashlib.sha256(portal.token.encode()).hexdigest()
    assert all(portal.token not in tuple(row) for row in rows)

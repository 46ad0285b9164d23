"""POST /api/v1/payments: validation and Stripe-style idempotency."""

from __future__ import annotations

from datetime import datetime

import pytest
from portal_testkit import new_key, payment_body

PAYMENT_KEYS = {
    "payment_id",
    "bill_id",
    "amount_cents",
    "remaining_cents",
    "allocations",
    "status",
    "created_at",
}


def error_code(response):
    return response.json()["error"]["code"]


def test_payment_posts_and_lowers_the_balance(api, new_bill):
    bill = new_bill(amount_due_cents=4_000)

    response = api.pay(payment_body(bill, 1_500), new_key())

    assert response.status_code == 201
    payment = response.json()
    assert set(payment) == PAYMENT_KEYS
    assert payment["bill_id"] == bill["id"]
    assert payment["amount_cents"] == 1_500
    assert payment["remaining_cents"] == 2_500
    assert payment["status"] == "posted"
    assert payment["allocations"] == [
        {"kind": "bill", "id": bill["id"], "amount_cents": 1_500, "remaining_cents": 2_500}
    ]
    assert datetime.fromisoformat(payment["created_at"]).utcoffset() is not None
    assert "Idempotent-Replayed" not in response.headers
    assert api.bill(bill)["amount_due_cents"] == 2_500
    assert api.bill(bill)["status"] == "open"


def test_paying_the_whole_balance_marks_the_bill_paid(api, new_bill):
    bill = new_bill(amount_due_cents=900, allows_partial=False)

    response = api.pay(payment_body(bill, 900), new_key())

    assert response.status_code == 201
    assert response.json()["remaining_cents"] == 0
    assert api.bill(bill)["status"] == "paid"
    again = api.pay(payment_body(bill, 900), new_key())
    assert again.status_code == 409
    assert error_code(again) == "bill_already_paid"


def test_payment_can_be_read_back(api, new_bill):
    bill = new_bill()
    terminal = {"receipt_number": "R-77", "masked_pan": "************4242", "card_type": "VISA"}
    posted = api.pay(payment_body(bill, 250, terminal=terminal), new_key()).json()

    response = api.get(f"/api/v1/payments/{posted['payment_id']}")

    assert response.status_code == 200
    payment = response.json()
    assert {key: payment[key] for key in PAYMENT_KEYS} == posted
    assert payment["terminal"]["masked_pan"] == "************4242"
    assert payment["currency"] == "USD"


def test_unknown_payment_is_404(api):
    response = api.get("/api/v1/payments/pay_does_not_exist")

    assert response.status_code == 404
    assert error_code(response) == "payment_not_found"


def test_replay_returns_the_same_status_and_body_and_charges_once(api, new_bill, portal):
    bill = new_bill(amount_due_cents=5_000)
    body, key = payment_body(bill, 1_000), new_key()

    first = api.pay(body, key)
    second = api.pay(body, key)
    third = api.pay(dict(reversed(list(body.items()))), key)

    assert first.status_code == second.status_code == third.status_code == 201
    assert second.content == first.content == third.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert third.headers["Idempotent-Replayed"] == "true"
    assert api.bill(bill)["amount_due_cents"] == 4_000
    assert portal.store.payment_count(bill["id"]) == 1


def test_same_key_with_another_body_is_422_and_stores_nothing(api, new_bill, portal):
    bill = new_bill(amount_due_cents=5_000)
    body, key = payment_body(bill, 1_000), new_key()
    first = api.pay(body, key)

    other_amount = api.pay(body | {"amount_cents": 2_000}, key)
    other_reference = api.pay(body | {"kiosk_reference": "another"}, key)

    for reused in (other_amount, other_reference):
        assert reused.status_code == 422
        assert error_code(reused) == "idempotency_key_reused"
    assert api.bill(bill)["amount_due_cents"] == 4_000
    assert portal.store.payment_count(bill["id"]) == 1
    assert api.pay(body, key).content == first.content


def test_keys_are_scoped_per_device(api, new_bill, portal):
    other_token = portal.store.issue_token("test-other-kiosk")
    bill = new_bill(amount_due_cents=5_000)
    key = new_key()

    mine = api.pay(payment_body(bill, 1_000), key)
    theirs = api.session.post(
        f"{portal.url}/api/v1/payments",
        json=payment_body(bill, 2_000),
        headers={"Authorization": f"Bearer {other_token}", "Idempotency-Key": key},
        timeout=10,
    )

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert api.bill(bill)["amount_due_cents"] == 2_000


def test_rejected_request_stores_nothing_so_the_key_can_be_reused(api, new_bill, portal):
    bill = new_bill(amount_due_cents=3_000)
    key = new_key()

    too_much = api.pay(payment_body(bill, 3_001), key)
    fixed = api.pay(payment_body(bill, 3_000), key)

    assert too_much.status_code == 422
    assert error_code(too_much) == "amount_exceeds_balance"
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers
    assert api.bill(bill)["status"] == "paid"
    assert portal.store.payment_count(bill["id"]) == 1


def test_invalid_body_stores_nothing_so_the_key_can_be_reused(api, new_bill):
    bill = new_bill(amount_due_cents=3_000)
    key = new_key()

    invalid = api.pay({"bill_id": bill["id"], "amount_cents": "lots"}, key)
    fixed = api.pay(payment_body(bill, 100), key)

    assert invalid.status_code == 422
    assert error_code(invalid) == "validation_failed"
    assert {"amount_cents", "currency", "kiosk_reference"} <= set(invalid.json()["error"]["fields"])
    assert fixed.status_code == 201


def test_missing_idempotency_key_is_400(api, new_bill):
    bill = new_bill(amount_due_cents=3_000)

    for key in (None, "", "k" * 256):
        response = api.pay(payment_body(bill, 100), key)
        assert response.status_code == 400, key
        assert error_code(response) == "idempotency_key_missing"
    assert api.bill(bill)["amount_due_cents"] == 3_000
    assert api.pay(payment_body(bill, 100), "k" * 255).status_code == 201


def test_unknown_bill_is_404(api):
    response = api.pay(
        {"bill_id": "no-such-bill", "amount_cents": 100, "currency": "USD", "kiosk_reference": "k"},
        new_key(),
    )

    assert response.status_code == 404
    assert error_code(response) == "bill_not_found"


def test_amount_above_balance_is_422(api, new_bill):
    bill = new_bill(amount_due_cents=1_000)

    response = api.pay(payment_body(bill, 1_001), new_key())

    assert response.status_code == 422
    assert error_code(response) == "amount_exceeds_balance"
    assert "amount_cents" in response.json()["error"]["fields"]
    assert api.bill(bill)["amount_due_cents"] == 1_000


def test_partial_payment_of_a_full_payment_bill_is_422(api, new_bill):
    bill = new_bill(amount_due_cents=3_500, allows_partial=False)

    response = api.pay(payment_body(bill, 1_000), new_key())

    assert response.status_code == 422
    assert error_code(response) == "partial_not_allowed"
    assert api.bill(bill)["amount_due_cents"] == 3_500


def test_currency_must_match_the_bill(api, new_bill):
    bill = new_bill(amount_due_cents=3_500)

    response = api.pay(payment_body(bill, 100) | {"currency": "EUR"}, new_key())

    assert response.status_code == 422
    assert error_code(response) == "currency_mismatch"


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "100"])
def test_amount_must_be_a_positive_integer(api, new_bill, amount):
    bill = new_bill()

    response = api.pay(payment_body(bill, amount), new_key())

    assert response.status_code == 422
    assert "amount_cents" in response.json()["error"]["fields"]


@pytest.mark.parametrize("pan", ["4111111111111111", "411111******1111", "4111 1111 1111 1111"])
def test_unmasked_card_number_is_rejected_and_never_stored(api, new_bill, portal, pan):
    bill = new_bill()

    response = api.pay(payment_body(bill, 100, terminal={"masked_pan": pan}), new_key())

    assert response.status_code == 422
    assert error_code(response) == "pan_not_masked"
    assert portal.store.payment_count(bill["id"]) == 0
    stored = portal.store.query(
        "SELECT terminal FROM payments WHERE terminal LIKE ?", (f"%{pan}%",)
    )
    assert stored == []


def test_masked_card_number_is_accepted(api, new_bill):
    bill = new_bill()

    response = api.pay(
        payment_body(bill, 100, terminal={"masked_pan": "XXXX XXXX XXXX 1234"}), new_key()
    )

    assert response.status_code == 201


def test_key_still_in_flight_is_409(api, new_bill, portal):
    bill = new_bill()
    body, key = payment_body(bill, 100), new_key()
    # Hold the key as a request being processed would, without relying on timing.
    in_flight = portal.app.state.in_flight_keys
    assert in_flight.claim("demo-kiosk", key)
    try:
        busy = api.pay(body, key)
    finally:
        in_flight.release("demo-kiosk", key)

    assert busy.status_code == 409
    assert error_code(busy) == "idempotency_key_in_use"
    assert portal.store.payment_count(bill["id"]) == 0
    assert api.pay(body, key).status_code == 201

"""A permit's fee paid by card: one payment line of kind ``permit_fee`` naming the
application's number, posted like any other line (the payment API and the sync batch),
which completes the application; the wrong amount, an unknown number or a fee paid
already are refused, and nothing is written."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from portal_testkit import count, new_key, results, sync_item


def application(**changes: Any) -> dict[str, Any]:
    reference = f"K-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}"
    return {
        "form_id": "dog_licence",
        "form_version": 1,
        "reference": reference,
        "values": {"dog_name": "Luna", "size": "small", "birth_year": 2022},
        "documents": ["rabies_certificate"],
        "fee_cents": 2500,
        "locale": "en",
    } | changes


def fee(number: str, amount_cents: int = 2500, **extra: Any) -> dict[str, Any]:
    return {
        "allocations": [{"kind": "permit_fee", "id": number, "amount_cents": amount_cents}],
        "amount_cents": amount_cents,
        "currency": "USD",
        "kiosk_reference": f"K-{uuid.uuid4().hex[:8]}",
        **extra,
    }


def applied(api, body: dict[str, Any]) -> str:
    (result,) = results(api.sync(sync_item("permit_application", body)))
    assert result["body"]["status"] == "awaiting_fee", result
    return body["reference"]


def status(portal, number: str) -> str:
    row = portal.store.query_one(
        "SELECT status FROM permit_applications WHERE application_number = ?", (number,)
    )
    return row["status"]


def fee_payments(portal, number: str) -> int:
    return count(
        portal,
        "SELECT count(*) FROM payment_allocations WHERE kind = 'permit_fee' AND target_id = ?",
        number,
    )


def test_a_fee_paid_through_the_payment_api_completes_the_application(portal, api):
    number = applied(api, application())
    body, key = fee(number), new_key()

    posted = api.pay(body, key)
    again = api.pay(body, key)
    other = api.pay(fee(number), key)  # the same key for another sale

    assert posted.status_code == 201, posted.text
    payment = posted.json()
    assert payment["bill_id"] is None
    assert payment["allocations"] == [
        {"kind": "permit_fee", "id": number, "amount_cents": 2500, "remaining_cents": 0}
    ]
    assert status(portal, number) == "submitted"
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == payment
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert fee_payments(portal, number) == 1


def test_a_fee_in_the_sync_batch_follows_its_application_and_a_resend_is_no_second_payment(
    portal, api
):
    body = application()
    payment, key = fee(body["reference"]), new_key()

    created_application, created_fee = results(
        api.sync(sync_item("permit_application", body), sync_item("payment", payment, key=key))
    )
    (replayed,) = results(api.sync(sync_item("payment", payment, key=key)))

    assert created_application["outcome"] == "created", created_application
    assert (created_fee["outcome"], created_fee["status"]) == ("created", 201), created_fee
    assert replayed["outcome"] == "replayed"
    assert status(portal, body["reference"]) == "submitted"
    assert fee_payments(portal, body["reference"]) == 1


@pytest.mark.parametrize("amount", [2000, 2600], ids=["too_little", "too_much"])
def test_a_wrong_amount_is_refused_and_the_application_still_waits(portal, api, amount):
    number = applied(api, application())

    (refused,) = results(api.sync(sync_item("payment", fee(number, amount))))

    assert refused["outcome"] == "rejected", refused
    assert refused["error"]["code"] == "wrong_fee"
    assert "allocations.0.amount_cents" in refused["error"]["fields"]
    assert status(portal, number) == "awaiting_fee"
    assert fee_payments(portal, number) == 0


def test_an_unknown_application_or_a_fee_paid_already_is_refused(portal, api):
    unknown = api.pay(fee("K-NONE-0000"), new_key())
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "application_not_found"
    assert "allocations.0.id" in unknown.json()["error"]["fields"]

    number = applied(api, application())
    assert api.pay(fee(number), new_key()).status_code == 201
    twice = api.pay(fee(number), new_key())
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "fee_already_paid")
    assert fee_payments(portal, number) == 1


def test_a_free_application_has_no_fee_to_pay(portal, api):
    event = application(
        form_id="street_event",
        values={"event_name": "Block party", "starts": "2026-12-20T14:00:00", "guests": 40},
        documents=[],
        fee_cents=0,
    )
    (result,) = results(api.sync(sync_item("permit_application", event)))
    assert result["body"]["status"] == "submitted"

    refused = api.pay(fee(event["reference"], 100), new_key())

    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "fee_already_paid")
    assert fee_payments(portal, event["reference"]) == 0


def test_a_fee_paid_for_a_card_holders_application_is_theirs_under_mine(portal, api):
    id_hash = uuid.uuid4().hex * 2  # a card of this test's own: the portal is shared
    number = applied(api, application(profile="uid", id_hash=id_hash))
    body = fee(number)
    assert api.pay(body, new_key()).status_code == 201

    def mine(hash_: str) -> list[str]:
        response = api.post("/api/v1/tracking/mine", json={"profile": "uid", "id_hash": hash_})
        assert response.status_code == 200, response.text
        return [item["reference"] for item in response.json()["items"]]

    # A fee pays no bill: it is the resident's through the application their card made.
    assert body["kiosk_reference"] in mine(id_hash)
    assert body["kiosk_reference"] not in mine(uuid.uuid4().hex * 2)

"""One card sale that pays several bills: every line posts, or none does; a replay with
the same key answers the same; the single-bill shape keeps working beside it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from portal_testkit import new_key, payment_body, results, sync_item


def basket(*lines: tuple[dict[str, Any], int], **extra: Any) -> dict[str, Any]:
    """A payment body for a basket: (bill, amount) per line."""
    return {
        "allocations": [
            {"kind": "bill", "id": bill["id"], "amount_cents": amount} for bill, amount in lines
        ],
        "amount_cents": sum(amount for _bill, amount in lines),
        "currency": "USD",
        "kiosk_reference": f"K-{uuid.uuid4().hex[:8]}",
        **extra,
    }


def balances(api, *bills) -> list[int]:
    return [api.bill(bill)["amount_due_cents"] for bill in bills]


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_a_basket_pays_each_bill_its_own_amount(api, new_bill, portal):
    water = new_bill(amount_due_cents=4_000, allows_partial=True)
    fine = new_bill(amount_due_cents=900, allows_partial=False)

    response = api.pay(basket((water, 1_500), (fine, 900)), new_key())

    assert response.status_code == 201, response.text
    payment = response.json()
    assert payment["amount_cents"] == 2_400
    assert payment["bill_id"] == water["id"]
    assert payment["remaining_cents"] == 2_500
    assert payment["allocations"] == [
        {"kind": "bill", "id": water["id"], "amount_cents": 1_500, "remaining_cents": 2_500},
        {"kind": "bill", "id": fine["id"], "amount_cents": 900, "remaining_cents": 0},
    ]
    assert balances(api, water, fine) == [2_500, 0]
    assert api.bill(fine)["status"] == "paid"
    assert portal.store.payment_count(water["id"]) == portal.store.payment_count(fine["id"]) == 1
    read_back = api.get(f"/api/v1/payments/{payment['payment_id']}").json()
    assert read_back["allocations"] == payment["allocations"]


@pytest.mark.parametrize(
    ("second_balance", "partial", "second_amount", "status", "code"),
    [
        (1_000, True, 1_001, 422, "amount_exceeds_balance"),
        (3_500, False, 1_000, 422, "partial_not_allowed"),
        (0, False, 100, 409, "bill_already_paid"),
    ],
    ids=["over_balance", "partial_of_a_full_payment_bill", "already_paid"],
)
def test_one_line_that_cannot_post_refuses_the_whole_sale(
    api, new_bill, portal, second_balance, partial, second_amount, status, code
):
    first = new_bill(amount_due_cents=2_000)
    second = new_bill(amount_due_cents=second_balance, allows_partial=partial)
    key = new_key()

    refused = api.pay(basket((first, 2_000), (second, second_amount)), key)

    assert error(refused) == (status, code)
    if status == 422:
        assert "allocations.1.amount_cents" in refused.json()["error"]["fields"]
    # Atomic: the first line, checked fine, was not applied either.
    assert balances(api, first) == [2_000]
    assert portal.store.payment_count(first["id"]) == 0
    # Nothing was stored under the key: the corrected sale may use it.
    fixed = api.pay(basket((first, 2_000)), key)
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers


def test_a_basket_replayed_with_its_key_is_charged_once(api, new_bill, portal):
    first = new_bill(amount_due_cents=5_000)
    second = new_bill(amount_due_cents=700, allows_partial=False)
    body, key = basket((first, 1_000), (second, 700)), new_key()

    posted = api.pay(body, key)
    again = api.pay(body, key)
    (synced,) = results(api.sync(sync_item("payment", body, key=key)))
    other = api.pay(basket((first, 1_100), (second, 700)), key)

    assert posted.status_code == again.status_code == 201
    assert again.content == posted.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (synced["outcome"], synced["body"]) == ("replayed", posted.json())
    assert error(other) == (422, "idempotency_key_reused")
    assert balances(api, first, second) == [4_000, 0]
    assert portal.store.payment_count(first["id"]) == 1


def test_a_basket_in_a_sync_batch_posts_whole_or_is_rejected_whole(api, new_bill, portal):
    good_first, good_second = new_bill(amount_due_cents=1_000), new_bill(amount_due_cents=800)
    bad_first, paid = new_bill(amount_due_cents=1_000), new_bill(amount_due_cents=0)

    created, rejected = results(
        api.sync(
            sync_item("payment", basket((good_first, 1_000), (good_second, 300))),
            sync_item("payment", basket((bad_first, 1_000), (paid, 100))),
        )
    )

    assert (created["outcome"], created["status"]) == ("created", 201)
    assert [line["remaining_cents"] for line in created["body"]["allocations"]] == [0, 500]
    assert (rejected["outcome"], rejected["status"]) == ("rejected", 409)
    assert rejected["error"]["code"] == "bill_already_paid"
    assert balances(api, good_first, good_second, bad_first) == [0, 500, 1_000]
    assert portal.store.payment_count(bad_first["id"]) == 0


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (lambda body: body | {"amount_cents": body["amount_cents"] + 1}, "amount_mismatch",
         "amount_cents"),
        (lambda body: body | {"allocations": body["allocations"] * 2,
                              "amount_cents": body["amount_cents"] * 2},
         "duplicate_allocation", "allocations.1.id"),
        (lambda body: body | {"allocations": [body["allocations"][0] | {"kind": "parking_permit"}]},
         "unknown_allocation_kind", "allocations.0.kind"),
    ],
    ids=["total_not_the_sum", "same_bill_twice", "unknown_kind"],
)  # fmt: skip
def test_inconsistent_baskets_are_refused_before_anything_is_written(
    api, new_bill, portal, change, code, field
):
    bill = new_bill(amount_due_cents=3_000)

    response = api.pay(change(basket((bill, 1_000))), new_key())

    assert error(response) == (422, code)
    assert field in response.json()["error"]["fields"]
    assert balances(api, bill) == [3_000]


@pytest.mark.parametrize(
    "shape",
    [
        lambda bill: payment_body(bill, 100) | basket((bill, 100)),
        lambda bill: {key: value for key, value in payment_body(bill, 100).items()
                      if key != "bill_id"},
        lambda bill: basket((bill, 100)) | {"allocations": []},
    ],
    ids=["both_shapes", "neither", "no_lines"],
)  # fmt: skip
def test_a_payment_names_its_bill_or_its_allocations(api, new_bill, shape):
    bill = new_bill(amount_due_cents=3_000)

    response = api.pay(shape(bill), new_key())

    assert error(response) == (422, "validation_failed")
    assert balances(api, bill) == [3_000]


def test_a_keypad_number_finds_a_bill_by_its_digits(api):
    found = api.get("/api/v1/bills", params={"number": "1001"}).json()["bills"]
    assert [bill["number"] for bill in found] == ["W-1001"]
    assert api.get("/api/v1/bills", params={"number": "100"}).json()["bills"] == []
    by_account = api.get("/api/v1/bills", params={"number": "100200"}).json()["bills"]
    assert {bill["account"] for bill in by_account} == {"100200"}

"""Payments under concurrent load: one charge per key, never a negative balance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from portal_testkit import TIMEOUT, new_key, payment_body


def post_payment(portal, body, key):
    return requests.post(
        f"{portal.url}/api/v1/payments",
        json=body,
        headers={"Authorization": f"Bearer {portal.token}", "Idempotency-Key": key},
        timeout=TIMEOUT,
    )


def test_concurrent_requests_with_one_key_make_one_payment(portal, api, new_bill):
    bill = new_bill(amount_due_cents=10_000)
    body, key = payment_body(bill, 700), new_key()

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda _: post_payment(portal, body, key), range(12)))

    created = [r for r in responses if r.status_code == 201]
    originals = [r for r in created if "Idempotent-Replayed" not in r.headers]
    others = [r for r in responses if r.status_code != 201]
    assert len(originals) == 1
    assert {r.content for r in created} == {originals[0].content}
    assert all(r.status_code == 409 for r in others)
    assert all(r.json()["error"]["code"] == "idempotency_key_in_use" for r in others)
    assert portal.store.payment_count(bill["id"]) == 1
    assert api.bill(bill)["amount_due_cents"] == 9_300


def test_fifty_threads_with_distinct_keys_never_overdraw_a_bill(portal, api, new_bill):
    bill = new_bill(amount_due_cents=10_000)
    amount = 300  # 33 payments fit; the remaining 100 cents cannot take another.

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(
            pool.map(
                lambda _: post_payment(portal, payment_body(bill, amount), new_key()), range(50)
            )
        )

    created = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(created) == 33
    assert {r.status_code for r in refused} == {422}
    assert {r.json()["error"]["code"] for r in refused} == {"amount_exceeds_balance"}
    remaining = sorted(r.json()["remaining_cents"] for r in created)
    assert remaining == list(range(100, 10_000, amount))
    assert api.bill(bill)["amount_due_cents"] == 100
    assert portal.store.payment_count(bill["id"]) == 33

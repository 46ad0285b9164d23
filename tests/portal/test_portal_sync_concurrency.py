"""The same batch arriving twice at once still applies each item once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from portal_testkit import TIMEOUT, payment_body, results, sync_item

from portal.demo_data import DEMO_DEVICE_ID


def post_batch(portal, items):
    return requests.post(
        f"{portal.url}/api/v1/sync/batch",
        json={"items": items},
        headers={"Authorization": f"Bearer {portal.token}"},
        timeout=TIMEOUT,
    )


def test_same_batch_from_two_threads_pays_each_item_once(portal, api, new_bill):
    bill = new_bill(amount_due_cents=10_000)
    items = [sync_item("payment", payment_body(bill, 100)) for _ in range(20)]
    barrier = threading.Barrier(2)

    def send():
        barrier.wait()
        return results(post_batch(portal, items))

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [future.result() for future in [pool.submit(send), pool.submit(send)]]

    for position, item in enumerate(items):
        pair = [answer[position] for answer in answers]
        assert {result["idempotency_key"] for result in pair} == {item["idempotency_key"]}
        created = [result for result in pair if result["outcome"] == "created"]
        (other,) = [result for result in pair if result["outcome"] != "created"]
        assert len(created) == 1
        if other["outcome"] == "replayed":
            assert other["body"] == created[0]["body"]
        else:
            assert (other["outcome"], other["status"]) == ("retry", 409)
            assert other["error"]["code"] == "idempotency_key_in_use"
    assert portal.store.payment_count(bill["id"]) == len(items)
    assert api.bill(bill)["amount_due_cents"] == 10_000 - 100 * len(items)


def test_an_item_whose_key_is_in_flight_is_left_for_a_retry(portal, api, new_bill):
    bill = new_bill(amount_due_cents=1_000)
    busy, free = (sync_item("payment", payment_body(bill, 100)) for _ in range(2))
    in_flight = portal.app.state.in_flight_keys
    assert in_flight.claim(DEMO_DEVICE_ID, busy["idempotency_key"])
    try:
        during = results(api.sync(busy, free))
    finally:
        in_flight.release(DEMO_DEVICE_ID, busy["idempotency_key"])
    later = results(api.sync(busy, free))

    assert [(r["outcome"], r["status"]) for r in during] == [("retry", 409), ("created", 201)]
    assert during[0]["error"]["code"] == "idempotency_key_in_use"
    assert [r["outcome"] for r in later] == ["created", "replayed"]
    assert portal.store.payment_count(bill["id"]) == 2


def test_batch_releases_its_keys_for_the_single_endpoint(api, new_bill):
    bill = new_bill(amount_due_cents=1_000)
    item = sync_item("payment", payment_body(bill, 100))
    results(api.sync(item))

    single = api.pay(item["payload"], item["idempotency_key"])

    assert single.status_code == 201
    assert single.headers["Idempotent-Replayed"] == "true"

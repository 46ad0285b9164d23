"""POST /api/v1/sync/batch: outcomes, ordering, isolation of failing items."""

from __future__ import annotations

import logging

import pytest
import requests
from portal_testkit import TIMEOUT, count, new_key, payment_body, results, survey, sync_item

from portal.idempotency import MAX_KEY_LENGTH
from portal.models import MAX_BATCH_ITEMS

POTHOLE = {
    "service_code": "pothole",
    "lat": 44.924,
    "long": -69.312,
    "attributes": {"size": "small"},
}


def stored_surveys(portal, key):
    return count(portal, "SELECT count(*) FROM survey_responses WHERE idempotency_key = ?", key)


def stored_records(portal, key):
    return count(portal, "SELECT count(*) FROM idempotency_records WHERE key = ?", key)


def table_sizes(portal):
    tables = ("payments", "service_requests", "survey_responses", "idempotency_records")
    return {table: count(portal, f"SELECT count(*) FROM {table}") for table in tables}


def test_one_item_of_each_kind_is_created(portal, api, new_bill):
    bill = new_bill(amount_due_cents=5_000)
    payment = sync_item("payment", payment_body(bill, 1_200))
    request = sync_item("service_request", POTHOLE | {"description": "Deep one"})
    answers = sync_item("survey_response", survey(locale="es", kiosk_reference="K-1"))

    created = results(api.sync(payment, request, answers))

    assert [r["idempotency_key"] for r in created] == [
        payment["idempotency_key"],
        request["idempotency_key"],
        answers["idempotency_key"],
    ]
    assert [(r["outcome"], r["status"], r["error"]) for r in created] == [
        ("created", 201, None)
    ] * 3
    paid = created[0]["body"]
    assert paid["bill_id"] == bill["id"] and paid["remaining_cents"] == 3_800
    assert api.get(f"/api/v1/payments/{paid['payment_id']}").json()["amount_cents"] == 1_200
    assert api.bill(bill)["amount_due_cents"] == 3_800
    request_id = created[1]["body"]["service_request_id"]
    (shown,) = requests.get(
        f"{portal.url}/open311/v2/requests/{request_id}.json", timeout=TIMEOUT
    ).json()
    assert shown["description"] == "Deep one" and shown["service_code"] == "pothole"
    received = created[2]["body"]
    assert set(received) == {"survey_response_id", "survey_id", "received_at"}
    assert received["survey_response_id"].startswith("sr_")
    row = portal.store.query_one(
        "SELECT * FROM survey_responses WHERE id = ?", (received["survey_response_id"],)
    )
    assert row["survey_id"] == "visit-2026" and row["locale"] == "es"
    assert row["answers"] == '{"rating": 4, "comment": "Quick"}'
    assert row["created_at"] == "2026-03-01T14:30:00+00:00"


def test_resending_a_batch_replays_every_item_and_stores_nothing_new(portal, api, new_bill):
    bill = new_bill(amount_due_cents=5_000)
    batch = [
        sync_item("payment", payment_body(bill, 500)),
        sync_item("service_request", POTHOLE),
        sync_item("survey_response", survey()),
    ]
    first = results(api.sync(*batch))
    sizes = table_sizes(portal)

    again = results(api.sync(*batch))

    assert [r["outcome"] for r in again] == ["replayed"] * 3
    assert [(r["status"], r["body"]) for r in again] == [(r["status"], r["body"]) for r in first]
    assert table_sizes(portal) == sizes
    assert api.bill(bill)["amount_due_cents"] == 4_500


def test_a_key_reused_for_another_item_is_a_conflict(portal, api, new_bill):
    bill = new_bill(amount_due_cents=5_000)
    key = new_key()
    results(api.sync(sync_item("payment", payment_body(bill, 500), key=key)))

    other_amount = sync_item("payment", payment_body(bill, 600), key=key)
    other_kind = sync_item("survey_response", survey(), key=key)
    conflicts = results(api.sync(other_amount, other_kind))

    for result in conflicts:
        assert (result["outcome"], result["status"], result["body"]) == ("conflict", 422, None)
        assert result["error"]["code"] == "idempotency_key_reused"
    assert api.bill(bill)["amount_due_cents"] == 4_500
    assert stored_surveys(portal, key) == 0


def test_a_rejected_item_stores_nothing_and_can_be_corrected_under_its_key(portal, api, new_bill):
    bill = new_bill(amount_due_cents=1_000)
    pay_key, survey_key = new_key(), new_key()

    rejected = results(
        api.sync(
            sync_item("payment", payment_body(bill, 1_500), key=pay_key),
            sync_item("survey_response", survey(answers={}), key=survey_key),
        )
    )

    assert [(r["outcome"], r["status"]) for r in rejected] == [("rejected", 422)] * 2
    assert rejected[0]["error"]["code"] == "amount_exceeds_balance"
    assert rejected[0]["error"]["fields"] == {"amount_cents": "must be at most 1000"}
    assert rejected[1]["error"]["code"] == "validation_failed"
    assert "answers" in rejected[1]["error"]["fields"]
    assert stored_records(portal, pay_key) == stored_records(portal, survey_key) == 0

    corrected = results(
        api.sync(
            sync_item("payment", payment_body(bill, 1_000), key=pay_key),
            sync_item("survey_response", survey(), key=survey_key),
        )
    )

    assert [r["outcome"] for r in corrected] == ["created", "created"]
    assert api.bill(bill)["status"] == "paid"
    assert stored_surveys(portal, survey_key) == 1


@pytest.mark.parametrize(
    ("status", "code", "payment"),
    [
        (404, "bill_not_found", {"bill_id": "no-such-bill"}),
        (422, "currency_mismatch", {"currency": "EUR"}),
        (422, "pan_not_masked", {"terminal": {"masked_pan": "4111111111111111"}}),
        (422, "validation_failed", {"amount_cents": "12"}),
        (422, "validation_failed", {"surprise": True}),
    ],
)
def test_payment_rejections_carry_the_single_endpoints_status_and_body(
    portal, api, new_bill, status, code, payment
):
    body = payment_body(new_bill(), 100) | payment
    single = api.pay(body, new_key())

    (result,) = results(api.sync(sync_item("payment", body)))

    assert single.status_code == status
    assert (result["outcome"], result["status"]) == ("rejected", status)
    assert result["error"]["code"] == code
    assert {"error": {k: v for k, v in result["error"].items() if v is not None}} == single.json()


def test_paying_a_paid_bill_is_rejected_with_409(api, new_bill):
    bill = new_bill(amount_due_cents=300)
    batch = [sync_item("payment", payment_body(bill, 300)) for _ in range(2)]

    outcomes = results(api.sync(*batch))

    assert [(r["outcome"], r["status"]) for r in outcomes] == [("created", 201), ("rejected", 409)]
    assert outcomes[1]["error"]["code"] == "bill_already_paid"


def test_unknown_kind_and_unsupported_schema_version_are_rejected(portal, api):
    unknown = sync_item("parking_permit", {"plate": "LF 123"})
    too_new = sync_item("survey_response", survey(), schema_version=2)

    rejected = results(api.sync(unknown, too_new))

    assert [(r["outcome"], r["status"]) for r in rejected] == [("rejected", 422)] * 2
    assert rejected[0]["error"]["code"] == "unknown_kind"
    assert rejected[1]["error"]["code"] == "unsupported_schema_version"
    assert stored_records(portal, unknown["idempotency_key"]) == 0
    assert stored_surveys(portal, too_new["idempotency_key"]) == 0


def test_items_apply_in_order_so_a_later_overpayment_is_rejected(portal, api, new_bill):
    bill = new_bill(amount_due_cents=1_000)
    batch = [
        sync_item("payment", payment_body(bill, 300)),
        sync_item("payment", payment_body(bill, 500)),
        sync_item("payment", payment_body(bill, 300)),
    ]

    outcomes = results(api.sync(*batch))

    assert [r["outcome"] for r in outcomes] == ["created", "created", "rejected"]
    assert [r["body"]["remaining_cents"] for r in outcomes[:2]] == [700, 200]
    assert outcomes[2]["error"]["fields"] == {"amount_cents": "must be at most 200"}
    assert api.bill(bill)["amount_due_cents"] == 200
    assert portal.store.payment_count(bill["id"]) == 2


def test_a_rejected_item_in_the_middle_leaves_its_neighbours_alone(portal, api):
    before, broken, after = (
        sync_item("survey_response", survey()),
        sync_item("payment", payment_body({"id": "no-such-bill"}, 100)),
        sync_item("survey_response", survey()),
    )

    outcomes = results(api.sync(before, broken, after))

    assert [r["outcome"] for r in outcomes] == ["created", "rejected", "created"]
    assert outcomes[1]["status"] == 404
    assert stored_surveys(portal, before["idempotency_key"]) == 1
    assert stored_surveys(portal, after["idempotency_key"]) == 1


@pytest.fixture
def failing_key(portal):
    """A key whose idempotency record the database refuses, after the item's own row
    was written: only the item's savepoint can undo that row."""
    key = new_key()
    trigger = f"refuse_{key}"
    with portal.store.transaction() as conn:
        conn.execute(
            f"CREATE TRIGGER {trigger} BEFORE INSERT ON idempotency_records"
            f" WHEN NEW.key = '{key}' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    yield key
    with portal.store.transaction() as conn:
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def test_an_unexpected_failure_is_rolled_back_and_asks_for_a_retry(
    portal, api, failing_key, caplog
):
    caplog.set_level(logging.ERROR, logger="portal.sync")
    before, failing, after = (
        sync_item("survey_response", survey()),
        sync_item("survey_response", survey(), key=failing_key),
        sync_item("survey_response", survey()),
    )

    outcomes = results(api.sync(before, failing, after))

    assert [r["outcome"] for r in outcomes] == ["created", "retry", "created"]
    assert (outcomes[1]["status"], outcomes[1]["error"]["code"]) == (500, "internal_error")
    assert stored_surveys(portal, failing_key) == 0
    assert stored_surveys(portal, before["idempotency_key"]) == 1
    assert stored_surveys(portal, after["idempotency_key"]) == 1
    assert any(record.name == "portal.sync" for record in caplog.records)


def test_a_key_twice_in_one_batch_is_created_then_replayed_or_conflicts(portal, api):
    key = new_key()
    item = sync_item("survey_response", survey(), key=key)
    changed = sync_item("survey_response", survey(locale="es"), key=key)

    outcomes = results(api.sync(item, item, changed))

    assert [r["outcome"] for r in outcomes] == ["created", "replayed", "conflict"]
    assert outcomes[1]["body"] == outcomes[0]["body"]
    assert stored_surveys(portal, key) == 1


@pytest.mark.parametrize("size", [0, MAX_BATCH_ITEMS + 1])
def test_empty_or_oversized_batch_is_422(portal, api, size):
    items = [sync_item("survey_response", survey()) for _ in range(size)]

    response = api.post("/api/v1/sync/batch", json={"items": items})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert "items" in response.json()["error"]["fields"]
    assert not any(stored_surveys(portal, item["idempotency_key"]) for item in items)


def test_batch_of_the_maximum_size_is_accepted(portal, api):
    items = [sync_item("survey_response", survey()) for _ in range(MAX_BATCH_ITEMS)]

    outcomes = results(api.sync(*items))

    assert [r["idempotency_key"] for r in outcomes] == [i["idempotency_key"] for i in items]
    assert {r["outcome"] for r in outcomes} == {"created"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"idempotency_key": ""}, "items.0.idempotency_key"),
        ({"idempotency_key": "k" * (MAX_KEY_LENGTH + 1)}, "items.0.idempotency_key"),
        ({"created_at": "last tuesday"}, "items.0.created_at"),
        ({"schema_version": "1"}, "items.0.schema_version"),
        ({"payload": ["not", "an", "object"]}, "items.0.payload"),
    ],
)
def test_a_malformed_item_fails_the_whole_request(portal, api, change, field):
    good = sync_item("survey_response", survey())
    bad = sync_item("survey_response", survey()) | change

    response = api.post("/api/v1/sync/batch", json={"items": [bad, good]})

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert stored_surveys(portal, good["idempotency_key"]) == 0


def test_sync_needs_a_device_token(portal):
    response = requests.post(
        f"{portal.url}/api/v1/sync/batch",
        json={"items": [sync_item("survey_response", survey())]},
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_outcomes_are_counted(portal, api):
    stats = portal.app.state.sync_stats
    before = stats.snapshot()
    key = new_key()

    results(
        api.sync(
            sync_item("survey_response", survey(), key=key),
            sync_item("survey_response", survey(), key=key),
            sync_item("survey_response", survey(answers={})),
        )
    )

    after = stats.snapshot()
    changes = {name: after[name] - before[name] for name in after}
    assert changes == {
        "batches": 1,
        "items": 3,
        "created": 1,
        "replayed": 1,
        "rejected": 1,
        "conflict": 0,
        "retry": 0,
    }
    shown = requests.get(f"{portal.url}/_faults", timeout=TIMEOUT).json()["sync"]
    assert set(shown) == set(after) and shown["items"] >= after["items"]

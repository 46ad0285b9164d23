"""Receipts sent by email or text message, as the kiosk's sync batch delivers them."""

from __future__ import annotations

import uuid

import pytest
from portal_testkit import count, new_key, results, sync_item

EMAIL = "ana.quispe@example.org"
PHONE = "+15550104477"


def delivery(**change):
    # Each test gets its own reference: the session's portal is shared.
    payload = {
        "reference": f"K-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}",
        "channel": "email",
        "address": EMAIL,
        "locale": "es",
    }
    payload.update(change)
    return payload


def stored(portal, reference):
    return portal.store.query(
        "SELECT idempotency_key, channel, address, locale FROM receipt_deliveries"
        " WHERE reference = ?",
        (reference,),
    )


def test_a_delivery_resent_with_its_key_is_stored_once(portal, api):
    payload = delivery()
    item = sync_item("receipt_delivery", payload)

    first = api.sync(item)
    # A kiosk that lost the first answer resends the same item.
    second = api.sync(item)

    (created,) = results(first)
    (replayed,) = results(second)
    assert (created["outcome"], created["status"]) == ("created", 201)
    assert replayed["outcome"] == "replayed"
    assert replayed["body"] == created["body"]
    assert created["body"]["reference"] == payload["reference"]
    assert created["body"]["channel"] == "email"
    rows = stored(portal, payload["reference"])
    assert [tuple(row) for row in rows] == [(item["idempotency_key"], "email", EMAIL, "es")]
    for response in (first, second):
        assert EMAIL not in response.text


def test_a_text_message_delivery_is_stored_with_its_channel(portal, api):
    payload = delivery(channel="sms", address=PHONE, locale="en")

    (created,) = results(api.sync(sync_item("receipt_delivery", payload)))

    assert (created["outcome"], created["status"]) == ("created", 201)
    rows = stored(portal, payload["reference"])
    assert [(row["channel"], row["address"]) for row in rows] == [("sms", PHONE)]


def test_the_same_key_with_another_address_is_a_conflict_not_a_second_delivery(portal, api):
    payload = delivery()
    key = new_key()
    results(api.sync(sync_item("receipt_delivery", payload, key=key)))

    (again,) = results(
        api.sync(sync_item("receipt_delivery", payload | {"address": "other@example.org"}, key=key))
    )

    assert again["outcome"] == "conflict"
    assert [row["address"] for row in stored(portal, payload["reference"])] == [EMAIL]


@pytest.mark.parametrize(
    ("change", "field", "address"),
    [
        ({"address": "ana.quispe@example"}, "address", "ana.quispe@example"),
        ({"address": "ana quispe@example.org"}, "address", "ana quispe@example.org"),
        ({"channel": "sms", "address": "call 555-0104"}, "address", "call 555-0104"),
        ({"channel": "sms", "address": "12"}, "address", None),
        ({"channel": "sms", "address": EMAIL}, "address", EMAIL),
        ({"channel": "email", "address": PHONE}, "address", PHONE),
        ({"channel": "fax"}, "channel", EMAIL),
        ({"channel": "post"}, "channel", EMAIL),
        ({"name": "Ana Quispe"}, "name", EMAIL),
        ({"reference": ""}, "reference", EMAIL),
    ],
)
def test_a_bad_delivery_is_rejected_and_stores_nothing(portal, api, change, field, address):
    payload = delivery(**change)
    before = count(portal, "SELECT count(*) FROM receipt_deliveries")

    response = api.sync(sync_item("receipt_delivery", payload))

    (result,) = results(response)
    assert (result["outcome"], result["status"]) == ("rejected", 422)
    assert result["error"]["code"] == "validation_failed"
    # The channel/address check spans two fields, so it may be filed under the item.
    assert field in str(result["error"]["fields"])
    assert count(portal, "SELECT count(*) FROM receipt_deliveries") == before
    # The address is personal data: a rejection names the field, never the value.
    if address is not None:
        assert address not in response.text
    assert "Ana Quispe" not in response.text


def test_a_rejected_delivery_does_not_stop_the_rest_of_the_batch(portal, api):
    good, bad = delivery(), delivery(channel="sms", address="not a phone")

    accepted, refused = results(
        api.sync(sync_item("receipt_delivery", good), sync_item("receipt_delivery", bad))
    )

    assert accepted["outcome"] == "created"
    assert refused["outcome"] == "rejected"
    assert len(stored(portal, good["reference"])) == 1
    assert stored(portal, bad["reference"]) == []

"""A payment's tracked history starts with its own "posted" step, written when it was
posted (by POST /api/v1/payments or in a sync batch), so whatever the city records later
follows it instead of replacing it."""

from __future__ import annotations

import pytest
from portal_testkit import new_key, payment_body, results, sync_item

from portal.status_history import PAYMENT, record_status

LATER = "2099-01-01T00:00:00+00:00"
NOTE = {"en": "Applied to your account.", "es": "Aplicado a su cuenta."}


def post_directly(api, body, key):
    response = api.pay(body, key)
    assert response.status_code == 201, response.text
    return response.json()


def post_in_a_batch(api, body, key):
    (result,) = results(api.sync(sync_item("payment", body, key)))
    assert result["outcome"] in ("created", "replayed"), result
    return result["body"]


@pytest.mark.parametrize("post", [post_directly, post_in_a_batch])
def test_a_payment_keeps_its_posted_step_before_what_the_city_adds(api, portal, new_bill, post):
    body = payment_body(new_bill(5_000), 5_000)
    key = new_key()
    posted = post(api, body, key)
    assert post(api, body, key) == posted  # a resend is a replay: no second step
    with portal.store.transaction() as conn:
        record_status(conn, PAYMENT, posted["payment_id"], "posted", LATER, NOTE)

    found = api.get(f"/api/v1/tracking/{body['kiosk_reference']}", params={"locale": "es"})

    assert found.status_code == 200, found.text
    tracked = found.json()
    assert [(step["status"], step["at"], step["note"]) for step in tracked["history"]] == [
        ("posted", posted["created_at"], None),
        ("posted", LATER, "Aplicado a su cuenta."),
    ]
    assert tracked["updated_at"] == LATER
    assert tracked["latest_note"] == "Aplicado a su cuenta."

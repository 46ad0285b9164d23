"""Sync items and the single endpoints share one idempotency record per key."""

from __future__ import annotations

import pytest
import requests
from portal_testkit import TIMEOUT, count, new_key, payment_body, results, survey, sync_item

POTHOLE = {
    "service_code": "pothole",
    "lat": 44.924,
    "long": -69.312,
    "attributes": {"size": "small"},
}


def open311_post(portal, form):
    return requests.post(
        f"{portal.url}/open311/v2/requests.json",
        data=form,
        headers={"Authorization": f"Bearer {portal.token}"},
        timeout=TIMEOUT,
    )


def request_count(portal):
    return count(portal, "SELECT count(*) FROM service_requests")


def test_a_payment_posted_alone_is_replayed_by_the_batch(portal, api, new_bill):
    bill = new_bill(amount_due_cents=2_000)
    body, key = payment_body(bill, 800), new_key()
    single = api.pay(body, key)

    (result,) = results(api.sync(sync_item("payment", body, key=key)))

    assert single.status_code == 201
    assert (result["outcome"], result["status"]) == ("replayed", 201)
    assert result["body"] == single.json()
    assert portal.store.payment_count(bill["id"]) == 1


def test_a_payment_synced_in_a_batch_is_replayed_by_the_single_endpoint(portal, api, new_bill):
    bill = new_bill(amount_due_cents=2_000)
    body, key = payment_body(bill, 800), new_key()
    (synced,) = results(api.sync(sync_item("payment", body, key=key)))

    single = api.pay(body, key)
    reused = api.pay(payment_body(bill, 900), key)

    assert single.status_code == 201
    assert single.headers["Idempotent-Replayed"] == "true"
    assert single.json() == synced["body"]
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert portal.store.payment_count(bill["id"]) == 1


def test_batch_spots_a_key_the_single_endpoint_used_for_another_payment(api, new_bill):
    bill = new_bill(amount_due_cents=2_000)
    key = new_key()
    api.pay(payment_body(bill, 800), key)

    (result,) = results(api.sync(sync_item("payment", payment_body(bill, 800), key=key)))

    # A new kiosk_reference makes it another payment, even for the same amount.
    assert result["outcome"] == "conflict"
    assert api.bill(bill)["amount_due_cents"] == 1_200


def test_batch_service_request_is_found_by_a_later_open311_retry(portal, api):
    key = f"kiosk-{new_key()}"
    (synced,) = results(api.sync(sync_item("service_request", POTHOLE, key=key)))
    before = request_count(portal)

    retry = open311_post(
        portal,
        {
            "service_code": "pothole",
            "lat": "44.924",
            "long": "-69.312",
            "attribute[size]": "small",
            "attribute[kiosk_request_id]": key,
        },
    )

    assert synced["outcome"] == "created"
    assert set(synced["body"]) == {"service_request_id", "service_notice", "account_id"}
    assert retry.status_code == 200
    assert retry.json() == [synced["body"]]
    assert request_count(portal) == before


def test_open311_request_is_replayed_by_a_later_batch_with_its_kiosk_request_id(portal, api):
    key = f"kiosk-{new_key()}"
    form = {"service_code": "noise", "address_id": "addr-0002", "attribute[kiosk_request_id]": key}
    (posted,) = open311_post(portal, form).json()
    before = request_count(portal)

    payload = {"service_code": "noise", "address_id": "addr-0002"}
    (first,) = results(api.sync(sync_item("service_request", payload, key=key)))
    (second,) = results(api.sync(sync_item("service_request", payload, key=key)))

    assert (first["outcome"], first["body"]) == ("replayed", posted)
    assert (second["outcome"], second["body"]) == ("replayed", posted)
    assert request_count(portal) == before


def test_batch_service_type_answers_with_a_token_in_the_chosen_language(portal, api):
    payload = {
        "service_code": "graffiti",
        "address_id": "addr-0012",
        "attributes": {"surface": ["wall", "fence"], "offensive": "yes"},
        "locale": "es",
    }
    english = results(api.sync(sync_item("service_request", payload | {"locale": None})))[0]

    (result,) = results(api.sync(sync_item("service_request", payload)))

    token = result["body"]["token"]
    assert set(result["body"]) == {"token", "service_notice", "account_id"}
    assert result["body"]["service_notice"] != english["body"]["service_notice"]
    (link,) = requests.get(f"{portal.url}/open311/v2/tokens/{token}.json", timeout=TIMEOUT).json()
    row = portal.store.query_one(
        "SELECT attributes FROM service_requests WHERE service_request_id = ?",
        (link["service_request_id"],),
    )
    assert row["attributes"] == '{"surface": ["wall", "fence"], "offensive": "yes"}'


@pytest.mark.parametrize(
    ("change", "status", "mentions"),
    [
        ({"service_code": "volcano"}, 404, "volcano"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"lat": 95}, 400, "lat"),
        ({"attributes": {}}, 400, "size"),
        ({"attributes": {"size": "enormous"}}, 400, "size"),
        ({"attributes": {"size": "small", "depth_in": "deep"}}, 400, "depth_in"),
        ({"address_id": "addr-nowhere"}, 400, "address_id"),
    ],
)
def test_service_requests_are_checked_like_open311_posts(portal, api, change, status, mentions):
    payload = {name: value for name, value in (POTHOLE | change).items() if value is not None}
    before = request_count(portal)

    (result,) = results(api.sync(sync_item("service_request", payload)))

    assert (result["outcome"], result["status"]) == ("rejected", status)
    assert mentions in result["error"]["message"]
    assert request_count(portal) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"lat": 44.9, "long": -69.3, "attributes": {"size": "small"}},
        POTHOLE | {"lat": "north"},
        POTHOLE | {"attributes": {"size": 3}},
        POTHOLE | {"media": "photo.jpg"},
    ],
)
def test_malformed_service_request_payload_is_400_as_on_open311(api, payload):
    (result,) = results(api.sync(sync_item("service_request", payload)))

    assert (result["outcome"], result["status"]) == ("rejected", 400)
    assert result["error"]["code"] == "validation_failed"
    assert result["error"]["fields"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "answers"),
        ({f"q{n}": n for n in range(51)}, "answers"),
        ({"comment": "x" * 1001}, "answers.comment"),
        ({"agree": True}, "answers.agree"),
        ({"topics": ["parks", 3]}, "answers.topics"),
    ],
)
def test_survey_answers_are_limited(portal, api, answers, field):
    item = sync_item("survey_response", survey(answers=answers))

    (result,) = results(api.sync(item))

    assert (result["outcome"], result["status"]) == ("rejected", 422)
    assert any(name.startswith(field) for name in result["error"]["fields"])
    assert (
        count(
            portal,
            "SELECT count(*) FROM survey_responses WHERE idempotency_key = ?",
            item["idempotency_key"],
        )
        == 0
    )


def test_survey_accepts_text_numbers_and_lists(portal, api):
    answers = {"comment": "x" * 1000, "rating": 5, "topics": ["parks", "roads"]}

    (result,) = results(api.sync(sync_item("survey_response", survey(answers=answers))))

    assert result["outcome"] == "created"
    assert result["body"]["survey_id"] == "visit-2026"

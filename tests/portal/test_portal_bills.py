"""Bill look-up by number, account and card identity; address search."""

from __future__ import annotations

import pytest

from kiosk.identity import identity_hash
from portal.demo_data import DEMO_BILLS, DEMO_CARDS, DEMO_SALT

BILL_KEYS = {
    "id",
    "number",
    "account",
    "kind",
    "description",
    "amount_due_cents",
    "currency",
    "due_date",
    "allows_partial",
    "status",
}


def bills(api, **params):
    response = api.get("/api/v1/bills", params=params)
    assert response.status_code == 200, response.text
    return response.json()["bills"]


def test_lookup_by_bill_number(api):
    found = bills(api, number="W-1001")

    assert [bill["number"] for bill in found] == ["W-1001"]
    bill = found[0]
    assert set(bill) == BILL_KEYS
    assert bill["account"] == "100200"
    assert bill["kind"] == "water"
    assert bill["currency"] == "USD"
    assert bill["allows_partial"] is True
    assert bill["status"] == "open"
    assert set(bill["description"]) == {"en", "es"}
    assert len(bill["due_date"]) == 10 and bill["due_date"][4] == "-"


def test_lookup_ignores_case_and_surrounding_spaces(api):
    assert [bill["number"] for bill in bills(api, number="  p-2001 ")] == ["P-2001"]


def test_lookup_by_account_returns_all_its_bills(api):
    expected = {bill.number for bill in DEMO_BILLS if bill.account == "100300"}

    found = bills(api, number="100300")

    assert {bill["number"] for bill in found} == expected
    assert len(found) == 2


def test_paid_bill_is_listed_as_paid(api):
    (bill,) = bills(api, number="P-2002")

    assert bill["status"] == "paid"
    assert bill["amount_due_cents"] == 0


def test_unknown_number_gives_an_empty_list(api):
    assert bills(api, number="NO-SUCH-BILL") == []


def test_missing_number_is_422_with_fields(api):
    response = api.get("/api/v1/bills")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert "number" in response.json()["error"]["fields"]


@pytest.mark.parametrize("card", DEMO_CARDS, ids=lambda card: card.profile)
def test_lookup_by_identity_hash(api, card):
    id_hash = identity_hash(DEMO_SALT, card.profile, card.identifier)

    found = bills(api, number=card.account)
    response = api.get(
        "/api/v1/bills/by-identity", params={"profile": card.profile, "id_hash": id_hash}
    )

    assert response.status_code == 200
    assert response.json()["bills"] == found
    assert found and {bill["account"] for bill in found} == {card.account}


def test_identity_hash_with_another_salt_finds_nothing(api):
    card = DEMO_CARDS[0]
    id_hash = identity_hash("another-city", card.profile, card.identifier)

    response = api.get(
        "/api/v1/bills/by-identity", params={"profile": card.profile, "id_hash": id_hash}
    )

    assert response.status_code == 200
    assert response.json() == {"bills": []}


def test_identity_with_unknown_profile_is_422(api):
    response = api.get(
        "/api/v1/bills/by-identity", params={"profile": "passport", "id_hash": "a" * 64}
    )

    assert response.status_code == 422
    assert "profile" in response.json()["error"]["fields"]


def test_address_search_is_case_insensitive_substring(api):
    response = api.get("/api/v1/addresses", params={"q": "ELM st"})

    assert response.status_code == 200
    addresses = response.json()["addresses"]
    assert {address["address"] for address in addresses} == {"12 Elm Street", "45 Elm Street"}
    for address in addresses:
        assert set(address) == {"id", "address", "zipcode", "lat", "long"}
        assert isinstance(address["lat"], float) and isinstance(address["long"], float)


def test_address_search_returns_at_most_20(api, portal):
    for number in range(25):
        portal.store.add_address(
            f"addr-test-{number}", f"{number} Testing Way", "04799", 44.9, -69.3
        )

    response = api.get("/api/v1/addresses", params={"q": "testing way"})

    assert len(response.json()["addresses"]) == 20


def test_address_search_treats_wildcards_literally(api):
    assert api.get("/api/v1/addresses", params={"q": "%"}).json() == {"addresses": []}


def test_identity_lookup_takes_the_hash_in_the_body_and_never_a_raw_identifier(api):
    card = DEMO_CARDS[1]
    id_hash = identity_hash(DEMO_SALT, card.profile, card.identifier)

    found = api.post(
        "/api/v1/identities/lookup", json={"profile": card.profile, "id_hash": id_hash}
    )
    assert found.status_code == 200, found.text
    assert found.json() == {"account": card.account, "display_name": card.holder}

    raw = api.post(
        "/api/v1/identities/lookup", json={"profile": card.profile, "id_hash": card.identifier}
    )
    assert raw.status_code == 422
    unknown = api.post("/api/v1/identities/lookup", json={"profile": "uid", "id_hash": "0" * 64})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "identity_unknown"
    bad_profile = api.post(
        "/api/v1/identities/lookup", json={"profile": "passport", "id_hash": id_hash}
    )
    assert bad_profile.status_code == 422

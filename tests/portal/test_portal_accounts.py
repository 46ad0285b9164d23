"""eCitizen accounts: the ``account_creation`` sync item on the real portal over loopback."""

from __future__ import annotations

import secrets
import sqlite3
import uuid

import pytest
from portal_testkit import count, results, sync_item

from kiosk.identity import identity_hash
from portal.accounts import activation_code_matches
from portal.demo_data import DEMO_CARDS, DEMO_SALT


def new_identity() -> str:
    """A card nobody has used: the session's portal is shared by every test."""
    return identity_hash(DEMO_SALT, "beid", str(secrets.randbelow(10**11)))


def account(id_hash: str, **extra) -> dict:
    return {
        "profile": "beid",
        "id_hash": id_hash,
        "display_name": "Nadia Haddad",
        "activation_code": "7KQ4M-9XD2P",
        "locale": "es",
        **extra,
    }


def all_text(db_path: str) -> str:
    """Every value of every table, as text: what someone holding the database reads."""
    with sqlite3.connect(db_path) as conn:
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [row[0] for row in names]
        return " ".join(
            str(value) for table in tables for row in conn.execute(f"SELECT * FROM {table}")
            for value in row
        )  # fmt: skip


def test_an_account_is_created_and_echoes_what_was_stored_never_the_code(api, portal):
    id_hash = new_identity()
    (result,) = results(
        api.sync(sync_item("account_creation", account(id_hash, phone="+15551234567")))
    )

    assert result["outcome"] == "created" and result["status"] == 201
    body = result["body"]
    assert body["status"] == "pending_activation" and body["display_name"] == "Nadia Haddad"
    assert body["phone"] == "+15551234567" and body["email"] is None
    assert body["activation_code_hash"].startswith("scrypt$")
    assert "7KQ4M" not in all_text(portal.db_path)
    with portal.store.transaction() as conn:
        assert activation_code_matches(conn, body["account"], "7kq4m9xd2p")
        assert not activation_code_matches(conn, body["account"], "7KQ4M-9XD2Q")
    found = api.post("/api/v1/identities/lookup", json={"profile": "beid", "id_hash": id_hash})
    assert found.json() == {"account": body["account"], "display_name": "Nadia Haddad"}
    mine = api.post("/api/v1/tracking/mine", json={"profile": "beid", "id_hash": id_hash})
    (item,) = mine.json()["items"]
    assert (item["kind"], item["status"]) == ("account", "pending_activation")
    assert item["title"] == "eCitizen account"


def test_a_resent_item_is_replayed_not_doubled_and_another_code_conflicts(api, portal):
    id_hash, key = new_identity(), uuid.uuid4().hex
    first = results(api.sync(sync_item("account_creation", account(id_hash), key)))[0]
    again = results(api.sync(sync_item("account_creation", account(id_hash), key)))[0]

    assert again["outcome"] == "replayed" and again["body"] == first["body"]
    assert count(portal, "SELECT count(*) FROM ecitizen_accounts WHERE id_hash = ?", id_hash) == 1
    other = account(id_hash, activation_code="22222-22222")
    (conflict,) = results(api.sync(sync_item("account_creation", other, key)))
    assert conflict["outcome"] == "conflict"


def test_a_card_that_already_has_an_account_is_refused_and_nothing_stored(api, portal):
    card = DEMO_CARDS[1]
    linked = identity_hash(DEMO_SALT, card.profile, card.identifier)
    before = count(portal, "SELECT count(*) FROM accounts")
    (result,) = results(
        api.sync(sync_item("account_creation", account(linked, profile=card.profile)))
    )
    assert result["outcome"] == "rejected" and result["status"] == 409
    assert result["error"]["code"] == "account_exists"
    assert count(portal, "SELECT count(*) FROM accounts") == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "nadia.example.com"}, "email"),
        ({"phone": "555-123"}, "phone"),
        ({"id_hash": "92051212329"}, "id_hash"),  # a raw national number: never
        ({"profile": "passport"}, "profile"),
        ({"activation_code": "OOOOO-IIIII"}, "activation_code"),  # look-alikes
        ({"display_name": ""}, "display_name"),
        ({"national_number": "92051212329"}, "national_number"),
    ],
)
def test_invalid_items_are_rejected_with_the_field_and_store_nothing(api, portal, change, field):
    id_hash = new_identity()
    (result,) = results(api.sync(sync_item("account_creation", {**account(id_hash), **change})))
    assert result["outcome"] == "rejected" and result["status"] == 422
    assert any(name.endswith(field) for name in result["error"]["fields"]), result["error"]
    assert count(portal, "SELECT count(*) FROM ecitizen_accounts WHERE id_hash = ?", id_hash) == 0

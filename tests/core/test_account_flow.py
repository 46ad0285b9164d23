"""Creating an eCitizen account in the Kivy-free model, against the real reference portal."""

from __future__ import annotations

import re

import pytest
from resident_kit import MARIA, NADIA, build_kiosk, close_kiosk, expired

from kiosk.flows.account import ACCOUNT_CONTACT, ACCOUNT_NAME, ACCOUNT_START
from kiosk.identity import identity_hash
from kiosk.model import CONFIRMATION, HOME
from offline.outbox import NEEDS_ATTENTION, SENT
from portal.accounts import activation_code_matches

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTWXYZ]{5}$")
NADIA_HASH = identity_hash("demo-salt", NADIA.profile, NADIA.identifier)


@pytest.fixture
def kiosk(tmp_path):
    kiosk = build_kiosk(tmp_path)
    kiosk.model.start_session()
    yield kiosk
    close_kiosk(kiosk)


def open_account(kiosk):
    kiosk.model.open_service("create_account")
    return kiosk.model.flows["account"]


def receipt_of(kiosk, reference) -> dict:
    (job,) = kiosk.model.print_jobs.for_reference(reference)
    return kiosk.model.print_jobs.document(job.id)


def accounts(kiosk):
    return kiosk.portal.store.query("SELECT * FROM ecitizen_accounts WHERE id_hash = ?",
                                    (NADIA_HASH,))  # fmt: skip


def create_for_nadia(kiosk, *, phone="", email=""):
    kiosk.insert(NADIA)
    flow = open_account(kiosk)
    assert kiosk.model.screen == ACCOUNT_NAME
    assert flow.card_name() == "Nadia Haddad"
    flow.confirm_name(True)
    assert kiosk.model.screen == ACCOUNT_CONTACT
    flow.type_phone(phone)
    flow.type_email(email)
    flow.create()
    assert kiosk.model.screen == CONFIRMATION
    return kiosk.model.last_submission


def test_an_account_is_created_with_a_printed_code_the_portal_only_hashed(kiosk):
    item = create_for_nadia(kiosk, phone="+1 (555) 123-4567", email="nadia@example.com")

    payload = kiosk.outbox.payload(item.idempotency_key)
    assert payload["profile"] == "beid" and payload["id_hash"] == NADIA_HASH
    assert NADIA.identifier not in repr(payload)  # never the card's number
    assert payload["phone"] == "+15551234567" and payload["email"] == "nadia@example.com"
    code = payload["activation_code"]
    assert CODE.match(code)
    details = dict(receipt_of(kiosk, item.reference)["details"])
    assert details["Activation code"] == code and details["Name"] == "Nadia Haddad"

    assert kiosk.sync.drain()
    assert kiosk.outbox.find(item.idempotency_key).state == SENT
    (row,) = accounts(kiosk)
    assert row["phone"] == "+15551234567" and row["status"] == "pending_activation"
    assert code not in " ".join(str(value) for value in tuple(row))
    stored = kiosk.portal.store.query("SELECT body FROM idempotency_records")
    assert all(code not in record["body"] for record in stored)
    with kiosk.portal.store.transaction() as conn:
        assert activation_code_matches(conn, row["account"], code.lower())
        assert not activation_code_matches(conn, row["account"], "22222-22222")
    # The card now signs in to that account.
    assert kiosk.client.resident(NADIA.profile, NADIA_HASH)["display_name"] == "Nadia Haddad"


def test_a_guest_is_asked_for_their_card_and_the_flow_goes_on_when_it_comes(kiosk):
    flow = open_account(kiosk)
    assert kiosk.model.screen == ACCOUNT_START and flow.state == "need_card"
    assert "insert your ID card" in kiosk.model.describe()
    kiosk.insert(NADIA)
    assert kiosk.model.screen == ACCOUNT_NAME


def test_a_card_with_an_account_is_told_so_and_nothing_is_queued(kiosk):
    kiosk.insert(MARIA)
    flow = open_account(kiosk)
    assert kiosk.model.screen == ACCOUNT_START and flow.state == "exists"
    assert flow.start_text().startswith("You already have a city account")
    flow.create()  # no way round it
    assert kiosk.outbox.counts()["pending"] == 0


def test_an_expired_card_or_a_wrong_name_go_no_further(kiosk):
    kiosk.insert(expired(NADIA))
    flow = open_account(kiosk)
    assert flow.state == "expired" and kiosk.model.screen == ACCOUNT_START
    kiosk.remove_card()
    kiosk.model.start_session()
    kiosk.insert(NADIA)
    flow = open_account(kiosk)
    flow.confirm_name(False)
    assert flow.state == "name_wrong" and kiosk.model.screen == ACCOUNT_START
    assert kiosk.outbox.counts()["pending"] == 0


def test_an_invalid_email_is_explained_beside_its_field_and_kept(kiosk):
    kiosk.insert(NADIA)
    flow = open_account(kiosk)
    flow.confirm_name(True)
    flow.type_phone("555 123 4567")
    flow.type_email("nadia.example.com")
    flow.create()

    assert kiosk.model.screen == ACCOUNT_CONTACT
    assert flow.error_text("email").startswith("This is not an email address.")
    assert flow.error_text("phone") == ""
    assert flow.email == "nadia.example.com" and flow.phone == "555 123 4567"
    kiosk.model.choose_language("es")
    assert flow.email == "nadia.example.com" and "email" in flow.errors
    flow.type_email("nadia@example.com")
    assert flow.error_text("email") == ""  # typing again clears the complaint
    flow.type_phone("12")
    flow.create()
    assert set(flow.errors) == {"phone"}
    assert kiosk.outbox.counts()["pending"] == 0


def test_created_offline_then_delivered_exactly_once(kiosk):
    kiosk.portal_down()
    kiosk.insert(NADIA)  # the look-up fails: offline, the account is still queued
    item = create_for_nadia(kiosk)
    flow = kiosk.model.flows["account"]
    flow.create()  # a second tap on the confirmation makes nothing
    kiosk.model.go_home()
    kiosk.model.open_service("create_account")
    assert flow.state == "just_created"
    assert kiosk.outbox.counts()["pending"] == 1

    kiosk.sync.run_once()  # still down
    assert kiosk.outbox.find(item.idempotency_key).state == "pending"
    kiosk.portal_back()
    assert kiosk.sync.drain()
    assert len(accounts(kiosk)) == 1
    # As if the kiosk had died before recording the answer: the item goes again, and
    # the portal replays its answer instead of making a second account.
    with kiosk.outbox.transaction():
        kiosk.outbox._db.conn.execute(
            "UPDATE outbox SET state = 'pending' WHERE idempotency_key = ?",
            (item.idempotency_key,),
        )
    assert kiosk.sync.drain()
    assert len(accounts(kiosk)) == 1
    assert kiosk.outbox.find(item.idempotency_key).state == SENT


def test_an_account_made_elsewhere_meanwhile_is_refused_by_the_portal(kiosk):
    kiosk.portal_down()
    kiosk.insert(NADIA)
    first = create_for_nadia(kiosk)
    kiosk.remove_card()
    kiosk.model.start_session()
    second = create_for_nadia(kiosk)  # another visit, still offline
    kiosk.portal_back()
    assert kiosk.sync.drain()
    assert kiosk.outbox.find(first.idempotency_key).state == SENT
    assert kiosk.outbox.find(second.idempotency_key).state == NEEDS_ATTENTION
    assert len(accounts(kiosk)) == 1


def test_card_removed_mid_flow_wipes_what_was_typed(kiosk):
    kiosk.insert(NADIA)
    flow = open_account(kiosk)
    flow.confirm_name(True)
    flow.type_email("nadia@example.com")
    kiosk.remove_card()

    assert kiosk.model.screen == "attract" and kiosk.model.session.identity is None
    assert flow.email == "" and flow.phone == "" and flow.state == ""
    assert kiosk.model.session.recall("account.email") is None


def test_cancel_goes_home_and_forgets(kiosk):
    kiosk.insert(NADIA)
    flow = open_account(kiosk)
    flow.confirm_name(True)
    flow.type_phone("5551234567")
    kiosk.model.cancel_service()
    assert kiosk.model.screen == HOME and flow.phone == ""
    assert kiosk.outbox.counts()["pending"] == 0


def test_the_activation_code_is_printed_even_when_the_visit_chose_no_receipt(kiosk):
    from kiosk.receipt_flow import NO_RECEIPT, PRINTING

    kiosk.model.session.remember("receipt.delivery", NO_RECEIPT)
    item = create_for_nadia(kiosk)

    assert kiosk.model.receipt_state == PRINTING
    assert ("Activation code", kiosk.outbox.payload(item.idempotency_key)["activation_code"]) in [
        tuple(pair) for pair in receipt_of(kiosk, item.reference)["details"]
    ]
    # The resident's own choice stands for the rest of the visit.
    assert kiosk.model.receipt_delivery() == NO_RECEIPT

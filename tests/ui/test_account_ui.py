"""Creating an eCitizen account as a resident does it: card, name, contact, receipt."""

from __future__ import annotations

import re
import secrets

from drivers.card.interface import CardData
from kiosk.identity import identity_hash
from portal.server import start_portal

INSERT_CARD = "To create an account, please insert your ID card in the card reader."
ALREADY = "You already have a city account linked to this card."
NOT_EMAIL = "This is not an email address. It should look like name@example.com."
QUEUED = "Queued: it will be sent when the connection returns."
ARRIVED = "It has reached the city."
CODE = re.compile(r"^[2-9A-HJKMNP-TW-Z]{5}-[2-9A-HJKMNP-TW-Z]{5}$")


def demo_card(kiosk, name: str) -> None:
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.model.demo_insert_card(next(i for i, label in enumerate(labels) if name in label))


def new_resident(kiosk) -> CardData:
    """A card nobody has used, in the demo kiosk's simulated reader."""
    card = CardData("uid", secrets.token_hex(5).upper(), "Sam Rivera")
    reader = kiosk.runtime.devices.get("card")
    reader.remove()
    reader.insert(card)
    return card


def accounts_for(kiosk, card: CardData) -> list:
    id_hash = identity_hash("demo-salt", card.profile, card.identifier)
    store = kiosk.runtime.demo_portal.store
    return store.query("SELECT * FROM ecitizen_accounts WHERE id_hash = ?", (id_hash,))


def open_account(kiosk) -> None:
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action("service:create_account")


def tap_keys(kiosk, text: str) -> None:
    for character in text:
        kiosk.tap_action(f"key:{character.upper() if character.isalpha() else character}")


def contact_screen(kiosk):
    return kiosk.app.screen("account_contact")


def code_on_receipt(kiosk) -> str:
    (job,) = kiosk.model.print_jobs.for_reference(kiosk.model.last_submission.reference)
    return dict(kiosk.model.print_jobs.document(job.id)["details"])["Activation code"]


def test_a_guest_inserts_their_card_and_leaves_with_an_activation_code(kiosk):
    open_account(kiosk)
    assert kiosk.screen == "account_start"
    assert any(text.startswith(INSERT_CARD) for text in kiosk.texts())
    demo_card(kiosk, "Nadia Haddad")
    kiosk.wait_until(lambda: kiosk.screen == "account_name", "the name on the card")
    kiosk.pump()
    assert "Nadia Haddad" in kiosk.texts()
    kiosk.tap_action("name_ok")
    assert kiosk.screen == "account_contact"

    screen = contact_screen(kiosk)
    kiosk.tap(screen.ids.email)
    tap_keys(kiosk, "nadia.example.com")
    kiosk.tap_action("create_account")
    assert kiosk.screen == "account_contact"
    assert screen.ids.email_error.text == NOT_EMAIL and screen.ids.phone_error.text == ""
    kiosk.tap_action("language:es")  # what was typed stays
    assert screen.ids.email.text == "nadia.example.com"
    kiosk.tap_action("language:en")
    kiosk.tap(screen.ids.email)
    kiosk.tap_action("key:clear")
    tap_keys(kiosk, "nadia@example.com")
    assert screen.ids.email_error.text == ""
    kiosk.tap_action("create_account")

    assert kiosk.screen == "confirmation"
    assert CODE.match(code_on_receipt(kiosk))
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "the account to reach the portal", 30)
    (row,) = kiosk.runtime.demo_portal.store.query(
        "SELECT email, status FROM ecitizen_accounts WHERE email = 'nadia@example.com'"
    )
    assert row["status"] == "pending_activation"


def test_a_card_that_has_an_account_is_told_so_and_nothing_is_sent(kiosk):
    demo_card(kiosk, "Maria Lopez")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    queued_before = kiosk.model.outbox.counts()["pending"]
    open_account(kiosk)
    kiosk.wait_until(lambda: any(t.startswith(ALREADY) for t in kiosk.texts()), "the refusal")
    assert kiosk.screen == "account_start"
    assert kiosk.model.outbox.counts()["pending"] == queued_before
    kiosk.tap_action("cancel")
    assert kiosk.screen == "home"
    kiosk.model.demo_remove_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")


def test_created_offline_and_delivered_once_when_the_portal_returns(kiosk):
    runtime = kiosk.runtime
    portal = runtime.demo_portal
    port = int(portal.url.rsplit(":", 1)[1])
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    portal.stop()
    try:
        card = new_resident(kiosk)
        kiosk.wait_until(lambda: kiosk.screen == "home", "the card to sign in")
        open_account(kiosk)
        kiosk.wait_until(lambda: kiosk.screen == "account_name", "the name, even offline", 30)
        kiosk.pump()  # laid out before it is tapped
        kiosk.tap_action("name_ok")
        kiosk.tap(contact_screen(kiosk).ids.phone)
        tap_keys(kiosk, "5551234567")
        kiosk.tap_action("create_account")
        kiosk.wait_until(lambda: QUEUED in kiosk.texts(), "the queued confirmation", 30)
        kiosk.model.flows["account"].create()  # a late second tap makes nothing
        assert CODE.match(code_on_receipt(kiosk))
    finally:
        back = start_portal(
            portal.db_path, port=port, seed_demo=False, token=portal.token, device_id="demo-kiosk"
        )
        runtime.demo_portal = back
        runtime.closers.insert(0, back.stop)
    runtime.sync.wake()
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "delivery after reconnecting", 30)
    (row,) = accounts_for(kiosk, card)
    assert row["phone"] == "5551234567"
    kiosk.model.demo_remove_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")


def test_taking_the_card_out_mid_flow_wipes_what_was_typed(kiosk):
    card = new_resident(kiosk)
    kiosk.wait_until(lambda: kiosk.screen == "home", "the card to sign in")
    open_account(kiosk)
    kiosk.wait_until(lambda: kiosk.screen == "account_name", "the name on the card")
    kiosk.pump()
    kiosk.tap_action("name_ok")
    kiosk.tap(contact_screen(kiosk).ids.phone)
    tap_keys(kiosk, "555")
    kiosk.model.demo_remove_card()

    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")
    assert kiosk.model.session.identity is None
    flow = kiosk.model.flows["account"]
    assert flow.phone == "" and flow.state == ""
    assert contact_screen(kiosk).ids.phone.text == ""
    assert accounts_for(kiosk, card) == []

"""Permits and licences as a resident does it, in the real app against the demo portal:
taps on real widgets, each error read beside its field (and still there after a language
switch), the fee paid on the demo card terminal (the ZVT simulator through the real ZVT
driver), a renewal by card filled in from the city's record, a declined card, the
portal gone, a form the city changed meanwhile, and the card taken out."""

from __future__ import annotations

import pytest
from portal_outage import portal_down

ARRIVED = "It has reached the city."
QUEUED = "Queued: it will be sent when the connection returns."
REFUSED = "The city could not accept it yet. Staff will follow it up."
# The demo terminal takes about a second a step: generous, never a measure.
PAYMENT_WAIT_S = 60


@pytest.fixture
def paying_kiosk(kiosk):
    """After the test, a terminal left idle: a sale still running would make the next
    test's payment find it busy."""
    yield kiosk
    terminal = kiosk.model.payment_desk.terminal()
    kiosk.wait_until(
        lambda: terminal is None or terminal.status() != "busy", "the terminal", PAYMENT_WAIT_S
    )
    kiosk.model.end_session("test done")
    kiosk.pump()


def flow(kiosk):
    return kiosk.model.flows["permits"]


def open_permits(kiosk) -> None:
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action("service:permits")
    assert kiosk.screen == "permits"
    kiosk.wait_until(lambda: flow(kiosk).forms_state == "ready", "the forms")
    kiosk.pump()


def choose(kiosk, action: str) -> None:
    kiosk.tap_action(action)
    assert kiosk.screen == "permit_form"
    kiosk.wait_until(lambda: flow(kiosk).form is not None, "the form")
    kiosk.pump()


def type_on_keys(kiosk, text: str) -> None:
    for character in text:
        key = {" ": "space"}.get(character, character.upper() if character.isalpha() else character)
        kiosk.tap_action(f"key:{key}")


def type_in(kiosk, field: str, text: str) -> None:
    kiosk.tap_action(f"field:{field}")
    type_on_keys(kiosk, text)
    kiosk.tap_action("hide_keyboard")


def error_beside(kiosk, action: str) -> str:
    """The error under the question a field or choice belongs to."""
    node = kiosk.find(action)
    while node is not None and type(node).__name__ != "FieldBlock":
        node = node.parent
    assert node is not None, action
    return node.ids.error.text


def visible(kiosk, action: str) -> bool:
    return any(
        getattr(widget, "action", None) == action and kiosk._visible(widget)
        for widget in kiosk.widgets()
    )


def shown(kiosk) -> str:
    return " ".join(kiosk.texts())


def applications(kiosk, number: str) -> list:
    return kiosk.runtime.demo_portal.store.query(
        "SELECT * FROM permit_applications WHERE application_number = ?", (number,)
    )


def wait_for_screen(kiosk, screen: str, what: str) -> None:
    kiosk.wait_until(lambda: kiosk.screen == screen, what, PAYMENT_WAIT_S)
    kiosk.pump()


def submitted(kiosk, number: str) -> dict:
    """The application at the portal, once its fee (if any) has made it submitted."""
    kiosk.wait_until(
        lambda: [row["status"] for row in applications(kiosk, number)] == ["submitted"],
        "the application to be submitted at the portal",
        PAYMENT_WAIT_S,
    )
    (application,) = applications(kiosk, number)
    return application


def dog_licence_to_review(kiosk) -> None:
    choose(kiosk, "permit:dog_licence")
    type_in(kiosk, "dog_name", "luna")
    kiosk.tap_action("choice:size:small")
    type_in(kiosk, "birth_year", "2022")
    kiosk.tap_action("choice:document:rabies_certificate:yes")
    kiosk.tap_action("next")
    assert kiosk.screen == "permit_review", flow(kiosk).errors


def pay_on_the_terminal(kiosk) -> None:
    kiosk.tap_action("submit_application")
    wait_for_screen(kiosk, "pay_confirm", "the payment's confirm screen")
    kiosk.tap_action("pay_with_card")
    assert kiosk.screen == "paying"


# The happy paths -----------------------------------------------------------------------


def test_a_dog_licence_is_applied_for_and_its_fee_paid_on_the_terminal(paying_kiosk):
    kiosk = paying_kiosk
    open_permits(kiosk)
    assert "Fee: $25.00" in shown(kiosk) and "No fee" in shown(kiosk)
    choose(kiosk, "permit:dog_licence")
    assert "Your dog's name *" in kiosk.texts()
    assert "On the vet's papers. 15 digits, no spaces" in kiosk.texts()

    kiosk.tap_action("next")  # nothing answered: every required question says so
    assert kiosk.screen == "permit_form"
    assert error_beside(kiosk, "field:dog_name") == "Please answer this question."
    assert error_beside(kiosk, "choice:size:small") == "Please choose an answer."
    assert error_beside(kiosk, "field:microchip") == ""  # optional
    assert error_beside(kiosk, "choice:document:rabies_certificate:yes") == (
        "Please confirm this before you go on."
    )
    type_in(kiosk, "dog_name", "luna")
    assert error_beside(kiosk, "field:dog_name") == ""
    kiosk.tap_action("choice:size:small")
    type_in(kiosk, "birth_year", "2022")
    kiosk.tap_action("choice:document:rabies_certificate:yes")
    assert kiosk.find("choice:document:rabies_certificate:yes").text == "• Yes, I have it"
    kiosk.tap_action("next")

    assert kiosk.screen == "permit_review"
    review = shown(kiosk)
    for part in ("luna", "Small (under 10 kg)", "2022", "Rabies vaccination certificate"):
        assert part in review, part
    assert "Fee: $25.00" in review
    pay_on_the_terminal(kiosk)
    number = flow(kiosk).saved.reference
    wait_for_screen(kiosk, "confirmation", "the payment")

    assert "Thank you. You paid $25.00." in kiosk.texts()
    assert any(f"Application number: {number}" in text for text in kiosk.texts())
    receipt = kiosk.model.print_jobs.document(kiosk.model.receipt_job_id)
    assert ["Application number", number] in receipt["details"]
    assert ["Please bring", "Rabies vaccination certificate"] in receipt["details"]
    application = submitted(kiosk, number)
    assert application["fee_cents"] == 2500 and application["renewal_of"] is None
    kiosk.wait_until(lambda: ARRIVED in shown(kiosk), "the confirmation to follow", 30)


def test_maria_renews_her_dog_licence_by_card_and_is_asked_only_what_is_missing(paying_kiosk):
    kiosk = paying_kiosk
    labels = [label for label, _insert in kiosk.model.demo_cards]
    maria = next(i for i, label in enumerate(labels) if label.startswith("Maria Lopez"))
    kiosk.tap_action(f"demo_card:{maria}")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    open_permits(kiosk)
    kiosk.wait_until(lambda: visible(kiosk, "renew:DL-2025-0142"), "Maria's permits")
    assert "Valid until December 1, 2026" in shown(kiosk)

    choose(kiosk, "renew:DL-2025-0142")
    assert not visible(kiosk, "field:dog_name")  # the city knows it: not asked again
    assert "Renewing DL-2025-0142." in shown(kiosk)
    kiosk.tap_action("choice:document:rabies_certificate:yes")
    kiosk.tap_action("next")

    assert kiosk.screen == "permit_review"
    review = shown(kiosk)
    assert "Bruno" in review and "(from your permit)" in review
    assert "Fee: $20.00" in review
    pay_on_the_terminal(kiosk)
    number = flow(kiosk).saved.reference
    wait_for_screen(kiosk, "confirmation", "the payment")

    assert "Thank you. You paid $20.00." in kiosk.texts()
    application = submitted(kiosk, number)
    assert (application["renewal_of"], application["fee_cents"]) == ("DL-2025-0142", 2000)
    assert '"dog_name": "Bruno"' in application["form_values"]


# When it goes wrong ---------------------------------------------------------------------


def test_errors_stay_beside_their_fields_when_the_language_changes(kiosk):
    open_permits(kiosk)
    choose(kiosk, "permit:dog_licence")
    type_in(kiosk, "birth_year", "1900")
    kiosk.tap_action("next")
    english = error_beside(kiosk, "field:birth_year")
    assert english == "Please type a number of 1995 or more."

    kiosk.tap_action("language:es")

    assert kiosk.screen == "permit_form"
    assert "Nombre de su perro *" in kiosk.texts()
    spanish = error_beside(kiosk, "field:birth_year")
    assert spanish and "1995" in spanish
    assert error_beside(kiosk, "field:dog_name")  # still asked for, in Spanish now
    assert kiosk.find("field:birth_year").text == "1900"  # nothing typed is lost


def test_a_declined_card_leaves_the_application_saved_and_paying_again_pays_it(paying_kiosk):
    kiosk = paying_kiosk
    open_permits(kiosk)
    dog_licence_to_review(kiosk)
    kiosk.model.demo_terminal.script("decline")
    pay_on_the_terminal(kiosk)
    number = flow(kiosk).saved.reference

    wait_for_screen(kiosk, "permit_review", "the decline")
    text = shown(kiosk)
    assert "Your application is saved" in kiosk.texts()
    assert "Your bank did not approve this payment. You were not charged." in text
    assert f"Your application {number} is saved, but its fee of $25.00 is not paid yet." in text
    assert not visible(kiosk, "back") and not visible(kiosk, "change:dog_name")

    pay_on_the_terminal(kiosk)  # "Pay the fee": the same application
    wait_for_screen(kiosk, "confirmation", "the second try")

    assert "Thank you. You paid $25.00." in kiosk.texts()
    submitted(kiosk, number)
    outbox = kiosk.model.outbox
    kinds = [item.kind for item in outbox.summaries(limit=10_000) if item.reference == number]
    assert kinds == ["permit_application"]  # never a second application


def test_with_the_portal_down_an_application_is_queued_and_arrives_once(kiosk):
    open_permits(kiosk)  # the forms are kept for offline use
    choose(kiosk, "permit:street_event")
    kiosk.model.cancel_service()
    with portal_down(kiosk):
        open_permits(kiosk)
        assert "The city's service cannot be reached right now" in shown(kiosk)
        choose(kiosk, "permit:street_event")
        type_in(kiosk, "event_name", "elm party")
        kiosk.tap_action("day:starts:other")
        type_in(kiosk, "starts:date", "20261220")
        type_in(kiosk, "starts:time", "1400")
        type_in(kiosk, "guests", "40")
        kiosk.tap_action("next")
        assert kiosk.screen == "permit_review", flow(kiosk).errors
        assert "No fee" in shown(kiosk)
        kiosk.tap_action("submit_application")
        assert kiosk.screen == "confirmation"
        number = kiosk.model.last_submission.reference
        kiosk.wait_until(lambda: QUEUED in kiosk.texts(), "the queued status", 30)

    submitted(kiosk, number)
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "the delivery", 30)
    assert len(applications(kiosk, number)) == 1


def test_a_form_the_city_changed_meanwhile_is_refused_and_the_resident_told(kiosk):
    store = kiosk.runtime.demo_portal.store
    open_permits(kiosk)
    choose(kiosk, "permit:street_event")
    type_in(kiosk, "event_name", "river fair")
    kiosk.tap_action("day:starts:today")
    type_in(kiosk, "starts:time", "1800")
    type_in(kiosk, "guests", "12")
    kiosk.tap_action("next")
    assert kiosk.screen == "permit_review", flow(kiosk).errors

    with store.transaction() as conn:  # the city publishes version 2 meanwhile
        conn.execute(
            "UPDATE permit_forms SET body = json_set(body, '$.version', 2)"
            " WHERE form_id = 'street_event'"
        )
    try:
        kiosk.tap_action("submit_application")
        assert kiosk.screen == "confirmation"
        number = kiosk.model.last_submission.reference
        kiosk.wait_until(lambda: REFUSED in kiosk.texts(), "the refusal", 30)
    finally:
        with store.transaction() as conn:
            conn.execute(
                "UPDATE permit_forms SET body = json_set(body, '$.version', 1)"
                " WHERE form_id = 'street_event'"
            )
    assert applications(kiosk, number) == []


def test_taking_the_card_out_mid_renewal_wipes_the_visit(kiosk):
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.tap_action(f"demo_card:{next(i for i, x in enumerate(labels) if x.startswith('Maria'))}")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    open_permits(kiosk)
    kiosk.wait_until(lambda: visible(kiosk, "renew:DL-2025-0142"), "Maria's permits")
    choose(kiosk, "renew:DL-2025-0142")
    kiosk.tap_action("choice:document:rabies_certificate:yes")

    kiosk.model.remove_demo_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the visit to end")

    assert flow(kiosk).renewal is None and flow(kiosk).answers == {} and flow(kiosk).permits == ()
    open_permits(kiosk)
    assert not visible(kiosk, "renew:DL-2025-0142")
    assert "To renew a permit you have, insert your ID card." in shown(kiosk)

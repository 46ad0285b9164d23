"""Reporting a problem as a resident does it, in the real app against the demo portal:
taps on real widgets, errors read beside their fields, the portal refusing, the portal
gone, the card taken out, and a language switch in the middle."""

from __future__ import annotations

import copy
import uuid

import pytest

from portal.demo_open311 import POTHOLE
from portal.server import start_portal

ARRIVED = "It has reached the city."
QUEUED = "Queued: it will be sent when the connection returns."
REFUSED = "The city could not accept it yet. Staff will follow it up."
WAIT_S = 30


def open_report(kiosk) -> None:
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action("service:report_problem")
    assert kiosk.screen == "report_services"
    kiosk.wait_until(lambda: kiosk.model.flows["report"].services_state == "ready", "services")
    kiosk.pump()


def choose(kiosk, group: str, service: str) -> None:
    kiosk.tap_action(f"report_group:{group}")
    kiosk.tap_action(f"report_service:{service}")
    flow = kiosk.model.flows["report"]
    if kiosk.screen == "report_details":
        kiosk.wait_until(lambda: flow.definition_state == "ready", "the questions")
        kiosk.pump()


def type_on_keys(kiosk, text: str) -> None:
    for character in text:
        key = {" ": "space"}.get(character, character.upper() if character.isalpha() else character)
        kiosk.tap_action(f"key:{key}")


def field_block(kiosk, action: str):
    """The question a field or choice belongs to (screens.dynamic_form.FieldBlock)."""
    node = kiosk.find(action)
    while node is not None and type(node).__name__ != "FieldBlock":
        node = node.parent
    assert node is not None, action
    return node


def error_beside(kiosk, action: str) -> str:
    return field_block(kiosk, action).ids.error.text


def pothole_to_review(kiosk, description: str) -> None:
    """From the services screen to the review, all by taps: a guest's pothole report."""
    choose(kiosk, "pothole", "pothole")
    kiosk.tap_action("choice:size:large")
    kiosk.tap_action("next")
    assert kiosk.screen == "report_location"
    kiosk.tap_action("near_kiosk")
    assert kiosk.screen == "report_description"
    kiosk.tap_action("field:description")
    type_on_keys(kiosk, description)
    kiosk.tap_action("next")
    assert kiosk.screen == "report_review", kiosk.model.flows["report"].errors


def visible(kiosk, action: str) -> bool:
    return any(
        getattr(widget, "action", None) == action and kiosk._visible(widget)
        for widget in kiosk.widgets()
    )


def requests_described(kiosk, description: str) -> list:
    return kiosk.runtime.demo_portal.store.query(
        "SELECT * FROM service_requests WHERE description = ?", (description,)
    )


def test_a_pothole_report_by_taps_reaches_the_city_with_a_receipt(kiosk):
    open_report(kiosk)
    assert "What kind of problem is it?" in kiosk.texts()
    choose(kiosk, "pothole", "pothole")
    assert kiosk.screen == "report_details"
    assert "How big is the hole? *" in kiosk.texts()
    assert "Inches, for example 3" in kiosk.texts()

    kiosk.tap_action("next")  # nothing answered: the required question says so, beside itself
    assert kiosk.screen == "report_details"
    assert error_beside(kiosk, "choice:size:large") == "Please choose an answer."
    assert error_beside(kiosk, "field:depth_in") == ""
    kiosk.tap_action("choice:size:large")
    assert error_beside(kiosk, "choice:size:large") == ""
    assert kiosk.find("choice:size:large").text == "• Bigger than a tire"
    kiosk.tap_action("field:depth_in")
    assert kiosk.app.screen("report_details").ids.keyboard.kind == "digits"
    for digit in "35":
        kiosk.tap_action(f"key:{digit}")
    assert kiosk.find("field:depth_in").text == "35"
    kiosk.tap_action("hide_keyboard")
    kiosk.tap_action("choice:lane:side")
    kiosk.tap_action("next")

    assert kiosk.screen == "report_location"
    kiosk.tap(kiosk.app.screen("report_location").ids.address)
    type_on_keys(kiosk, "elm")
    assert kiosk.app.screen("report_location").ids.address.text == "elm"
    kiosk.tap_action("find_address")
    kiosk.wait_until(lambda: kiosk.model.flows["report"].address_state == "found", "addresses")
    kiosk.pump()
    assert "We found 2 addresses. Touch one to choose it." in kiosk.texts()
    kiosk.tap_action("address:addr-0002")

    assert kiosk.screen == "report_description"
    marker = f"hole {uuid.uuid4().hex[:8]}"
    kiosk.tap_action("field:description")
    assert kiosk.app.screen("report_description").ids.keyboard.kind == "letters"
    type_on_keys(kiosk, marker)
    kiosk.tap_action("next")

    assert kiosk.screen == "report_review"
    shown = " ".join(kiosk.texts())
    for part in ("Pothole", "Bigger than a tire", "35", "At the side of the road", "12 Elm Street"):
        assert part in shown, part
    assert marker in shown and "No updates, as you chose." in shown
    kiosk.tap_action("send_report")

    assert kiosk.screen == "confirmation"
    item = kiosk.model.last_submission
    # Delivery can be quicker than this look: the city's number may already be under it.
    assert any(text.startswith(f"Your reference: {item.reference}") for text in kiosk.texts())
    receipt = kiosk.model.print_jobs.document(kiosk.model.receipt_job_id)
    assert receipt["reference"] == item.reference and receipt["service"] == "Problem report"
    assert receipt["tracking_url"].endswith(item.reference)  # the QR code's address
    assert ["Where", "12 Elm Street"] in [list(pair) for pair in receipt["details"]]
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "delivery", WAIT_S)
    [made] = requests_described(kiosk, marker)
    assert (made["service_code"], made["address_id"]) == ("pothole", "addr-0002")
    number = f"City request number: {made['service_request_id']}"
    kiosk.wait_until(lambda: any(number in text for text in kiosk.texts()), "the city's number")


def test_errors_stand_beside_their_own_fields_and_nothing_typed_is_lost(kiosk):
    open_report(kiosk)
    choose(kiosk, "noise", "noise")  # no questions: straight to where
    assert kiosk.screen == "report_location"
    assert "Next" in [w.text for w in kiosk.widgets() if getattr(w, "action", "") == "next"]
    kiosk.tap_action("near_kiosk")
    kiosk.tap_action("field:contact")
    type_on_keys(kiosk, "me@example")
    kiosk.tap_action("next")

    assert kiosk.screen == "report_description"
    assert error_beside(kiosk, "field:description") == "Please answer this question."
    assert error_beside(kiosk, "field:contact") == (
        "We could not read that as an email address or a phone number. Please check it."
    )
    assert kiosk.find("field:contact").text == "me@example"
    kiosk.tap_action("field:contact")
    type_on_keys(kiosk, ".org")
    kiosk.tap_action("field:description")
    type_on_keys(kiosk, "music all night")
    assert error_beside(kiosk, "field:description") == ""
    kiosk.tap_action("next")
    assert kiosk.screen == "report_review"
    assert any("m***@example.org" in text for text in kiosk.texts())
    kiosk.tap_action("change:report_description")
    assert kiosk.find("field:description").text == "music all night"
    kiosk.tap_action("next")
    assert kiosk.screen == "report_review"  # a change goes straight back to the review
    kiosk.tap_action("cancel")
    assert kiosk.screen == "home"
    assert kiosk.model.flows["report"].notes["description"] == ""


def test_a_date_and_time_are_chosen_and_typed_on_the_keypad(kiosk):
    open_report(kiosk)
    choose(kiosk, "streetlight", "streetlight")
    kiosk.tap_action("choice:problem:flickering")
    assert not visible(kiosk, "field:noticed_at:date")  # typed only for another day
    kiosk.tap_action("day:noticed_at:other")
    kiosk.tap_action("field:noticed_at:date")
    for digit in "20261120":
        kiosk.tap_action(f"key:{digit}")
    assert kiosk.find("field:noticed_at:date").text == "2026-11-20"
    kiosk.tap_action("field:noticed_at:time")
    for digit in "2590":
        kiosk.tap_action(f"key:{digit}")
    assert kiosk.find("field:noticed_at:time").text == "25:90"
    kiosk.tap_action("next")
    assert error_beside(kiosk, "field:noticed_at:time") == (
        "Please type the time as hours and minutes, from 00:00 to 23:59."
    )
    kiosk.tap_action("field:noticed_at:time")
    kiosk.tap_action("key:clear")
    for digit in "2130":
        kiosk.tap_action(f"key:{digit}")
    kiosk.tap_action("next")
    assert kiosk.screen == "report_location"
    answer = kiosk.model.flows["report"].answers["noticed_at"]
    assert (answer.date, answer.time) == ("2026-11-20", "21:30")
    kiosk.tap_action("cancel")


def test_switching_language_keeps_every_answer_and_shows_the_citys_spanish(kiosk):
    open_report(kiosk)
    choose(kiosk, "pothole", "pothole")
    kiosk.tap_action("choice:size:medium")
    kiosk.tap_action("field:depth_in")
    kiosk.tap_action("key:4")
    kiosk.tap_action("language:es")
    kiosk.wait_until(
        lambda: "¿Qué tan grande es el hoyo? *" in kiosk.texts(), "the city's Spanish questions"
    )
    assert kiosk.find("choice:size:medium").text == "• Más o menos del tamaño de una llanta"
    assert kiosk.find("field:depth_in").text == "4"
    assert "Volver" in [w.text for w in kiosk.widgets() if getattr(w, "action", "") == "back"]
    kiosk.tap_action("next")
    kiosk.tap_action("near_kiosk")
    kiosk.tap_action("field:description")
    type_on_keys(kiosk, "hoyo")
    kiosk.tap_action("language:en")
    assert kiosk.find("field:description").text == "hoyo"
    kiosk.tap_action("back")
    kiosk.tap_action("back")
    assert kiosk.screen == "report_details"
    assert kiosk.find("choice:size:medium").text == "• About as big as a tire"
    kiosk.tap_action("cancel")


def test_taking_the_card_out_mid_report_wipes_it(kiosk):
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.tap_action(f"demo_card:{next(i for i, label in enumerate(labels) if '(uid)' in label)}")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    open_report(kiosk)
    choose(kiosk, "pothole", "pothole")
    kiosk.tap_action("choice:size:small")
    kiosk.tap_action("next")
    kiosk.tap_action("near_kiosk")
    kiosk.tap_action("field:description")
    type_on_keys(kiosk, "private")

    kiosk.model.remove_demo_card()  # the resident walks off with the card
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the attract screen")
    flow = kiosk.model.flows["report"]
    assert flow.answers == {} and flow.location is None and flow.notes["description"] == ""
    assert kiosk.model.session.identity is None
    assert "private" not in [w.text for w in kiosk.widgets() if hasattr(w, "text")]
    open_report(kiosk)  # the next person starts from nothing
    choose(kiosk, "pothole", "pothole")
    assert kiosk.find("choice:size:small").text == "Smaller than a plate"
    kiosk.tap_action("cancel")


@pytest.fixture
def pothole_asks_more(kiosk):
    """The city adds a required question after the kiosk learnt the pothole's."""
    portal = kiosk.runtime.demo_portal
    changed = copy.deepcopy(POTHOLE)
    changed["attributes"].append(
        {
            "variable": True,
            "code": "photo_taken",
            "order": 9,
            "datatype": "string",
            "required": True,
            "description": {"en": "Photo number", "es": "Número de foto"},
            "datatype_description": {"en": "", "es": ""},
        }
    )
    yield lambda: portal.store.put_open311_service(1, changed)
    kiosk.runtime.demo_portal.store.put_open311_service(1, POTHOLE)


def test_a_report_the_city_refuses_is_told_plainly(kiosk, pothole_asks_more):
    open_report(kiosk)
    marker = f"refused {uuid.uuid4().hex[:8]}"
    pothole_to_review(kiosk, marker)
    pothole_asks_more()
    kiosk.tap_action("send_report")
    assert kiosk.screen == "confirmation"
    kiosk.wait_until(lambda: REFUSED in kiosk.texts(), "the refusal", WAIT_S)
    item = kiosk.model.outbox.find(kiosk.model.last_submission.idempotency_key)
    assert item.state == "needs_attention"
    assert "attribute[photo_taken] is required" in item.last_error
    assert requests_described(kiosk, marker) == []


def test_with_the_portal_down_a_report_is_queued_and_sent_once_later(kiosk):
    runtime = kiosk.runtime
    portal = runtime.demo_portal
    port = int(portal.url.rsplit(":", 1)[1])
    open_report(kiosk)  # seen online: the list and the pothole's questions are kept
    choose(kiosk, "pothole", "pothole")
    kiosk.tap_action("cancel")
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    portal.stop()  # the library's network goes down
    marker = f"offline {uuid.uuid4().hex[:8]}"
    try:
        open_report(kiosk)  # from what the kiosk kept
        choose(kiosk, "pothole", "pothole")
        kiosk.tap_action("choice:size:medium")
        kiosk.tap_action("next")
        kiosk.tap(kiosk.app.screen("report_location").ids.address)
        type_on_keys(kiosk, "12 elm")
        kiosk.tap_action("find_address")
        kiosk.wait_until(
            lambda: kiosk.model.flows["report"].address_state == "error",
            "the failed search",
            WAIT_S,
        )
        kiosk.pump()
        assert any(t.startswith("We cannot search addresses right now.") for t in kiosk.texts())
        kiosk.tap_action("use_typed_address")
        kiosk.tap_action("field:description")
        type_on_keys(kiosk, marker)
        kiosk.tap_action("next")
        kiosk.tap_action("send_report")
        kiosk.wait_until(lambda: QUEUED in kiosk.texts(), "the queued confirmation", WAIT_S)
    finally:
        back = start_portal(
            portal.db_path, port=port, seed_demo=False, token=portal.token, device_id="demo-kiosk"
        )
        runtime.demo_portal = back
        runtime.closers.insert(0, back.stop)
    runtime.sync.wake()
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "delivery after reconnecting", WAIT_S)
    [made] = requests_described(kiosk, marker)
    assert made["address"] == "12 elm"

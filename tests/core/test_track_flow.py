"""Tracking a request in the Kivy-free model, against the real reference portal."""

from __future__ import annotations

import pytest
from resident_kit import MARIA, build_kiosk, close_kiosk

from kiosk.flows.track import TRACK, TRACK_MINE, TRACK_RESULT
from kiosk.model import HOME


@pytest.fixture
def kiosk(tmp_path):
    kiosk = build_kiosk(tmp_path)
    kiosk.model.start_session()
    yield kiosk
    close_kiosk(kiosk)


def open_tracking(kiosk):
    kiosk.model.open_service("track_request")
    assert kiosk.model.screen == TRACK
    return kiosk.model.flows["track"]


def test_a_typed_number_shows_its_history_and_latest_note_in_plain_words(kiosk):
    flow = open_tracking(kiosk)
    flow.type_reference(" lf-000001 ")
    flow.check()

    assert kiosk.model.screen == TRACK_RESULT
    item = flow.item
    assert item["tracking_number"] == "LF-000001" and item["title"] == "Pothole"
    assert flow.status_text(item["status"]) == "Closed: the city has finished."
    assert flow.latest_note_text(item) == "Latest note from the city: Fixed: the hole was filled."
    steps = flow.history_lines(item)
    assert [status for _day, status, _note in steps] == [
        "Closed: the city has finished.",
        "Open: the city is working on it.",
        "Open: the city is working on it.",
    ]
    assert steps[-1][2] == "Received. Thank you for telling us."
    spoken = kiosk.model.describe()
    assert "Pothole." in spoken and "Fixed: the hole was filled." in spoken


def test_a_scanned_receipt_address_gives_its_reference_in_spanish(kiosk):
    kiosk.model.choose_language("es")
    flow = open_tracking(kiosk)
    flow.type_reference(kiosk.model.tracking_url("LF-000002"))
    flow.check()

    assert flow.typed == "LF-000002"
    assert kiosk.model.screen == TRACK_RESULT
    assert flow.status_text(flow.item["status"]) == "Abierto: la ciudad está trabajando en ello."
    assert flow.item["latest_note"] == "Ya hay un equipo programado."


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("https://example.com/track/LF-000001", "foreign"),
        ("not a number!", "malformed"),
        ("ab", "malformed"),
    ],
)
def test_another_sites_code_or_garbage_is_refused_without_asking_the_portal(kiosk, typed, state):
    flow = open_tracking(kiosk)
    flow.type_reference(typed)
    flow.check()

    assert kiosk.model.screen == TRACK and flow.state == state
    assert flow.typed == typed.strip()  # nothing the resident typed is lost


def test_an_address_of_ours_around_garbage_is_malformed(kiosk):
    flow = open_tracking(kiosk)
    flow.type_reference(kiosk.model.tracking_url("x/../../api"))
    flow.check()
    assert flow.state == "malformed"


def test_an_unknown_number_is_not_found_and_stays_typed(kiosk):
    flow = open_tracking(kiosk)
    flow.type_reference("LF-999999")
    flow.check()

    assert kiosk.model.screen == TRACK and flow.state == "not_found"
    assert flow.typed == "LF-999999"
    assert flow.message().startswith("We could not find this number.")


def test_portal_down_says_it_cannot_check_now_and_nothing_is_lost(kiosk):
    flow = open_tracking(kiosk)
    flow.type_reference("LF-000001")
    kiosk.portal_down()
    flow.check()

    assert flow.state == "unavailable"
    assert "Nothing you sent is lost." in flow.message()
    assert flow.typed == "LF-000001"


def test_a_kiosk_reference_is_known_here_while_queued_then_at_the_portal(kiosk):
    """A report made offline: its receipt's K- number says it is saved here; once
    delivered, the portal finds it through the key this kiosk queued it under."""
    kiosk.portal_down()
    item = kiosk.model.submit(
        "service_request",
        {"service_code": "graffiti", "address_id": "addr-0002", "attributes": {
            "surface": ["wall"], "offensive": "no"}},
        receipt={"service": "Report"},
    )  # fmt: skip
    kiosk.model.go_home()
    flow = open_tracking(kiosk)
    flow.type_reference(item.reference.replace("-", "").lower())  # typed sloppily
    flow.check()
    assert flow.typed == item.reference
    assert flow.state == "queued_here"
    assert "Nothing is lost." in flow.message()

    kiosk.portal_back()
    assert kiosk.sync.drain()
    flow.check()
    assert kiosk.model.screen == TRACK_RESULT
    assert flow.item["kind"] == "service_request"
    assert flow.item["tracking_number"].startswith("LF-")
    assert flow.status_text(flow.item["status"]) == "Open: the city is working on it."


def test_my_requests_and_payments_for_an_identified_resident(kiosk):
    kiosk.insert(MARIA)
    flow = open_tracking(kiosk)
    assert "My requests and payments" in kiosk.model.describe()
    flow.show_mine()

    assert kiosk.model.screen == TRACK_MINE and flow.mine_state == "found"
    numbers = [item["tracking_number"] for item in flow.mine]
    assert numbers == ["LF-000002", "LF-000001"]
    flow.choose(1)
    assert kiosk.model.screen == TRACK_RESULT and flow.item["tracking_number"] == "LF-000001"
    flow.back()
    assert kiosk.model.screen == TRACK_MINE
    flow.back()
    assert kiosk.model.screen == TRACK


def test_my_requests_need_a_card_and_say_when_the_portal_is_down(kiosk):
    flow = open_tracking(kiosk)
    flow.show_mine()  # a guest has no "mine"
    assert kiosk.model.screen == TRACK
    kiosk.insert(MARIA)
    kiosk.portal_down()
    flow.show_mine()
    assert flow.mine_state == "unavailable" and flow.mine == []
    assert flow.mine_text().startswith("We cannot show your requests and payments right now")


def test_language_switch_keeps_what_was_typed_and_cancel_forgets_it(kiosk):
    flow = open_tracking(kiosk)
    flow.type_reference("LF-00000")
    kiosk.model.choose_language("es")
    assert flow.typed == "LF-00000"
    assert kiosk.model.language == "es" and kiosk.model.screen == TRACK
    kiosk.model.cancel_service()
    assert kiosk.model.screen == HOME and flow.typed == ""


def test_taking_the_card_out_wipes_the_tracking(kiosk):
    kiosk.insert(MARIA)
    flow = open_tracking(kiosk)
    flow.show_mine()
    assert flow.mine
    kiosk.remove_card()
    assert kiosk.model.screen == "attract"
    assert flow.mine == [] and flow.item is None and flow.typed == ""

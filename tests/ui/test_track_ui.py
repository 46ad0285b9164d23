"""Tracking a request as a resident does it: the number typed on the keyboard or the
receipt's QR code scanned, and "My requests and payments" with a card."""

from __future__ import annotations

from kivy.core.window import Window

from portal.server import start_portal

NOT_OURS = "This QR code is not from one of our receipts."
NOT_FOUND = "We could not find this number."
CANNOT_CHECK = "We cannot check this right now: the city's service is not answering."


def open_tracking(kiosk) -> None:
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action("service:track_request")
    assert kiosk.screen == "track"


def field(kiosk):
    return kiosk.app.screen("track").ids.number


def type_keys(kiosk, text: str) -> None:
    for character in text:
        kiosk.tap_action(f"key:{character.upper()}")


def scan(text: str) -> None:
    """A USB scanner: keystrokes into whatever has the focus, then Enter."""
    for character in text:
        Window.dispatch("on_textinput", character)
    Window.dispatch("on_key_down", 13, 40, "\r", [])
    Window.dispatch("on_key_up", 13, 40)


def message(kiosk) -> str:
    return kiosk.app.screen("track").ids.message.text


def test_a_typed_number_shows_the_history_and_the_citys_latest_note(kiosk):
    open_tracking(kiosk)
    type_keys(kiosk, "lf-000001")
    assert field(kiosk).text == "lf-000001"
    kiosk.tap_action("track_check")

    kiosk.wait_until(lambda: kiosk.screen == "track_result", "the result")
    kiosk.pump()
    texts = kiosk.texts()
    assert "Pothole" in texts
    assert "Closed: the city has finished." in texts
    assert "Latest note from the city: Fixed: the hole was filled." in texts
    assert "Received. Thank you for telling us." in texts  # the oldest step, at the bottom
    kiosk.tap_action("back")
    assert kiosk.screen == "track" and field(kiosk).text == "LF-000001"
    kiosk.tap_action("cancel")
    assert kiosk.screen == "home"


def test_scanning_the_receipts_qr_code_opens_its_status(kiosk):
    open_tracking(kiosk)
    scan(kiosk.model.tracking_url("LF-000002"))
    kiosk.wait_until(lambda: kiosk.screen == "track_result", "the scanned request")
    kiosk.pump()
    assert "Latest note from the city: A crew is scheduled." in kiosk.texts()


def test_another_sites_code_or_garbage_is_explained_and_kept(kiosk):
    open_tracking(kiosk)
    scan("https://example.com/track/LF-000001")
    kiosk.pump()
    assert kiosk.screen == "track" and message(kiosk).startswith(NOT_OURS)
    assert field(kiosk).text == "https://example.com/track/LF-000001"
    kiosk.tap_action("key:clear")
    type_keys(kiosk, "'")
    kiosk.tap_action("track_check")
    assert message(kiosk).startswith("This does not look like a receipt number.")


def test_an_unknown_number_is_not_found(kiosk):
    open_tracking(kiosk)
    type_keys(kiosk, "LF-999999")
    kiosk.tap_action("track_check")
    kiosk.wait_until(lambda: message(kiosk).startswith(NOT_FOUND), "not found")
    assert kiosk.screen == "track" and field(kiosk).text == "LF-999999"  # as checked


def test_portal_down_says_it_cannot_be_checked_now_then_works_again(kiosk):
    runtime = kiosk.runtime
    portal = runtime.demo_portal
    port = int(portal.url.rsplit(":", 1)[1])
    open_tracking(kiosk)
    type_keys(kiosk, "LF-000001")
    portal.stop()
    try:
        kiosk.tap_action("track_check")
        kiosk.wait_until(lambda: message(kiosk).startswith(CANNOT_CHECK), "the outage", 30)
        assert "Nothing you sent is lost." in message(kiosk)
        assert field(kiosk).text == "LF-000001"
    finally:
        back = start_portal(
            portal.db_path, port=port, seed_demo=False, token=portal.token, device_id="demo-kiosk"
        )
        runtime.demo_portal = back
        runtime.closers.insert(0, back.stop)
    kiosk.tap_action("track_check")
    kiosk.wait_until(lambda: kiosk.screen == "track_result", "the result once back", 30)


def test_language_switch_keeps_the_number(kiosk):
    open_tracking(kiosk)
    type_keys(kiosk, "LF-00000")
    kiosk.tap_action("language:es")
    assert field(kiosk).text == "lf-00000"  # the keyboard types lower case
    assert kiosk.model.flows["track"].typed == "lf-00000"
    kiosk.tap_action("language:en")
    type_keys(kiosk, "4")
    kiosk.tap_action("track_check")
    kiosk.wait_until(lambda: kiosk.screen == "track_result", "the result")


def test_my_requests_and_payments_with_a_card_and_removing_it_wipes_them(kiosk):
    open_tracking(kiosk)
    assert not kiosk.app.screen("track").identified  # a guest has no list of their own
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.model.demo_insert_card(next(i for i, label in enumerate(labels) if "(uid)" in label))
    kiosk.wait_until(lambda: kiosk.app.screen("track").identified, "the card")
    kiosk.tap_action("track_mine")
    flow = kiosk.model.flows["track"]
    kiosk.wait_until(lambda: flow.mine_state == "found", "Maria's requests")
    kiosk.pump()
    assert any(text.startswith("[b]Street light problem") for text in kiosk.texts()), kiosk.texts()
    kiosk.tap_action("tracked:0")
    assert kiosk.screen == "track_result"
    kiosk.tap_action("back")
    assert kiosk.screen == "track_mine"

    kiosk.model.demo_remove_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")
    assert flow.mine == [] and flow.item is None

"""Help as a resident uses it: the bar's Help button on any screen, questions and
answers searched with the on-screen keyboard, and "Call for help"."""

from __future__ import annotations

import pytest
from portal_outage import labels_with, portal_down

from kiosk.flows.help import HELP_REQUEST_KIND, REPEAT_CALL_S
from offline.alerts import HELP_REQUESTED

CALLED = "Staff have been told. Someone is coming to help you. Please stay here."
ALREADY = "Help is already on its way."
CASH = "Can I pay with cash at this kiosk?"


@pytest.fixture
def helping(kiosk):
    """The kiosk, with no call for help in the last few minutes, and none left over."""
    kiosk.clock.now += REPEAT_CALL_S  # before the visit starts: nobody times out
    yield kiosk
    kiosk.model.alerts.acknowledge(HELP_REQUESTED)


def help_calls(kiosk) -> list:
    """Every call queued so far, oldest first."""
    items = kiosk.model.outbox.summaries(limit=1_000_000)
    return [item for item in items if item.kind == HELP_REQUEST_KIND]


def help_alerts(kiosk) -> list:
    return [alert for alert in kiosk.model.alerts.active() if alert.kind == HELP_REQUESTED]


def type_on_keys(kiosk, word: str) -> None:
    if not kiosk.app.screen(kiosk.screen).keyboard_shown:
        kiosk.tap_action("keyboard")
    for letter in word.upper():
        kiosk.tap_action(f"key:{letter}")


def test_help_answers_questions_and_a_call_brings_staff(helping):
    kiosk = helping
    calls_before = len(help_calls(kiosk))
    kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")
    kiosk.tap_action("help")
    assert kiosk.screen == "help"
    assert "Touch Finish when you are done. We clear your information." in kiosk.texts()

    type_on_keys(kiosk, "cash")
    assert kiosk.app.screen("help").ids.search.text == "cash"
    assert labels_with(kiosk, CASH)
    assert not labels_with(kiosk, "Touch Finish when you are done.")

    kiosk.tap_action("call_for_help")
    assert CALLED in kiosk.texts()
    [call] = help_calls(kiosk)[calls_before:]
    payload = kiosk.model.outbox.payload(call.idempotency_key)
    assert (payload["screen"], payload["service_id"]) == ("pay_bill", "pay_bill")
    assert len(help_alerts(kiosk)) == 1

    kiosk.tap_action("back")
    assert kiosk.screen == "pay_bill"  # where the resident was, as they left it


def test_a_second_call_says_help_is_already_coming(helping):
    kiosk = helping
    kiosk.tap_action("start")
    kiosk.tap_action("service:help")
    kiosk.tap_action("call_for_help")
    calls = len(help_calls(kiosk))

    kiosk.tap_action("call_for_help")

    assert labels_with(kiosk, ALREADY)
    assert len(help_calls(kiosk)) == calls and len(help_alerts(kiosk)) == 1


def test_a_call_while_offline_is_queued_and_staff_are_alerted(helping):
    kiosk = helping
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    with portal_down(kiosk):
        kiosk.tap_action("start")
        kiosk.tap_action("help")
        type_on_keys(kiosk, "receipt")  # loaded before the outage: still answered
        assert labels_with(kiosk, "What if the receipt does not print?")
        kiosk.tap_action("call_for_help")

        assert CALLED in kiosk.texts()
        [call] = help_calls(kiosk)[-1:]
        assert kiosk.model.outbox.find(call.idempotency_key).state == "pending"
        assert len(help_alerts(kiosk)) == 1
    store = kiosk.runtime.demo_portal.store
    kiosk.wait_until(
        lambda: store.query(
            "SELECT 1 FROM help_requests WHERE idempotency_key = ?", (call.idempotency_key,)
        ),
        "the call to reach the portal",
        30,
    )


def test_words_that_match_nothing_are_answered_plainly(helping):
    kiosk = helping
    kiosk.tap_action("start")
    kiosk.tap_action("help")
    type_on_keys(kiosk, "zzz")

    assert labels_with(kiosk, "No answer matches your words.")
    assert not labels_with(kiosk, CASH)


def test_a_language_switch_keeps_the_search_text(helping):
    kiosk = helping
    kiosk.tap_action("start")
    kiosk.tap_action("help")
    type_on_keys(kiosk, "efectivo")

    kiosk.tap_action("language:es")

    assert kiosk.app.screen("help").ids.search.text == "efectivo"
    assert labels_with(kiosk, "¿Puedo pagar en efectivo en este quiosco?")
    assert "Ayuda" in kiosk.texts()


def test_taking_the_card_out_wipes_the_search(helping):
    kiosk = helping
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.tap_action(f"demo_card:{next(i for i, x in enumerate(labels) if '(uid)' in x)}")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    kiosk.tap_action("help")
    type_on_keys(kiosk, "minutes")
    assert labels_with(kiosk, "The written record of what was said")

    kiosk.model.demo_remove_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")

    kiosk.tap_action("start")
    kiosk.tap_action("help")
    assert kiosk.app.screen("help").ids.search.text == ""
    assert "Touch Finish when you are done. We clear your information." in kiosk.texts()

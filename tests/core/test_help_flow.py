"""Help in the model: questions and answers from the reference portal (kept for offline
use), searchable in the resident's language, and "Call for help", which queues a
help request and raises an alert for staff, once in a few minutes."""

from __future__ import annotations

import json

import pytest

from kiosk.flows.help import HELP, HELP_REQUEST_KIND, REPEAT_CALL_S
from kiosk.model import ATTRACT, HOME
from offline.alerts import HELP_REQUESTED
from provisioning import queue_cli
from tests.core.content_kiosk import ContentKiosk

CASH_QUESTION = "Can I pay with cash at this kiosk?"


@pytest.fixture
def kiosk(tmp_path, clock, portal):
    kiosk = ContentKiosk(tmp_path, clock, portal)
    yield kiosk
    kiosk.close()


def help_alerts(kiosk) -> list:
    return [alert for alert in kiosk.alerts.active() if alert.kind == HELP_REQUESTED]


def test_the_help_service_shows_how_to_and_searchable_answers(kiosk):
    model = kiosk.model
    model.open_service("help")
    flow = model.flows["help"]

    assert model.screen == HELP and flow.content_state == "ready"
    assert "Touch Finish when you are done. We clear your information." in flow.how_to_use()
    flow.search("CASH")
    assert [question for question, _answer in flow.questions()] == [CASH_QUESTION]
    flow.search("minutes")
    assert flow.glossary()[0][0] == "Minutes"
    assert "The written record of what was said" in model.describe()


def test_a_language_switch_keeps_the_search_and_answers_in_spanish(kiosk):
    model = kiosk.model
    model.open_service("help")
    flow = model.flows["help"]
    flow.search("efectivo")

    model.choose_language("es")

    assert flow.query == "efectivo"
    assert flow.questions()[0][0] == "¿Puedo pagar en efectivo en este quiosco?"
    assert "¿Puedo pagar en efectivo" in model.describe()


def test_words_that_match_nothing_say_so_and_point_to_a_person(kiosk):
    flow = kiosk.model.flows["help"]
    kiosk.model.open_service("help")
    flow.search("volcano")

    assert flow.questions() == [] and flow.glossary() == []
    assert flow.content_text() == (
        "No answer matches your words. Try another word, or call for help."
    )


def test_answers_loaded_once_still_show_with_the_portal_down(kiosk, tmp_path, clock, portal):
    kiosk.model.open_service("help")  # loaded and kept in the kiosk's cache
    kiosk.close()
    restarted = ContentKiosk(tmp_path, clock, portal, up=False)
    try:
        restarted.model.open_service("help")  # the catalogue, too, from the cache
        flow = restarted.model.flows["help"]
        flow.search("cash")
        assert flow.content_state == "ready" and flow.content_from_cache
        assert [question for question, _answer in flow.questions()] == [CASH_QUESTION]
    finally:
        restarted.close()


def test_a_kiosk_that_never_reached_the_portal_still_helps(tmp_path, clock, portal):
    kiosk = ContentKiosk(tmp_path, clock, portal, up=False)
    try:
        kiosk.model.open_help()  # the bar's button: there is no catalogue either
        flow = kiosk.model.flows["help"]
        assert flow.content_state == "unavailable" and flow.questions() == []
        assert flow.content_text().startswith("Questions and answers cannot be loaded")
        assert len(flow.how_to_use()) == 6
        flow.call_for_help()
        assert flow.call_state == "called"
    finally:
        kiosk.close()


def test_call_for_help_queues_where_the_resident_is_and_alerts_staff(kiosk):
    model = kiosk.model
    model.choose_language("es")
    model.open_service("pay_bill")
    model.open_help()  # the bar's Help button, on the pay-bill screen

    model.flows["help"].call_for_help()

    [request] = kiosk.queued(HELP_REQUEST_KIND)
    assert request == {
        "kiosk_id": model.config.get("kiosk", "id"),
        "screen": "pay_bill",
        "service_id": "pay_bill",
        "locale": "es",
    }
    [alert] = help_alerts(kiosk)
    assert "pay_bill" in alert.detail
    assert kiosk.sync.woken >= 1
    assert model.flows["help"].call_text().startswith("Ya avisamos al personal")  # in Spanish
    model.flows["help"].close()
    assert model.screen == "pay_bill"


def test_a_second_call_within_minutes_only_says_help_is_coming(kiosk, clock):
    model = kiosk.model
    flow = model.flows["help"]
    model.open_service("help")
    flow.call_for_help()
    clock.now += 60
    flow.call_for_help()

    assert flow.call_state == "already"
    assert flow.call_text().startswith("Help is already on its way.")
    assert len(kiosk.queued(HELP_REQUEST_KIND)) == 1 and len(help_alerts(kiosk)) == 1

    # The next resident cannot send staff twice either...
    model.end_session("card removed")
    model.start_session()
    model.open_service("help")
    clock.now += 60
    flow.call_for_help()
    assert flow.call_state == "already"
    # ...but after a few minutes with nobody there, a call goes out again.
    clock.now += REPEAT_CALL_S - 120
    flow.call_for_help()
    assert flow.call_state == "called"
    assert len(kiosk.queued(HELP_REQUEST_KIND)) == 2 and len(help_alerts(kiosk)) == 2


def test_a_call_while_offline_is_queued_and_the_alert_raised(kiosk):
    kiosk.portal_down()
    kiosk.model.open_service("help")
    kiosk.model.flows["help"].call_for_help()

    assert kiosk.model.flows["help"].call_state == "called"
    assert [r["screen"] for r in kiosk.queued(HELP_REQUEST_KIND)] == [HOME]
    assert kiosk.queued(HELP_REQUEST_KIND)[0]["service_id"] is None
    assert kiosk.outbox.counts()["pending"] == 1
    assert len(help_alerts(kiosk)) == 1


def test_staff_see_the_call_in_kiosk_queue_and_acknowledge_it(kiosk, tmp_path, capsys):
    kiosk.model.open_service("help")
    kiosk.model.flows["help"].call_for_help()

    assert queue_cli.main(["--data-dir", str(tmp_path), "--json", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [alert["kind"] for alert in status["alerts"]] == [HELP_REQUESTED]
    assert queue_cli.main(["--data-dir", str(tmp_path), "ack", HELP_REQUESTED]) == 0
    assert help_alerts(kiosk) == []


def test_the_end_of_the_visit_forgets_the_search_and_the_call(kiosk):
    model = kiosk.model
    flow = model.flows["help"]
    model.open_service("help")
    flow.search("receipt")
    flow.call_for_help()

    model.end_session("card removed")

    assert model.screen == ATTRACT
    assert flow.query == "" and flow.call_state == ""
    assert model.session.recall("help.query") is None

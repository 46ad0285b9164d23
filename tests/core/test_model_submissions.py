"""Submissions in the model: queued durably, confirmed honestly, payments gated."""

import pytest

from kiosk.config import load_config
from kiosk.model import COMING_SOON, CONFIRMATION, SURVEY, KioskModel
from kiosk.speech import SilentSpeaker
from offline.alerts import DATABASE_QUARANTINED, Alerts
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Delivery, Outbox
from offline.sync import SyncStatus

SURVEY_SERVICE = {
    "id": "survey",
    "category": "help",
    "order": 2,
    "title": {"en": "Tell us what you think", "es": "Denos su opinión"},
    "summary": {"en": "A short survey", "es": "Una encuesta corta"},
    "keywords": {},
}


class DocumentPortal:
    def __init__(self, document):
        self.document = document

    def catalogue(self):
        return self.document


class Waker:
    def __init__(self):
        self.woken = 0

    def wake(self):
        self.woken += 1


@pytest.fixture
def parts(tmp_path, clock, catalogue_document):
    document = catalogue_document
    document["services"].append(SURVEY_SERVICE)
    db = open_database(tmp_path / "kiosk.db")
    outbox = Outbox(db, PayloadCipher(load_or_create_key(tmp_path / "key")))
    alerts = Alerts(db)
    waker = Waker()
    model = KioskModel(
        load_config(None, demo=True),
        portal=DocumentPortal(document),
        speaker=SilentSpeaker(),
        outbox=outbox,
        alerts=alerts,
        sync=waker,
        clock=clock,
    )
    model.load_catalogue()
    model.start_session()
    yield model, outbox, alerts, waker
    db.close()


def test_a_survey_is_queued_encrypted_and_confirmed_with_its_reference(parts):
    model, outbox, _alerts, waker = parts
    model.open_service("survey")
    assert model.screen == SURVEY
    model.answer_survey("ease", "easy")
    model.answer_survey("found_service", "no")
    model.submit_survey()

    assert model.screen == CONFIRMATION and waker.woken == 1
    [item] = outbox.next_batch(5)
    assert item.kind == "survey_response" and item.reference == model.last_submission.reference
    assert item.payload["answers"] == {"ease": "easy", "found_service": "no"}
    assert item.payload["locale"] == "en"
    heading, status, reference = model.confirmation_lines()
    assert reference == f"Your reference: {item.reference}"
    assert item.reference in model.describe()


def test_the_confirmation_follows_the_queue(parts):
    model, outbox, _alerts, _waker = parts
    model.open_service("survey")
    model.answer_survey("ease", "hard")
    model.submit_survey()

    model.sync_status_changed(SyncStatus(False, {"pending": 1}))
    assert model.confirmation_lines()[1] == "Queued: it will be sent when the connection returns."
    assert model.connection_text().startswith("Offline:")
    model.choose_language("es")
    assert model.confirmation_lines()[1] == "En cola: se enviará cuando vuelva la conexión."
    model.choose_language("en")

    with outbox.transaction():
        outbox.record([Delivery(model.last_submission.idempotency_key, "created", 201)])
    model.sync_status_changed(SyncStatus(True, {"pending": 0}))
    assert model.confirmation_lines()[1] == "It has reached the city."
    assert model.connection_text() == "Online"


def test_survey_answers_are_optional_kept_across_languages_and_wiped_at_the_end(parts):
    model, outbox, _alerts, _waker = parts
    model.open_service("survey")
    model.submit_survey()  # nothing answered: nothing to send
    assert model.screen == SURVEY and outbox.counts()["pending"] == 0

    model.answer_survey("ease", "easy")
    model.choose_language("es")
    model.go_home()
    model.open_service("survey")
    assert model.survey.answers == {"ease": "easy"}
    model.answer_survey("ease", "easy")  # a second touch clears it
    assert model.survey.answers == {}
    with pytest.raises(ValueError):
        model.answer_survey("ease", "fantastic")

    model.answer_survey("found_service", "partly")
    model.end_session("finished")
    model.start_session()
    model.open_service("survey")
    assert model.survey.answers == {}


def test_payments_are_refused_before_charging_when_storage_is_short(parts):
    model, outbox, _alerts, _waker = parts
    outbox.max_unsent = 0
    model.open_service("pay_bill")

    assert model.screen == COMING_SOON
    assert model.unavailable_title() == "Not available right now"
    assert "No money has been taken." in model.unavailable_text()
    assert "No money has been taken." in model.describe()


def test_payments_are_refused_while_a_quarantine_alert_is_active(parts):
    model, _outbox, alerts, _waker = parts
    alerts.raise_alert(DATABASE_QUARANTINED, "moved")
    model.open_service("pay_bill")
    assert "switched off" in model.unavailable_text()

    alerts.acknowledge(DATABASE_QUARANTINED)
    model.open_service("pay_bill")
    assert model.unavailable_title() == "Not available here yet"

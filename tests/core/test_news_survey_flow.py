"""News and notices for the home screen, and the short survey a confirmation offers
after a completed service: optional, skippable, queued offline, naming the service."""

from __future__ import annotations

import pytest

from kiosk import flows
from kiosk.flows.base import Flow
from kiosk.flows.news import NEWS
from kiosk.model import CONFIRMATION, HOME, SURVEY
from kiosk.survey import SURVEY_KIND
from tests.core.content_kiosk import ContentKiosk

ROAD_WORKS = "Notice: Linden Road is closed near City Hall until next week"


class NoteFlow(Flow):
    """A service as every flow ends one: ``model.submit`` queues it and confirms."""

    name = "note"
    service_ids = ("permits",)
    screens = ("note_form",)

    def open(self, service_id):
        self.go("note_form")

    def send(self):
        self.model.submit("note", {"text": "a dog licence"}, receipt={"service": "Note"})


@pytest.fixture
def kiosk(tmp_path, clock, portal, monkeypatch):
    monkeypatch.setattr("kiosk.model.FLOW_CLASSES", [NoteFlow, *flows.FLOW_CLASSES])
    kiosk = ContentKiosk(tmp_path, clock, portal)
    yield kiosk
    kiosk.close()


def complete_a_service(kiosk):
    kiosk.model.open_service("permits")
    kiosk.model.flows["note"].send()
    assert kiosk.model.screen == CONFIRMATION
    return kiosk.model.last_submission


def test_the_home_screen_has_the_newest_notice_and_all_news_a_tap_away(kiosk):
    model = kiosk.model
    news = model.flows["news"]

    assert news.headline() == ROAD_WORKS
    assert ROAD_WORKS in model.describe()  # the home screen, spoken
    news.show_all()
    assert model.screen == NEWS
    assert [entry.id for entry in news.entries()][:2] == ["news-road-works", "news-holiday-hours"]
    assert "Workers are fixing a water pipe." in model.describe()
    model.choose_language("es")
    assert news.entries()[0].title.startswith("Linden Road está cerrada")
    model.cancel_service()
    assert model.screen == HOME


def test_news_seen_once_still_shows_with_the_portal_down(kiosk, tmp_path, clock, portal):
    kiosk.close()
    offline = ContentKiosk(tmp_path, clock, portal, up=False)
    try:
        news = offline.model.flows["news"]
        assert news.headline() == ROAD_WORKS and news.from_cache
        assert news.status_text().startswith("Saved earlier")
    finally:
        offline.close()


def test_with_no_news_ever_loaded_the_strip_stays_away(tmp_path, clock, portal):
    offline = ContentKiosk(tmp_path, clock, portal, up=False)
    try:
        news = offline.model.flows["news"]
        assert news.state == "unavailable" and news.headline() == ""
        assert news.status_text() == "News cannot be loaded right now. Please try again later."
    finally:
        offline.close()


def test_a_survey_after_a_service_is_queued_with_the_service_and_no_receipt(kiosk):
    model = kiosk.model
    submission = complete_a_service(kiosk)
    assert model.survey_offer() == "permits"
    assert "Would you tell us how it went?" in model.describe()
    jobs_before = len(kiosk.jobs.recent())

    model.start_offered_survey()
    assert model.screen == SURVEY and model.survey_follows() == "permits"
    model.answer_survey("ease", "easy")
    model.choose_language("es")  # the answer stays
    woken = kiosk.sync.woken
    model.submit_survey()

    assert kiosk.sync.woken == woken + 1  # sent now, if the portal answers
    [answers] = kiosk.queued(SURVEY_KIND)
    assert answers["service_id"] == "permits" and answers["answers"] == {"ease": "easy"}
    assert answers["locale"] == "es"
    assert "kiosk_reference" not in answers  # anonymous: not tied to the submission
    assert len(kiosk.jobs.recent()) == jobs_before  # no receipt for answers
    assert model.screen == CONFIRMATION and model.last_submission == submission
    assert model.survey_offer() is None
    assert model.survey_offer_text() == model._("Thank you for your answers.")


def test_skipping_the_survey_sends_nothing_and_it_is_not_offered_again(kiosk):
    model = kiosk.model
    complete_a_service(kiosk)
    model.start_offered_survey()
    model.answer_survey("ease", "hard")

    model.skip_survey()

    assert model.screen == CONFIRMATION and model.survey_offer_text() == ""
    assert kiosk.queued(SURVEY_KIND) == []
    complete_a_service(kiosk)
    assert model.survey_offer() is None  # once a visit
    model.end_session("finished")
    model.start_session()
    complete_a_service(kiosk)
    assert model.survey_offer() == "permits"  # the next resident is asked


def test_answers_are_queued_while_offline(kiosk):
    model = kiosk.model
    complete_a_service(kiosk)
    kiosk.portal_down()
    model.start_offered_survey()
    model.answer_survey("found_service", "yes")
    model.submit_survey()

    assert [a["answers"] for a in kiosk.queued(SURVEY_KIND)] == [{"found_service": "yes"}]
    assert kiosk.outbox.counts()["pending"] == 2  # the service and the answers


def test_an_unanswered_survey_cannot_be_sent(kiosk):
    model = kiosk.model
    complete_a_service(kiosk)
    model.start_offered_survey()
    model.submit_survey()

    assert model.screen == SURVEY and kiosk.queued(SURVEY_KIND) == []


def test_the_catalogue_survey_is_not_followed_by_another_offer(kiosk):
    model = kiosk.model
    model.open_service("survey")
    model.answer_survey("ease", "very_easy")
    model.submit_survey()

    assert model.screen == CONFIRMATION and model.survey_offer() is None
    [answers] = kiosk.queued(SURVEY_KIND)
    assert "service_id" not in answers

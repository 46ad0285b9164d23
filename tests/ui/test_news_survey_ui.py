"""News and notices on the home screen, and the short survey offered on the
confirmation after a service, as a resident sees and taps them."""

from __future__ import annotations

from datetime import date

import pytest
from portal_outage import labels_with, portal_down

from kiosk.model import CATALOGUE_REFRESH_S
from kiosk.survey import SURVEY_KIND
from portal.content import ContentStore
from portal.demo_content import demo_news

ROAD_WORKS = "Notice: Linden Road is closed near City Hall until next week"
OFFER = "Would you tell us how it went? Two short questions, if you like."
THANKS = "Thank you for your answers."


def news_strip(kiosk):
    return kiosk.app.screen("home").ids.news_strip


def refresh_news(kiosk, loaded) -> None:
    """What happens after a visit once the catalogue is old: news are fetched again,
    and ``loaded(news)`` is true once they have arrived."""
    news = kiosk.model.flows["news"]
    kiosk.clock.now += CATALOGUE_REFRESH_S + 1  # on the attract screen: nobody times out
    kiosk.model.end_session("finished")
    kiosk.wait_until(lambda: not news._loading and loaded(news), "the news to load", 30)
    kiosk.pump()


def confirm_a_service(kiosk) -> str:
    """Reach a service's confirmation the way every flow ends (kiosk/flows/base.py):
    ``model.submit``. The services' own UI tests drive their steps; only what follows
    the confirmation matters here, so the service is one of this kiosk's own that
    stays put (records) while the others are being built. Returns the reference."""
    kiosk.tap_action("start")
    kiosk.tap_action("service:records")
    return submit_for_the_service_on_screen(kiosk)


def submit_for_the_service_on_screen(kiosk) -> str:
    item = kiosk.model.submit(
        SURVEY_KIND,
        {"survey_id": "ui-test-service", "answers": {"done": "yes"}},
        receipt={"service": "Public records"},
    )
    # The receipt's outcome redraws the screen: wait for it before the next tap.
    kiosk.wait_until(lambda: kiosk.model.receipt_state != "printing", "the receipt")
    kiosk.pump()
    assert kiosk.screen == "confirmation"
    return item.reference


def span(widget) -> tuple[float, float]:
    """Bottom and top of ``widget`` on the window."""
    bottom = widget.to_window(widget.x, widget.y)[1]
    return bottom, bottom + widget.height


def visible(kiosk, action: str) -> bool:
    return any(
        getattr(widget, "action", None) == action and kiosk._visible(widget)
        for widget in kiosk.widgets()
    )


def survey_items(kiosk) -> list[tuple[str, dict]]:
    """(outbox key, payload) of each survey answered after a service."""
    outbox = kiosk.model.outbox
    items = outbox.summaries(limit=1_000_000)
    keys = [item.idempotency_key for item in items if item.kind == SURVEY_KIND]
    keyed = [(key, outbox.payload(key)) for key in keys]
    return [(key, payload) for key, payload in keyed if payload.get("service_id")]


def test_the_newest_notice_is_on_the_home_screen_and_all_news_a_tap_away(kiosk):
    kiosk.tap_action("start")
    strip = news_strip(kiosk)
    assert strip.text.startswith(ROAD_WORKS)
    assert strip.height >= 44 and strip.texture_size[1] <= strip.height  # a target, not cut
    first = kiosk.find("service:pay_bill")
    scroll = first.parent.parent.parent
    scroll.scroll_y = 1  # the list as a new visit shows it (earlier tests scrolled it)
    kiosk.pump()
    # The strip sits above the list and the first service is in full view under it.
    strip_bottom = span(strip)[0]
    scroll_bottom, scroll_top = span(scroll)
    first_bottom, first_top = span(first)
    assert strip_bottom >= scroll_top and scroll_bottom <= first_bottom < first_top <= scroll_top

    kiosk.tap_action("news")
    assert kiosk.screen == "news"
    assert labels_with(kiosk, "Workers are fixing a water pipe.")
    assert labels_with(kiosk, "City Hall hours over the holidays")
    assert not labels_with(kiosk, "Mill Lane bridge")  # that notice has ended

    kiosk.tap_action("language:es")
    assert labels_with(kiosk, "Horario del Ayuntamiento en las fiestas")
    kiosk.tap_action("back")
    assert kiosk.screen == "home"


def test_with_the_portal_down_the_news_saved_earlier_still_show(kiosk):
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    with portal_down(kiosk):
        refresh_news(kiosk, lambda news: news.from_cache)
        kiosk.tap_action("start")
        assert news_strip(kiosk).text.startswith(ROAD_WORKS)
        kiosk.tap_action("news")
        assert labels_with(kiosk, "Saved earlier")
        assert labels_with(kiosk, "Workers are fixing a water pipe.")


def test_when_the_city_has_no_news_the_strip_gives_its_room_to_the_services(kiosk):
    content = ContentStore(kiosk.runtime.demo_portal.store)
    content.put_news([])
    try:
        refresh_news(kiosk, lambda news: not news.items)
        kiosk.tap_action("start")
        strip = news_strip(kiosk)
        assert strip.height == 0 and strip.opacity == 0 and strip.disabled
        assert kiosk.find("service:pay_bill")
        kiosk.model.flows["news"].show_all()  # only a technician could get here now
        kiosk.pump()
        assert "There is no news right now." in kiosk.texts()
    finally:
        content.put_news(demo_news(date.today()))
        refresh_news(kiosk, lambda news: news.items and not news.from_cache)


def test_after_a_service_a_short_survey_is_offered_and_sent_with_the_service(kiosk):
    reference = confirm_a_service(kiosk)
    assert OFFER in kiosk.texts()

    kiosk.tap_action("start_survey")
    assert kiosk.screen == "survey"
    assert labels_with(kiosk, "About: Public records")
    kiosk.tap_action("answer:ease:easy")
    kiosk.tap_action("language:es")  # the answer stays chosen
    assert any(text.startswith("• ") for text in kiosk.texts())
    kiosk.tap_action("language:en")
    kiosk.tap_action("send_survey")

    assert kiosk.screen == "confirmation"
    assert f"Your reference: {reference}" in kiosk.texts()  # the service's, still there
    assert THANKS in kiosk.texts()
    assert not visible(kiosk, "start_survey")
    [(key, sent)] = survey_items(kiosk)[-1:]
    assert sent["answers"] == {"ease": "easy"} and sent["service_id"] == "records"
    store = kiosk.runtime.demo_portal.store
    kiosk.wait_until(  # these answers, not any earlier ones the session's portal holds
        lambda: store.query(
            "SELECT 1 FROM survey_responses JOIN survey_response_services AS service"
            " ON service.survey_response_id = survey_responses.id"
            " WHERE survey_responses.idempotency_key = ? AND service.service_id = 'records'",
            (key,),
        ),
        "the answers to reach the portal",
        30,
    )


def test_the_survey_can_be_skipped_and_is_not_offered_again(kiosk):
    before = len(survey_items(kiosk))
    confirm_a_service(kiosk)
    kiosk.tap_action("start_survey")

    kiosk.tap_action("skip_survey")

    assert kiosk.screen == "confirmation"
    assert OFFER not in kiosk.texts() and THANKS not in kiosk.texts()
    assert len(survey_items(kiosk)) == before
    kiosk.tap_action("back")
    kiosk.tap_action("service:records")
    submit_for_the_service_on_screen(kiosk)
    assert OFFER not in kiosk.texts()  # once a visit


def test_answers_given_offline_are_queued_and_arrive_later(kiosk):
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    with portal_down(kiosk):
        confirm_a_service(kiosk)
        kiosk.tap_action("start_survey")
        kiosk.tap_action("answer:found_service:partly")
        kiosk.tap_action("send_survey")
        assert THANKS in kiosk.texts()
        [(key, sent)] = survey_items(kiosk)[-1:]
        assert sent["answers"] == {"found_service": "partly"}
        assert kiosk.model.outbox.counts()["pending"] >= 1
    store = kiosk.runtime.demo_portal.store
    kiosk.wait_until(
        lambda: store.query(
            "SELECT 1 FROM survey_responses WHERE idempotency_key = ? AND answers = ?",
            (key, '{"found_service": "partly"}'),
        ),
        "the answers to arrive",
        30,
    )


@pytest.mark.parametrize("leave", ["card", "timeout"])
def test_leaving_mid_survey_wipes_it_and_the_next_resident_is_asked(kiosk, leave):
    if leave == "card":
        labels = [label for label, _insert in kiosk.model.demo_cards]
        kiosk.tap_action(f"demo_card:{next(i for i, x in enumerate(labels) if '(uid)' in x)}")
        kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
        kiosk.tap_action("service:records")
        submit_for_the_service_on_screen(kiosk)
    else:
        confirm_a_service(kiosk)
    kiosk.tap_action("start_survey")
    kiosk.tap_action("answer:ease:hard")

    if leave == "card":
        kiosk.model.demo_remove_card()
    else:
        kiosk.clock.now += 10_000
        kiosk.model.tick()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")

    assert kiosk.model.survey.answers == {} and kiosk.model.survey_follows() is None
    confirm_a_service(kiosk)
    assert OFFER in kiosk.texts()

"""The tour's part for news and notices and for the survey offered after a service
(see screens/tour_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

from screens.tour_support import until


def tour_news(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["news"]
    yield from until(lambda: flow.state != "loading")
    yield f"{language}-30a-home-news"
    flow.show_all()
    yield f"{language}-30b-news"
    model.cancel_service()


def tour_survey_after_service(model) -> Iterator[str]:
    """The survey a confirmation offered (the bill paid earlier in the tour, say)."""
    language = model.language
    if model.survey_offer() is None:
        return
    model.start_offered_survey()
    model.answer_survey("ease", "very_easy")
    yield f"{language}-33a-survey-after-service"
    model.submit_survey()
    yield f"{language}-33b-survey-thanks"

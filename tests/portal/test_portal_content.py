"""What the city publishes for everyone (news, FAQ, glossary, public records), and the
help requests and surveys-after-a-service that kiosks send through the sync batch."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from portal_testkit import TIMEOUT, count, new_key, results, survey, sync_item

HELP_CALL = {"kiosk_id": "lib-01", "screen": "pay_bill", "service_id": "pay_bill", "locale": "es"}


def records(api, **params) -> list[dict]:
    response = api.get("/api/v1/records", params=params)
    assert response.status_code == 200, response.text
    return response.json()["records"]


def ids(found: list[dict]) -> list[str]:
    return [record["id"] for record in found]


def test_news_shows_current_items_newest_first_in_both_languages(api):
    response = api.get("/api/v1/news")

    assert response.status_code == 200
    items = response.json()["items"]
    assert ids(items)[0] == "news-road-works"
    assert "news-old-closure" not in ids(items)  # its notice ended ten days ago
    published = [item["published"] for item in items]
    assert published == sorted(published, reverse=True)
    assert all(item["published"] <= date.today().isoformat() for item in items)
    assert items[0]["title"]["es"].startswith("Linden Road está cerrada")
    assert items[0]["kind"] == "notice"


def test_help_content_has_questions_and_words_in_both_languages(api):
    content = api.get("/api/v1/help-content").json()

    questions = {entry["id"]: entry for entry in content["faq"]}
    assert (
        questions["faq-pay-cash"]["question"]["es"] == "¿Puedo pagar en efectivo en este quiosco?"
    )
    terms = {entry["id"]: entry for entry in content["glossary"]}
    assert terms["term-minutes"]["term"] == {"en": "Minutes", "es": "Actas"}


def test_records_are_listed_newest_first_with_their_summary_and_page_count(api):
    found = records(api)

    days = [record["date"] for record in found]
    assert days == sorted(days, reverse=True)
    budget = next(record for record in found if record["id"] == "doc-budget-draft")
    assert budget["type"] == "document" and budget["page_count"] == 2
    assert budget["summary"]["es"].startswith("Cómo piensa gastar la ciudad")
    assert "pages" not in budget  # a list stays light; the pages come with the record


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        # Part of a word is enough, as in the service search: "park" finds "parking".
        (
            "park",
            {
                "agenda-council-next",
                "agenda-parks-board",
                "minutes-parks-board",
                "minutes-council-last",
                "doc-budget-draft",
            },
        ),
        # Spanish, without the accent and in capitals, still finds it.
        ("PARQUE RIO", {"agenda-council-next"}),
        ("river playground", {"agenda-council-next", "minutes-parks-board"}),
        ("snow", {"doc-snow-ordinance"}),
    ],
)
def test_records_are_found_by_every_word_in_any_language(api, words, expected):
    assert set(ids(records(api, q=words))) == expected


def test_records_are_filtered_by_type_and_date(api):
    meetings = records(api, type=["agenda", "minutes"])
    assert {record["type"] for record in meetings} == {"agenda", "minutes"}
    assert "doc-budget-draft" not in ids(meetings)

    today = date.today()
    last_month = records(
        api, **{"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    )
    assert set(ids(last_month)) == {
        "minutes-council-last",
        "doc-budget-draft",
        "agenda-parks-board",
        "minutes-parks-board",
    }
    playground_minutes = records(api, q="playground", type="minutes")
    assert ids(playground_minutes) == ["minutes-parks-board"]


def test_a_search_that_matches_nothing_is_an_empty_list(api):
    assert records(api, q="volcano") == []
    assert (
        records(api, q="budget", type="agenda", **{"from": "2001-01-01", "to": "2001-12-31"}) == []
    )


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-12-01", "to": "2026-01-01"},
        {"from": "last week"},
        {"type": "secret"},
        {"limit": 0},
    ],
)
def test_bad_record_searches_are_refused_with_a_reason(api, params):
    response = api.get("/api/v1/records", params=params)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"


def test_a_record_comes_with_its_pages(api):
    record = api.get("/api/v1/records/agenda-council-next").json()

    assert record["page_count"] == len(record["pages"]) == 3
    assert record["pages"][1]["es"].startswith("3. Audiencia pública")
    assert record["url"].endswith("/records/agenda-council-next")


def test_an_unknown_record_is_404(api):
    response = api.get("/api/v1/records/minutes-1999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "record_not_found"


def test_content_needs_a_device_token(portal):
    for path in ("/api/v1/news", "/api/v1/help-content", "/api/v1/records"):
        response = requests.get(portal.url + path, timeout=TIMEOUT)
        assert response.status_code == 401, path


def test_a_call_for_help_is_stored_once_with_where_and_when(portal, api):
    item = sync_item("help_request", HELP_CALL)

    (first,) = results(api.sync(item))
    (again,) = results(api.sync(item))

    assert (first["outcome"], first["status"]) == ("created", 201)
    assert again["outcome"] == "replayed" and again["body"] == first["body"]
    rows = portal.store.query(
        "SELECT kiosk_id, screen, service_id, locale, requested_at FROM help_requests"
        " WHERE idempotency_key = ?",
        (item["idempotency_key"],),
    )
    assert [tuple(row) for row in rows] == [
        ("lib-01", "pay_bill", "pay_bill", "es", "2026-03-01T14:30:00+00:00")
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {**HELP_CALL, "name": "Maria Lopez"},  # nothing personal may come along
        {**HELP_CALL, "screen": "Maria Lopez, 12 Elm Street"},
        {"screen": "home"},
    ],
)
def test_a_call_for_help_carries_nothing_but_where(portal, api, payload):
    item = sync_item("help_request", payload, key=new_key())

    (result,) = results(api.sync(item))

    assert (result["outcome"], result["status"]) == ("rejected", 422)
    sql = "SELECT count(*) FROM help_requests WHERE idempotency_key = ?"
    assert count(portal, sql, item["idempotency_key"]) == 0


def test_a_survey_after_a_service_says_which_service(portal, api):
    after = sync_item("survey_response", survey(service_id="pay_bill"))
    alone = sync_item("survey_response", survey())

    assert [r["outcome"] for r in results(api.sync(after, alone))] == ["created", "created"]
    rows = portal.store.query(
        "SELECT survey_responses.idempotency_key, survey_response_services.service_id"
        " FROM survey_responses LEFT JOIN survey_response_services"
        " ON survey_response_services.survey_response_id = survey_responses.id"
        " WHERE survey_responses.idempotency_key IN (?, ?)",
        (after["idempotency_key"], alone["idempotency_key"]),
    )
    services = {row[0]: row[1] for row in rows}
    assert services == {after["idempotency_key"]: "pay_bill", alone["idempotency_key"]: None}


def test_a_survey_service_is_a_name_not_a_reference(api):
    item = sync_item("survey_response", survey(service_id="K-7QPM 3XW2 Maria"))

    (result,) = results(api.sync(item))

    assert (result["outcome"], result["status"]) == ("rejected", 422)

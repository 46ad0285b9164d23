"""GET /api/v1/catalogue: the kiosk's home screen, in English and Spanish."""

from __future__ import annotations

import pytest
import requests
from portal_testkit import TIMEOUT

SERVICE_CATEGORIES = {
    "pay_bill": "payments",
    "report_problem": "requests",
    "track_request": "requests",
    "permits": "permits",
    "records": "information",
    "meetings": "information",
    "survey": "information",
    "create_account": "information",
    "help": "help",
}
CATEGORIES = {"payments", "requests", "permits", "information", "help"}
LANGUAGES = {"en", "es"}


@pytest.fixture(scope="module")
def catalogue(portal):
    response = requests.get(
        f"{portal.url}/api/v1/catalogue",
        headers={"Authorization": f"Bearer {portal.token}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    return response.json()


def assert_bilingual(text):
    assert set(text) == LANGUAGES, text
    assert all(isinstance(value, str) and value.strip() for value in text.values()), text


def test_city_names_and_help_contact_in_both_languages(catalogue):
    assert "Lindenfield" in catalogue["city"]["name"]["en"]
    assert_bilingual(catalogue["city"]["name"])
    assert_bilingual(catalogue["city"]["help_contact"])


def test_categories(catalogue):
    categories = catalogue["categories"]

    assert {category["id"] for category in categories} == CATEGORIES
    assert sorted(category["order"] for category in categories) == list(
        range(1, len(categories) + 1)
    )
    for category in categories:
        assert set(category) == {"id", "order", "title"}
        assert_bilingual(category["title"])


def test_services_have_the_expected_ids_and_categories(catalogue):
    services = {service["id"]: service for service in catalogue["services"]}

    assert {key: value["category"] for key, value in services.items()} == SERVICE_CATEGORIES


def test_every_service_is_complete_in_both_languages(catalogue):
    orders = []
    for service in catalogue["services"]:
        assert set(service) == {"id", "category", "order", "title", "summary", "keywords"}
        assert_bilingual(service["title"])
        assert_bilingual(service["summary"])
        assert set(service["keywords"]) == LANGUAGES
        for words in service["keywords"].values():
            assert words and all(isinstance(word, str) and word for word in words)
        orders.append(service["order"])
    assert len(set(orders)) == len(orders)


def test_spanish_is_not_a_copy_of_english(catalogue):
    for service in catalogue["services"]:
        assert service["title"]["es"] != service["title"]["en"], service["id"]
        assert service["summary"]["es"] != service["summary"]["en"], service["id"]

import pytest

from kiosk.catalogue import Catalogue, CatalogueError, normalise
from portal.demo_catalogue import demo_catalogue


def ids(services):
    return [s.id for s in services]


def test_groups_follow_category_order(catalogue_document):
    catalogue = Catalogue.from_portal(catalogue_document)
    groups = catalogue.grouped(list(catalogue.services))
    assert [category.id for category, _ in groups] == ["payments", "permits", "help"]


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("", "en", ["help", "pay_bill", "permits"]),
        ("pay", "en", ["pay_bill"]),
        ("WATER", "en", ["pay_bill"]),
        ("  bill   pay ", "en", ["pay_bill"]),
        ("licencia", "es", ["permits"]),  # accent-insensitive both ways
        ("perro", "es", ["permits"]),
        ("bill", "es", ["pay_bill"]),  # English titles still match in Spanish
        ("pay permit", "en", []),
        ("zzz", "en", []),
    ],
)
def test_search(catalogue_document, query, language, expected):
    catalogue = Catalogue.from_portal(catalogue_document)
    assert sorted(ids(catalogue.search(query, language))) == expected


def test_normalise_strips_accents_and_case():
    assert normalise("LICÉNCIA Ñandú") == "licencia nandu"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: d["services"][0].update(category="nope"), "unknown category 'nope'"),
        (lambda d: d["services"][0].update(title="Pay"), "service pay_bill title"),
        (lambda d: d.pop("categories"), "malformed"),
        (lambda d: d["categories"][0].update(order="first"), "malformed"),
    ],
)
def test_malformed_catalogue_is_refused_clearly(catalogue_document, breakage, message):
    breakage(catalogue_document)
    with pytest.raises(CatalogueError, match=message):
        Catalogue.from_portal(catalogue_document)


def test_demo_portal_catalogue_parses_with_all_foundation_services():
    catalogue = Catalogue.from_portal(demo_catalogue())
    required = {"pay_bill", "report_problem", "permits", "records", "track_request", "help"}
    assert required <= {s.id for s in catalogue.services}
    for service in catalogue.services:
        assert service.title.get("en") and service.title.get("es"), service.id

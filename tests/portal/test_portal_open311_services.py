"""GeoReport v2 conformance of services.json and service definitions."""

from __future__ import annotations

import pytest
import requests
from portal_testkit import TIMEOUT

SERVICE_FIELDS = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
ATTRIBUTE_FIELDS = {
    "variable": bool,
    "code": str,
    "datatype": str,
    "required": bool,
    "datatype_description": str,
    "order": int,
    "description": str,
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def get(portal, path, **params):
    return requests.get(f"{portal.url}/open311/v2/{path}", params=params, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def services(portal):
    response = get(portal, "services.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


@pytest.fixture(scope="module")
def definitions(portal, services):
    found = {}
    for service in services:
        response = get(portal, f"services/{service['service_code']}.json")
        assert response.status_code == 200, service["service_code"]
        found[service["service_code"]] = response.json()
    return found


def test_services_have_exactly_the_spec_fields_and_types(services):
    assert {service["service_code"] for service in services} == {
        "pothole",
        "streetlight",
        "graffiti",
        "illegal_dumping",
        "noise",
    }
    for service in services:
        assert set(service) == set(SERVICE_FIELDS), service
        for name, kind in SERVICE_FIELDS.items():
            assert isinstance(service[name], kind), (service["service_code"], name)
        assert service["type"] in {"realtime", "batch", "blackbox"}
        assert service["keywords"] == ",".join(
            part.strip() for part in service["keywords"].split(",")
        )


def test_service_types_and_metadata_flags(services):
    by_code = {service["service_code"]: service for service in services}

    assert by_code["graffiti"]["type"] == "batch"
    assert by_code["noise"]["metadata"] is False
    assert by_code["pothole"]["metadata"] is True


def test_jurisdiction_id_is_accepted_and_ignored(portal, services):
    assert get(portal, "services.json", jurisdiction_id="lindenfield.example").json() == services


def test_spanish_locale_translates_names_but_not_codes(portal, services):
    spanish = get(portal, "services.json", locale="es").json()

    assert [s["service_code"] for s in spanish] == [s["service_code"] for s in services]
    names = {s["service_code"]: s["service_name"] for s in spanish}
    assert names["pothole"] == "Bache"
    assert all(
        es["service_name"] != en["service_name"] for es, en in zip(spanish, services, strict=True)
    )


def test_definitions_have_the_spec_fields(definitions):
    for code, definition in definitions.items():
        assert set(definition) == {"service_code", "attributes"}
        assert definition["service_code"] == code
        for attribute in definition["attributes"]:
            for name, kind in ATTRIBUTE_FIELDS.items():
                assert isinstance(attribute[name], kind), (code, attribute.get("code"), name)
            assert attribute["datatype"] in DATATYPES
            if attribute["datatype"] in {"singlevaluelist", "multivaluelist"}:
                assert attribute["values"], (code, attribute["code"])
                for value in attribute["values"]:
                    assert set(value) == {"key", "name"}
                    assert isinstance(value["key"], str) and isinstance(value["name"], str)
            else:
                assert set(attribute) == set(ATTRIBUTE_FIELDS)
        orders = [attribute["order"] for attribute in definition["attributes"]]
        assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_definitions_cover_every_datatype(definitions):
    used = {
        attribute["datatype"]
        for definition in definitions.values()
        for attribute in definition["attributes"]
    }

    assert used == DATATYPES


def test_services_with_metadata_have_attributes(services, definitions):
    for service in services:
        has_attributes = bool(definitions[service["service_code"]]["attributes"])
        assert has_attributes == service["metadata"], service["service_code"]


def test_spanish_definition(portal):
    definition = get(portal, "services/pothole.json", locale="es").json()
    size = next(a for a in definition["attributes"] if a["code"] == "size")

    assert size["description"] == "¿Qué tan grande es el hoyo?"
    assert [value["key"] for value in size["values"]] == ["small", "medium", "large"]


def test_unknown_service_definition_is_404_error_list(portal):
    response = get(portal, "services/volcano.json")

    assert response.status_code == 404
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == 404
    assert isinstance(body[0]["description"], str) and body[0]["description"]


def test_unknown_open311_path_is_404_error_list(portal):
    response = get(portal, "services.xml")

    assert response.status_code == 404
    assert response.json()[0]["code"] == 404

"""Open311 conformance: our GeoReport v2 client against the reference portal on loopback.

What goes over the wire is observed on the real HTTP session (a response hook), and
what comes back is parsed with the GeoReport v2 field names and status values checked;
the parsers are also fed documents no conforming endpoint would send.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qsl

import pytest
import requests

from kiosk.open311_client import (
    DATATYPES,
    KIOSK_REQUEST_ID,
    POST_FIELDS,
    Open311Client,
    form_pairs,
    parse_posted,
    parse_requests,
    parse_service_definition,
    parse_services,
    queued_request_form,
)
from kiosk.portal_client import (
    PortalAuthError,
    PortalBadResponse,
    PortalClient,
    PortalNotFound,
    PortalRejected,
    PortalUnavailable,
)
from portal.demo_data import DEMO_REQUEST_IDS

ATTRIBUTE_NAME = re.compile(r"attribute\[[^\[\]]+\](\[\])?")
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture
def portal_client(portal):
    client = PortalClient(
        portal.url, portal.token, connect_timeout_s=2, read_timeout_s=2, retries=2
    )
    yield client
    client.close()


@pytest.fixture
def open311(portal, portal_client):
    return Open311Client(portal_client, f"{portal.url}/open311/v2")


@pytest.fixture
def wire(portal_client):
    """Every request the client sends, as (method, url, content type, body pairs)."""
    sent = []

    def capture(response, *_args, **_kwargs):
        request = response.request
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        content_type = request.headers.get("Content-Type", "")
        sent.append((request.method, request.url, content_type, parse_qsl(body)))

    portal_client.session.hooks["response"].append(capture)
    return sent


def queue_fault(portal, **fault):
    requests.post(f"{portal.url}/_faults", json=fault, timeout=5).raise_for_status()


def faults_served(portal) -> int:
    return requests.get(f"{portal.url}/_faults", timeout=5).json()["served"]


def new_pothole(**extra):
    fields = {"service_code": "pothole", "lat": 44.924, "long": -69.312, **extra}
    return fields, {"size": "small", KIOSK_REQUEST_ID: uuid.uuid4().hex}


def test_the_service_list_has_its_groups_and_speaks_spanish(open311, portal):
    services = open311.services()
    assert [s.service_code for s in services.services] == [
        s["service_code"] for s in portal.store.open311_services()
    ]
    assert services.groups == ("Streets", "Lights", "Clean city", "Neighbors")
    pothole = services.service("pothole")
    assert (pothole.service_name, pothole.type, pothole.metadata) == ("Pothole", "realtime", True)
    assert "road" in pothole.keywords
    assert services.service("graffiti").type == "batch"
    assert services.service("noise").metadata is False
    assert isinstance(services.document, list)  # kept as received, for the offline cache

    spanish = open311.services(locale="es")
    assert spanish.service("pothole").service_name == "Bache"
    assert spanish.groups[0] == "Calles"


def test_service_definitions_cover_every_datatype(open311):
    seen = set()
    for service in open311.services().services:
        definition = open311.service_definition(service.service_code)
        assert definition.service_code == service.service_code
        orders = [attribute.order for attribute in definition.attributes]
        assert orders == sorted(orders)
        for attribute in definition.attributes:
            seen.add(attribute.datatype)
            assert attribute.description
            assert bool(attribute.values) == attribute.datatype.endswith("valuelist")
    assert seen == set(DATATYPES)
    size = open311.service_definition("pothole", locale="es").attributes[0]
    assert size.description == "¿Qué tan grande es el hoyo?"
    assert [value.key for value in size.values] == ["small", "medium", "large"]


def test_a_posted_request_uses_georeport_names_and_reads_back_open(open311, wire, portal):
    fields, attributes = new_pothole(
        description="Deep hole by the bus stop", address_string="12 Elm Street", email="a@b.org"
    )
    attributes["lane"] = "bike"
    posted = open311.post_request(fields, attributes, locale="en")

    method, url, content_type, pairs = wire[-1]
    assert (method, url.split("?")[0]) == ("POST", f"{portal.url}/open311/v2/requests.json")
    assert content_type == "application/x-www-form-urlencoded"
    for name, _value in pairs:
        assert name in POST_FIELDS or ATTRIBUTE_NAME.fullmatch(name), name
    assert ("attribute[size]", "small") in pairs and ("lat", "44.924") in pairs

    assert re.fullmatch(r"LF-\d{6}", posted.service_request_id) and posted.token is None
    assert posted.service_notice.startswith("A road crew")
    found = open311.request(posted.service_request_id)
    assert found.status == "open" and found.service_code == "pothole"
    assert found.description == "Deep hole by the bus stop"
    assert (found.lat, found.long, found.address) == (44.924, -69.312, "12 Elm Street")
    assert found.requested_datetime.utcoffset() is not None
    assert found.expected_datetime > found.requested_datetime
    row = portal.store.query_one(
        "SELECT email, attributes FROM service_requests WHERE service_request_id = ?",
        (posted.service_request_id,),
    )
    assert row["email"] == "a@b.org" and '"lane": "bike"' in row["attributes"]


def test_requests_and_tokens_read_with_their_status_values(open311):
    found = open311.requests(list(DEMO_REQUEST_IDS))
    assert {r.service_request_id for r in found} == set(DEMO_REQUEST_IDS)
    assert {r.status for r in found} == {"open", "closed"}
    assert open311.request("LF-000001").status_notes == "Fixed: the hole was filled."

    posted = open311.post_request(
        {"service_code": "graffiti", "address_string": "5 Church Street"},
        {"surface": ["wall", "fence"], "offensive": "no"},
    )
    assert posted.service_request_id is None and posted.token
    answer = open311.token(posted.token)
    assert answer.token == posted.token
    assert open311.request(answer.service_request_id).service_code == "graffiti"


def test_a_multivaluelist_goes_as_repeated_bracket_keys(wire, open311, portal):
    posted = open311.post_request(
        {"service_code": "illegal_dumping", "address_string": "3 Mill Lane"},
        {"items": ["tires", "bags"], "item_count": "4"},
    )
    pairs = wire[-1][3]
    assert [v for n, v in pairs if n == "attribute[items][]"] == ["tires", "bags"]
    row = portal.store.query_one(
        "SELECT attributes FROM service_requests WHERE service_request_id = ?",
        (posted.service_request_id,),
    )
    assert '"items": ["tires", "bags"]' in row["attributes"] and '"item_count": 4' in row[0]


def test_a_resent_kiosk_request_id_gets_the_same_request(open311, portal):
    fields, attributes = new_pothole()
    first = open311.post_request(fields, attributes)
    again = open311.post_request(fields, attributes)
    assert again == first
    count = portal.store.query_one(
        "SELECT count(*) FROM service_requests WHERE service_request_id = ?",
        (first.service_request_id,),
    )[0]
    assert count == 1


def test_error_lists_become_typed_errors_with_the_description(open311, portal):
    with pytest.raises(PortalRejected) as missing:
        open311.post_request({"service_code": "pothole", "address_string": "x"}, {})
    assert missing.value.status == 400 and missing.value.code == "400"
    assert missing.value.description == "attribute[size] is required."
    assert "attribute[size] is required." in str(missing.value)

    with pytest.raises(PortalNotFound) as unknown:
        open311.service_definition("no_such_service")
    assert unknown.value.description == "Unknown service_code 'no_such_service'."
    with pytest.raises(PortalNotFound):
        open311.request("LF-999999")
    with pytest.raises(PortalNotFound):
        open311.token("no-such-token")

    stranger = PortalClient(portal.url, "not-a-token", retries=0)
    with pytest.raises(PortalAuthError) as refused:
        Open311Client(stranger, f"{portal.url}/open311/v2").post_request(*new_pothole())
    assert refused.value.status == 403 and refused.value.description


def test_an_answer_that_is_not_a_georeport_error_list_stays_a_plain_error(portal_client, portal):
    not_open311 = Open311Client(portal_client, f"{portal.url}/api/v1")
    with pytest.raises(PortalNotFound) as caught:
        not_open311.services()
    assert not hasattr(caught.value, "description")


def test_gets_are_retried_and_a_post_never(open311, portal, clear_faults):
    before = faults_served(portal)
    queue_fault(portal, path_prefix="/open311/v2/services.json", status=503, count=2)
    assert open311.services().services
    assert faults_served(portal) - before == 2

    before = faults_served(portal)
    queue_fault(portal, path_prefix="/open311/v2/requests.json", status=500, count=3)
    with pytest.raises(PortalUnavailable):
        open311.post_request(*new_pothole())
    assert faults_served(portal) - before == 1


def test_a_queued_payload_becomes_the_form_with_the_kiosk_request_id():
    payload = {
        "service_code": "pothole",
        "attributes": {"size": "large", "surface": ["wall"]},
        "lat": 44.9,
        "long": -69.3,
        "description": "Deep",
        "locale": "es",
    }
    fields, attributes, locale = queued_request_form(payload, "key-1")
    assert locale == "es" and "locale" not in fields and "attributes" not in fields
    pairs = form_pairs(fields, attributes)
    assert ("attribute[kiosk_request_id]", "key-1") in pairs
    assert ("attribute[surface][]", "wall") in pairs and ("lat", "44.9") in pairs
    with pytest.raises(ValueError, match="not GeoReport v2"):
        form_pairs({"locale": "es"}, {})


REQUEST = {
    "service_request_id": "LF-1",
    "status": "open",
    "service_code": "pothole",
    "requested_datetime": "2026-11-20T21:30:00-05:00",
}


@pytest.mark.parametrize(
    "change",
    [
        {"status": "pending"},
        {"status": "Open"},
        {"service_request_id": None},
        {"service_request_id": ""},
        {"requested_datetime": "2026-11-20T21:30:00"},  # no time zone: never guessed
        {"requested_datetime": "yesterday"},
        {"updated_datetime": 12},
        {"lat": 91},
        {"long": "west"},
        {"description": ["a"]},
    ],
)
def test_a_request_with_a_bad_field_is_refused(change):
    parse_requests([REQUEST])  # the unchanged one is fine
    with pytest.raises(PortalBadResponse):
        parse_requests([{**REQUEST, **change}])


SERVICE = {
    "service_code": "pothole",
    "service_name": "Pothole",
    "description": "",
    "metadata": True,
    "type": "realtime",
    "keywords": "road",
    "group": "Streets",
}
ATTRIBUTE = {
    "variable": True,
    "code": "size",
    "datatype": "singlevaluelist",
    "required": True,
    "datatype_description": "",
    "order": 1,
    "description": "How big?",
    "values": [{"key": "small", "name": "Small"}],
}


@pytest.mark.parametrize(
    "change",
    [{"type": "sometimes"}, {"metadata": "yes"}, {"service_code": None}, {"service_name": 3}],
)
def test_a_service_with_a_bad_field_is_refused(change):
    assert parse_services([SERVICE, {**SERVICE, "service_code": "x"}]).groups == ("Streets",)
    with pytest.raises(PortalBadResponse):
        parse_services([{**SERVICE, **change}])


def test_services_must_be_a_list_of_distinct_codes():
    with pytest.raises(PortalBadResponse):
        parse_services({"services": [SERVICE]})
    with pytest.raises(PortalBadResponse):
        parse_services([SERVICE, SERVICE])
    # XML heritage: "true"/"false" strings are the spec's own booleans.
    assert parse_services([{**SERVICE, "metadata": "false"}]).services[0].metadata is False


@pytest.mark.parametrize(
    "change",
    [
        {"datatype": "boolean"},
        {"values": []},
        {"values": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]},
        {"order": "1"},
        {"required": None},
        {"code": ""},
        {"datatype": "string"},  # values on a datatype that has none
    ],
)
def test_an_attribute_with_a_bad_field_is_refused(change):
    parse_service_definition({"service_code": "pothole", "attributes": [ATTRIBUTE]}, "pothole")
    with pytest.raises(PortalBadResponse):
        parse_service_definition(
            {"service_code": "pothole", "attributes": [{**ATTRIBUTE, **change}]}, "pothole"
        )


def test_a_definition_of_another_service_is_refused():
    with pytest.raises(PortalBadResponse):
        parse_service_definition({"service_code": "noise", "attributes": []}, "pothole")


@pytest.mark.parametrize(
    "document",
    [[], [{}], [{"service_notice": "x"}], {"service_request_id": "1"}, [{"token": 5.5}]],
)
def test_a_post_answer_needs_an_id_or_a_token(document):
    with pytest.raises(PortalBadResponse):
        parse_posted(document)

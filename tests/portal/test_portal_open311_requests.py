"""GeoReport v2 service requests: posting (form-encoded), reading, tokens, errors."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import requests
from portal_testkit import TIMEOUT

from portal.demo_data import DEMO_REQUEST_IDS

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
POTHOLE = {
    "service_code": "pothole",
    "lat": "44.9240",
    "long": "-69.3120",
    "attribute[size]": "small",
}


def post(portal, form, *, token=True, params=None):
    headers = {"Authorization": f"Bearer {portal.token}"} if token else {}
    return requests.post(
        f"{portal.url}/open311/v2/requests.json",
        data=form,
        headers=headers,
        params=params,
        timeout=TIMEOUT,
    )


def get(portal, path, **params):
    return requests.get(f"{portal.url}/open311/v2/{path}", params=params, timeout=TIMEOUT)


def assert_error_list(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    assert isinstance(body[0]["description"], str) and body[0]["description"]
    return body[0]["description"]


def assert_iso_utc(text):
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None, text
    assert moment.microsecond == 0 and "." not in text, text


def request_count(portal):
    return portal.store.query_one("SELECT count(*) AS n FROM service_requests")["n"]


def test_realtime_request_gets_an_id_and_can_be_read_back(portal):
    form = POTHOLE | {
        "description": "Big hole near the school",
        "attribute[depth_in]": "4",
        "attribute[lane]": "bike",
        "email": "resident@example.org",
        "first_name": "Ana",
    }

    response = post(portal, form)

    assert response.status_code == 200
    (created,) = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    assert created["service_notice"]
    request_id = created["service_request_id"]

    read = get(portal, f"requests/{request_id}.json")
    assert read.status_code == 200
    (shown,) = read.json()
    assert set(shown) == REQUEST_FIELDS
    assert shown["service_request_id"] == request_id
    assert shown["status"] == "open"
    assert shown["service_code"] == "pothole"
    assert shown["service_name"] == "Pothole"
    assert shown["description"] == "Big hole near the school"
    assert shown["lat"] == pytest.approx(44.924) and shown["long"] == pytest.approx(-69.312)
    assert shown["agency_responsible"] and shown["service_notice"] == created["service_notice"]
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert_iso_utc(shown[name])
    assert datetime.fromisoformat(shown["expected_datetime"]) > datetime.fromisoformat(
        shown["requested_datetime"]
    )
    assert "email" not in shown


def test_attributes_are_stored_typed(portal):
    form = POTHOLE | {"attribute[depth_in]": "2.5", "attribute[kiosk_request_id]": uuid.uuid4().hex}
    request_id = post(portal, form).json()[0]["service_request_id"]

    row = portal.store.query_one(
        "SELECT attributes FROM service_requests WHERE service_request_id = ?", (request_id,)
    )

    assert row["attributes"] == '{"size": "small", "depth_in": 2.5}'


def test_address_id_fills_address_zipcode_and_coordinates(portal):
    form = {"service_code": "noise", "address_id": "addr-0002", "description": "Loud music"}

    request_id = post(portal, form).json()[0]["service_request_id"]
    (shown,) = get(portal, f"requests/{request_id}.json").json()

    assert shown["address"] == "12 Elm Street"
    assert shown["address_id"] == "addr-0002"
    assert shown["zipcode"] == "04710"
    assert shown["lat"] == pytest.approx(44.9244)


def test_address_string_alone_is_a_location(portal):
    form = {"service_code": "noise", "address_string": "Corner of Elm and Maple"}

    response = post(portal, form)

    assert response.status_code == 200
    (shown,) = get(portal, f"requests/{response.json()[0]['service_request_id']}.json").json()
    assert shown["address"] == "Corner of Elm and Maple"
    assert shown["lat"] is None


def test_batch_service_returns_a_token_that_resolves_to_a_request(portal):
    form = {
        "service_code": "graffiti",
        "address_id": "addr-0012",
        "attribute[surface][]": ["wall", "fence"],
        "attribute[offensive]": "yes",
    }

    response = post(portal, form)

    assert response.status_code == 200
    (created,) = response.json()
    assert set(created) == {"token", "service_notice", "account_id"}
    token = created["token"]
    resolved = get(portal, f"tokens/{token}.json")
    assert resolved.status_code == 200
    (link,) = resolved.json()
    assert link["token"] == token
    (shown,) = get(portal, f"requests/{link['service_request_id']}.json").json()
    assert shown["service_code"] == "graffiti"


def test_multivaluelist_repeated_fields_are_all_kept(portal):
    form = {
        "service_code": "illegal_dumping",
        "lat": "44.93",
        "long": "-69.30",
        "attribute[items][]": ["mattress", "tires", "bags"],
        "attribute[item_count]": "7",
        "attribute[details]": "Behind the\nold mill",
    }

    request_id = post(portal, form).json()[0]["service_request_id"]
    row = portal.store.query_one(
        "SELECT attributes FROM service_requests WHERE service_request_id = ?", (request_id,)
    )

    assert '"items": ["mattress", "tires", "bags"]' in row["attributes"]
    assert '"item_count": 7' in row["attributes"]


def test_datetime_attribute_is_normalised_to_utc(portal):
    form = {
        "service_code": "streetlight",
        "address_id": "addr-0005",
        "attribute[problem]": "flickering",
        "attribute[noticed_at]": "2026-11-20T21:30:00-05:00",
        "attribute[pole_number]": "LF-2231",
    }

    request_id = post(portal, form).json()[0]["service_request_id"]
    row = portal.store.query_one(
        "SELECT attributes FROM service_requests WHERE service_request_id = ?", (request_id,)
    )

    assert '"noticed_at": "2026-11-21T02:30:00+00:00"' in row["attributes"]


def test_api_key_field_authenticates_like_the_bearer_header(portal):
    response = post(portal, POTHOLE | {"api_key": portal.token}, token=False)

    assert response.status_code == 200


@pytest.mark.parametrize("api_key", [None, "wrong-key"])
def test_posting_without_valid_credentials_is_403(portal, api_key):
    before = request_count(portal)
    form = POTHOLE | ({"api_key": api_key} if api_key else {})

    assert_error_list(post(portal, form, token=False), 403)
    assert request_count(portal) == before


@pytest.mark.parametrize(
    ("change", "status", "mentions"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "volcano"}, 404, "volcano"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "location"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "95"}, 400, "lat"),
        ({"attribute[size]": None}, 400, "size"),
        ({"attribute[size]": "enormous"}, 400, "size"),
        ({"attribute[depth_in]": "deep"}, 400, "depth_in"),
        ({"attribute[depth_in]": "nan"}, 400, "depth_in"),
        ({"address_id": "addr-nowhere"}, 400, "address_id"),
    ],
)
def test_invalid_requests_are_rejected_with_an_error_list(portal, change, status, mentions):
    form = {key: value for key, value in (POTHOLE | change).items() if value is not None}
    before = request_count(portal)

    description = assert_error_list(post(portal, form), status)

    assert mentions in description
    assert request_count(portal) == before


def test_bad_datetime_and_list_values_are_400(portal):
    base = {"service_code": "streetlight", "address_id": "addr-0005", "attribute[problem]": "out"}

    assert_error_list(post(portal, base | {"attribute[noticed_at]": "yesterday"}), 400)
    assert_error_list(post(portal, base | {"attribute[problem]": "exploded"}), 400)
    graffiti = {"service_code": "graffiti", "address_id": "addr-0001", "attribute[offensive]": "no"}
    assert_error_list(post(portal, graffiti | {"attribute[surface][]": ["wall", "sky"]}), 400)


def test_json_body_is_refused(portal):
    response = requests.post(
        f"{portal.url}/open311/v2/requests.json",
        json=POTHOLE,
        headers={"Authorization": f"Bearer {portal.token}"},
        timeout=TIMEOUT,
    )

    assert_error_list(response, 400)


def test_kiosk_request_id_makes_retries_create_one_request(portal):
    form = POTHOLE | {"attribute[kiosk_request_id]": f"kiosk-{uuid.uuid4().hex}"}
    before = request_count(portal)

    first = post(portal, form)
    retry = post(portal, form)

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert request_count(portal) == before + 1


def test_kiosk_request_id_retry_of_a_batch_request_returns_the_same_token(portal):
    form = {
        "service_code": "graffiti",
        "lat": "44.92",
        "long": "-69.31",
        "attribute[surface][]": "sign",
        "attribute[offensive]": "no",
        "attribute[kiosk_request_id]": f"kiosk-{uuid.uuid4().hex}",
    }

    assert post(portal, form).json() == post(portal, form).json()


def test_kiosk_request_ids_are_scoped_per_device(portal):
    other_token = portal.store.issue_token("test-open311-other-kiosk")
    form = POTHOLE | {"attribute[kiosk_request_id]": f"kiosk-{uuid.uuid4().hex}"}

    mine = post(portal, form).json()[0]["service_request_id"]
    theirs = post(portal, form | {"api_key": other_token}, token=False).json()[0]

    assert theirs["service_request_id"] != mine


def test_unknown_request_and_token_are_404_error_lists(portal):
    assert_error_list(get(portal, "requests/LF-999999.json"), 404)
    assert_error_list(get(portal, "tokens/not-a-token.json"), 404)


def test_seeded_requests_can_be_tracked_in_spanish(portal):
    (shown,) = get(portal, f"requests/{DEMO_REQUEST_IDS[0]}.json", locale="es").json()

    assert shown["status"] == "closed"
    assert shown["service_name"] == "Bache"
    assert shown["status_notes"].startswith("Arreglado")


def test_search_filters_and_orders_newest_first(portal):
    request_id = post(portal, POTHOLE).json()[0]["service_request_id"]

    everything = get(portal, "requests.json").json()
    by_ids = get(portal, "requests.json", service_request_id=f"{request_id},{DEMO_REQUEST_IDS[0]}")
    closed = get(portal, "requests.json", status="closed").json()
    potholes = get(portal, "requests.json", service_code="pothole").json()

    stamps = [item["requested_datetime"] for item in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert everything[0]["service_request_id"] == request_id
    assert {item["service_request_id"] for item in by_ids.json()} == {
        request_id,
        DEMO_REQUEST_IDS[0],
    }
    assert closed and {item["status"] for item in closed} == {"closed"}
    assert potholes and {item["service_code"] for item in potholes} == {"pothole"}
    for item in everything:
        assert set(item) == REQUEST_FIELDS


def test_search_by_date_range(portal):
    every = get(portal, "requests.json").json()
    oldest = min(item["requested_datetime"] for item in every)

    only_oldest = get(portal, "requests.json", start_date=oldest, end_date=oldest).json()
    none = get(portal, "requests.json", start_date="2001-01-01T00:00:00Z", end_date="2001-02-01")

    assert only_oldest and {item["requested_datetime"] for item in only_oldest} == {oldest}
    assert none.json() == []
    assert_error_list(get(portal, "requests.json", start_date="last week"), 400)
    assert_error_list(get(portal, "requests.json", status="pending"), 400)

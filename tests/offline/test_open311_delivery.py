"""Reports delivered to a city's own Open311 endpoint instead of the sync batch.

The endpoint is the reference portal's /open311/v2, named explicitly as
``[portal] open311_url`` would: the worker posts GeoReport v2 forms there, and the
portal's sync batch never sees a report.
"""

from __future__ import annotations

import uuid

import pytest
from outbox_testkit import FAST, enqueue, fault

from kiosk.config import load_config, parse_config, separate_open311
from kiosk.open311_client import Open311Client
from kiosk.portal_client import PortalClient
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import NEEDS_ATTENTION, PENDING, SENT, Outbox
from offline.sync import SyncWorker


def report(**changes) -> dict:
    """A pothole report whose description no other report has."""
    return {
        "service_code": "pothole",
        "attributes": {"size": "large", "lane": "bike"},
        "address_string": "12 Elm Street",
        "lat": 44.9244,
        "long": -69.3127,
        "description": f"Deep hole by the library {uuid.uuid4().hex}",
        "locale": "en",
        **changes,
    }


@pytest.fixture
def kiosk(tmp_path, server):
    """(outbox, worker): a kiosk's queue, reports routed to <portal>/open311/v2."""
    cipher = PayloadCipher(load_or_create_key(tmp_path / "outbox.key"))
    path = tmp_path / "kiosk.db"
    outbox = Outbox(open_database(path), cipher)
    client = PortalClient(server.url, server.token, read_timeout_s=2, retries=0)
    worker = SyncWorker(
        lambda: Outbox(open_database(path), cipher),
        client,
        FAST,
        open311=Open311Client(client, f"{server.url}/open311/v2"),
    )
    yield outbox, worker
    worker.outbox.close()
    outbox.close()
    client.close()


def sync_items(server) -> int:
    return server.app.state.sync_stats.snapshot()["items"]


def requests_for(server, payload: dict) -> list:
    """Every service request the portal made with this report's description."""
    return server.store.query(
        "SELECT * FROM service_requests WHERE description = ?", (payload["description"],)
    )


def test_a_report_goes_by_open311_post_and_other_items_by_the_batch(kiosk, server):
    outbox, worker = kiosk
    payload = report()
    queued = enqueue(outbox, "service_request", payload)
    survey = enqueue(outbox, "survey_response", {"survey_id": "kiosk", "answers": {"q": "yes"}})

    assert worker.drain()

    assert sync_items(server) == 1  # the survey; the report never went through the batch
    [made] = requests_for(server, payload)
    assert made["device_id"] == "demo-kiosk"
    assert (made["service_code"], made["address"]) == ("pothole", "12 Elm Street")
    assert (made["lat"], made["long"]) == (44.9244, -69.3127)
    assert '"lane": "bike"' in made["attributes"]
    kept = server.store.query_one(
        "SELECT response FROM kiosk_requests WHERE kiosk_request_id = ?", (queued.idempotency_key,)
    )
    assert made["service_request_id"] in kept["response"]
    delivered = outbox.find(queued.reference)
    assert delivered.state == SENT and delivered.portal_reference == made["service_request_id"]
    assert outbox.find(survey.reference).state == SENT


def test_a_resend_after_a_lost_answer_makes_no_second_request(kiosk, server):
    outbox, worker = kiosk
    # The portal makes the request, then the connection drops before the answer is out.
    fault(server, path_prefix="/open311/v2/requests.json", drop="after")
    payload = report()
    queued = enqueue(outbox, "service_request", payload)

    worker.run_once()
    assert outbox.find(queued.reference).state == PENDING
    assert [a.outcome for a in outbox.attempts(queued.idempotency_key)] == ["network"]
    assert len(requests_for(server, payload)) == 1  # it did reach the city

    assert worker.drain()
    [made] = requests_for(server, payload)
    assert outbox.find(queued.reference).portal_reference == made["service_request_id"]
    assert [a.outcome for a in outbox.attempts(queued.idempotency_key)] == ["network", "created"]


def test_a_refused_report_needs_attention_with_the_citys_words(kiosk, server):
    outbox, worker = kiosk
    no_size_payload = report(attributes={})
    no_size = enqueue(outbox, "service_request", no_size_payload)
    unknown = enqueue(outbox, "service_request", report(service_code="no_such_thing"))
    fine = enqueue(outbox, "service_request", report())

    assert worker.drain()

    parked = outbox.find(no_size.reference)
    assert parked.state == NEEDS_ATTENTION
    assert parked.last_error == "open311: attribute[size] is required."
    assert outbox.find(unknown.reference).state == NEEDS_ATTENTION
    assert "Unknown service_code" in outbox.find(unknown.reference).last_error
    assert outbox.find(fine.reference).state == SENT
    assert requests_for(server, no_size_payload) == []


@pytest.mark.parametrize("spec", [{"status": 503}, {"status": 429}, {"drop": "before"}])
def test_no_answer_or_a_busy_city_means_later_never_twice(kiosk, server, spec):
    outbox, worker = kiosk
    fault(server, path_prefix="/open311/v2/requests.json", count=2, **spec)
    payload = report()
    queued = enqueue(outbox, "service_request", payload)

    assert worker.drain()

    outcomes = [a.outcome for a in outbox.attempts(queued.idempotency_key)]
    assert len(outcomes) == 3 and outcomes[-1] == "created", outcomes
    assert len(requests_for(server, payload)) == 1


def city_endpoint(server) -> str:
    """The portal's Open311 route under another origin, as a city's own server is."""
    return server.url.replace("127.0.0.1", "localhost") + "/open311/v2"


@pytest.mark.parametrize("signed", [True, False], ids=["api_key", "no_api_key"])
def test_a_citys_own_endpoint_gets_its_api_key_and_never_the_device_token(tmp_path, server, signed):
    cipher = PayloadCipher(load_or_create_key(tmp_path / "outbox.key"))
    path = tmp_path / "kiosk.db"
    outbox = Outbox(open_database(path), cipher)
    client = PortalClient(server.url, server.token, read_timeout_s=2, retries=0)
    # The reference portal takes its device token as the api_key, as a city's would its own.
    city = Open311Client(client, city_endpoint(server), api_key=server.token if signed else None)
    worker = SyncWorker(lambda: Outbox(open_database(path), cipher), client, FAST, open311=city)
    try:
        payload = report()
        queued = enqueue(outbox, "service_request", payload)
        worker.run_once()

        if signed:
            assert outbox.find(queued.reference).state == SENT
            assert len(requests_for(server, payload)) == 1
        else:
            # Had the portal's Bearer token gone along, the city would have taken it.
            assert outbox.find(queued.reference).state == PENDING
            (attempt,) = outbox.attempts(queued.idempotency_key)
            assert attempt.status == 403
            assert requests_for(server, payload) == []
        assert "Authorization" not in city._http.session.headers
        assert client.session.headers["Authorization"] == f"Bearer {server.token}"
    finally:
        worker.outbox.close()
        outbox.close()
        city.close()
        client.close()


def test_only_an_open311_url_other_than_the_portals_own_is_separate():
    assert not separate_open311(load_config(None, demo=True))
    base = "[portal]\nurl = https://portal.example\n"
    for url, separate in (
        ("", False),
        ("https://portal.example/open311/v2", False),
        ("https://portal.example/open311/v2/", False),
        ("https://311.city.example/georeport/v2", True),
    ):
        config = parse_config(base + (f"open311_url = {url}\n" if url else ""), demo=True)
        assert separate_open311(config) is separate, url

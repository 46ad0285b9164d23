"""Fault injection through /_faults."""

from __future__ import annotations

import pytest
import requests
from portal_testkit import TIMEOUT, count, results, survey, sync_item

pytestmark = pytest.mark.usefixtures("clear_faults")


def queue(portal, **fault):
    response = requests.post(f"{portal.url}/_faults", json=fault, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return response.json()


def faults(portal):
    return requests.get(f"{portal.url}/_faults", timeout=TIMEOUT).json()


def test_status_fault_is_served_once_then_the_real_handler_answers(portal, api):
    served_before = faults(portal)["served"]
    queue(portal, path_prefix="/api/v1/catalogue", status=500, count=1)

    failed = api.get("/api/v1/catalogue")
    recovered = api.get("/api/v1/catalogue")

    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "injected_fault"
    assert recovered.status_code == 200
    assert "services" in recovered.json()
    after = faults(portal)
    assert (after["pending"], after["served"]) == ([], served_before + 1)


def test_fault_only_hits_matching_paths_and_counts_down(portal, api):
    queue(portal, path_prefix="/api/v1/bills", status=503, count=2)

    assert api.get("/api/v1/catalogue").status_code == 200
    assert faults(portal)["pending"][0]["count"] == 2
    assert api.get("/api/v1/bills", params={"number": "W-1001"}).status_code == 503
    assert faults(portal)["pending"][0]["count"] == 1
    assert api.get("/api/v1/bills/by-identity").status_code == 503
    assert api.get("/api/v1/bills", params={"number": "W-1001"}).status_code == 200


def test_open311_paths_can_fail_too(portal):
    queue(portal, path_prefix="/open311/v2/services", status=502)

    response = requests.get(f"{portal.url}/open311/v2/services.json", timeout=TIMEOUT)

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "injected_fault"


def test_delayed_fault_holds_the_response_back(portal):
    queue(portal, path_prefix="/api/v1/health", delay_s=2.0, status=503)

    # A client that gives up long before the delay ends sees no answer at all.
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{portal.url}/api/v1/health", timeout=(TIMEOUT, 0.2))

    assert faults(portal)["pending"] == []


def test_delay_without_status_then_runs_the_real_handler(portal, api):
    queue(portal, path_prefix="/api/v1/catalogue", delay_s=0.1)

    response = api.get("/api/v1/catalogue")

    assert response.status_code == 200
    assert "services" in response.json()


def test_clearing_drops_pending_faults(portal, api):
    queue(portal, path_prefix="/api/v1/catalogue", status=500, count=5)

    cleared = requests.delete(f"{portal.url}/_faults", timeout=TIMEOUT)

    assert cleared.json()["pending"] == []
    assert api.get("/api/v1/catalogue").status_code == 200


def test_invalid_fault_is_422(portal):
    response = requests.post(
        f"{portal.url}/_faults", json={"path_prefix": "no-slash", "count": 0}, timeout=TIMEOUT
    )

    assert response.status_code == 422
    assert {"path_prefix", "count"} <= set(response.json()["error"]["fields"])


def sync_one(portal, item):
    return requests.post(
        f"{portal.url}/api/v1/sync/batch",
        json={"items": [item]},
        headers={"Authorization": f"Bearer {portal.token}"},
        timeout=TIMEOUT,
    )


def stored(portal, item):
    return count(
        portal,
        "SELECT count(*) FROM survey_responses WHERE idempotency_key = ?",
        item["idempotency_key"],
    )


def test_drop_before_hangs_up_without_processing(portal):
    queue(portal, path_prefix="/api/v1/sync/batch", drop="before")
    item = sync_item("survey_response", survey())

    with pytest.raises(requests.ConnectionError):
        sync_one(portal, item)

    assert stored(portal, item) == 0
    assert results(sync_one(portal, item))[0]["outcome"] == "created"


def test_drop_after_commits_then_hangs_up_mid_response(portal):
    queue(portal, path_prefix="/api/v1/sync/batch", drop="after", delay_s=0.05)
    item = sync_item("survey_response", survey())

    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        sync_one(portal, item)

    assert stored(portal, item) == 1
    assert results(sync_one(portal, item))[0]["outcome"] == "replayed"


def test_drop_after_an_empty_body_still_fails_the_client(portal):
    queue(portal, path_prefix="/api/v1/health", drop="after")

    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        requests.head(f"{portal.url}/api/v1/health", timeout=TIMEOUT)

    assert requests.get(f"{portal.url}/api/v1/health", timeout=TIMEOUT).status_code == 200


def test_a_fault_cannot_both_answer_and_drop(portal):
    response = requests.post(
        f"{portal.url}/_faults",
        json={"path_prefix": "/api/v1/health", "status": 500, "drop": "after"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 422
    assert faults(portal)["pending"] == []


def test_fault_endpoints_do_not_exist_unless_enabled(tmp_path):
    from portal.server import start_portal

    server = start_portal(tmp_path / "plain.db", seed_demo=False)
    try:
        response = requests.get(f"{server.url}/_faults", timeout=TIMEOUT)
    finally:
        server.stop()

    assert response.status_code == 404

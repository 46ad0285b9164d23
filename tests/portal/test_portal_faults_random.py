"""Random fault mode (GET/PUT /_faults/random), as soak tests use it."""

from __future__ import annotations

import logging

import pytest
import requests
from portal_testkit import TIMEOUT, count, results, survey, sync_item

from portal.fault_random import KINDS
from portal.server import start_portal

DROPPED = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
RETRY_AFTER_S = 7


@pytest.fixture
def chaos(tmp_path):
    """A portal of its own on which every request gets a random fault."""
    server = start_portal(
        tmp_path / "chaos.db",
        seed_demo=False,
        fault_rate=1.0,
        fault_seed=2026,
        fault_slow_s=0.2,
        fault_retry_after_s=RETRY_AFTER_S,
    )
    yield server
    server.stop()


def settings(portal):
    return requests.get(f"{portal.url}/_faults/random", timeout=TIMEOUT).json()


def configure(portal, **changes):
    return requests.put(f"{portal.url}/_faults/random", json=changes, timeout=TIMEOUT)


def send(portal, item):
    """The response, or the exception the client got instead."""
    try:
        return requests.post(
            f"{portal.url}/api/v1/sync/batch",
            json={"items": [item]},
            headers={"Authorization": f"Bearer {portal.token}"},
            timeout=TIMEOUT,
        )
    except DROPPED as exc:
        return exc


def send_observed(portal, item):
    """Sends the item; returns which fault the portal served and what the client saw."""
    before = settings(portal)["served"]
    seen = send(portal, item)
    after = settings(portal)["served"]
    served = [kind for kind in KINDS if after[kind] != before[kind]]
    return (served[0] if served else None), seen


def stored(portal, item):
    return count(
        portal,
        "SELECT count(*) FROM survey_responses WHERE idempotency_key = ?",
        item["idempotency_key"],
    )


def injected(response, status):
    return response.status_code == status and response.json()["error"]["code"] == "injected_fault"


def test_every_fault_kind_behaves_as_described(chaos, caplog):
    caplog.set_level(logging.ERROR, logger="uvicorn.error")
    items_by_kind = {}
    for _ in range(200):
        if len(items_by_kind) == len(KINDS):
            break
        item = sync_item("survey_response", survey())
        kind, seen = send_observed(chaos, item)
        assert kind in KINDS
        items_by_kind.setdefault(kind, item)
        if kind == "error_500":
            assert injected(seen, 500) and stored(chaos, item) == 0
        elif kind == "unavailable_503":
            assert injected(seen, 503) and stored(chaos, item) == 0
            assert seen.headers["Retry-After"] == str(RETRY_AFTER_S)
        elif kind == "slow":
            assert results(seen)[0]["outcome"] == "created"
        elif kind == "drop_before":
            assert isinstance(seen, requests.ConnectionError), seen
            assert stored(chaos, item) == 0
        else:
            assert isinstance(seen, DROPPED), seen
            assert stored(chaos, item) == 1
    assert set(items_by_kind) == set(KINDS)
    assert not [r for r in caplog.records if "Exception in ASGI application" in r.getMessage()]

    assert configure(chaos, rate=0).status_code == 200
    after_drop = results(send(chaos, items_by_kind["drop_after"]))
    unprocessed = results(send(chaos, items_by_kind["drop_before"]))
    assert after_drop[0]["outcome"] == "replayed"
    assert unprocessed[0]["outcome"] == "created"


def test_the_same_seed_gives_the_same_faults(chaos):
    def run():
        return [send_observed(chaos, sync_item("survey_response", survey()))[0] for _ in range(12)]

    configure(chaos, rate=0.5, seed=99)
    first = run()
    configure(chaos, seed=99)
    second = run()

    assert first == second
    assert None in first and len(set(first)) > 2


def test_settings_can_be_changed_one_at_a_time(chaos):
    initial = settings(chaos)

    changed = configure(chaos, rate=0.25)
    reseeded = configure(chaos, seed=None, retry_after_s=3)

    assert initial["rate"] == 1.0 and initial["seed"] == 2026
    assert initial["slow_s"] == 0.2 and initial["retry_after_s"] == RETRY_AFTER_S
    assert changed.json()["rate"] == 0.25
    assert changed.json()["slow_s"] == initial["slow_s"]
    assert (reseeded.json()["seed"], reseeded.json()["retry_after_s"]) == (None, 3)
    assert reseeded.json()["rate"] == 0.25
    assert settings(chaos) == reseeded.json()


@pytest.mark.parametrize(
    "changes", [{"rate": 1.5}, {"rate": None}, {"slow_s": -1}, {"retry_after_s": 0.5}, {"x": 1}]
)
def test_invalid_settings_are_422_and_change_nothing(chaos, changes):
    before = settings(chaos)

    response = configure(chaos, **changes)

    assert response.status_code == 422
    assert settings(chaos) == before


def test_control_and_docs_paths_never_fail_at_random(chaos):
    for path in ("/_faults", "/_faults/random", "/openapi.json", "/docs"):
        assert requests.get(f"{chaos.url}{path}", timeout=TIMEOUT).status_code == 200


def test_a_rate_out_of_range_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="rate"):
        start_portal(tmp_path / "bad.db", fault_rate=1.5)


def test_random_faults_are_off_by_default(portal, api):
    assert settings(portal)["rate"] == 0.0
    assert all(api.get("/api/v1/health").status_code == 200 for _ in range(20))

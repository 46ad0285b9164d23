"""Every failure answers in the caller's error shape, even the framework's own."""

from __future__ import annotations

import requests
from portal_testkit import TIMEOUT

from portal.server import start_portal


def test_unknown_api_route_uses_our_error_body(api):
    response = api.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}


def test_wrong_method_uses_our_error_body(api):
    response = api.session.delete(f"{api.url}/api/v1/catalogue", timeout=TIMEOUT)

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_wrong_method_on_open311_is_an_error_list(portal):
    response = requests.delete(f"{portal.url}/open311/v2/services.json", timeout=TIMEOUT)

    assert response.status_code == 405
    assert response.json() == [{"code": 405, "description": "Method Not Allowed"}]


def test_internal_error_still_answers_in_our_shape(tmp_path):
    server = start_portal(tmp_path / "broken.db")
    try:
        server.store.query("DROP TABLE catalogue")
        response = requests.get(
            f"{server.url}/api/v1/catalogue",
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=TIMEOUT,
        )
    finally:
        server.stop()

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


def test_catalogue_missing_is_404_with_a_code(tmp_path):
    server = start_portal(tmp_path / "empty.db", seed_demo=False)
    try:
        response = requests.get(
            f"{server.url}/api/v1/catalogue",
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=TIMEOUT,
        )
    finally:
        server.stop()

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "catalogue_not_found"

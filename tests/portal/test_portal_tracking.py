"""Tracking: GET /api/v1/tracking/{reference}, POST /api/v1/tracking/mine and the
phone page GET /track/{reference}, on the real portal over loopback."""

from __future__ import annotations

import uuid

import requests
from portal_testkit import TIMEOUT, Api, payment_body, results, sync_item

from kiosk.identity import identity_hash
from portal.demo_data import DEMO_CARDS, DEMO_SALT
from portal.status_history import SERVICE_REQUEST, record_status

MARIA = DEMO_CARDS[0]
GRAFFITI = {
    "service_code": "graffiti",
    "address_id": "addr-0002",
    "attributes": {"surface": ["wall"], "offensive": "no"},
}


def track(api: Api, reference: str, **params) -> requests.Response:
    return api.get(f"/api/v1/tracking/{reference}", params=params)


def test_a_request_shows_its_history_and_the_citys_notes_in_each_language(api):
    english = track(api, "LF-000001").json()
    spanish = track(api, "lf-000001", locale="es-MX").json()

    assert english["kind"] == "service_request" and english["status"] == "closed"
    assert english["title"] == "Pothole" and spanish["title"] == "Bache"
    assert [step["status"] for step in english["history"]] == ["open", "open", "closed"]
    assert [step["at"] for step in english["history"]] == sorted(
        step["at"] for step in english["history"]
    )
    assert english["history"][0]["note"] == "Received. Thank you for telling us."
    assert english["latest_note"] == "Fixed: the hole was filled."
    assert spanish["latest_note"] == "Arreglado: se rellenó el hoyo."
    # What the resident typed stays out of tracking: the phone page shows the same.
    assert "description" not in english and "address" not in english


def test_a_new_request_records_its_first_status_and_its_kiosk_finds_it_by_key(api, portal):
    key = uuid.uuid4().hex
    (result,) = results(api.sync(sync_item("service_request", GRAFFITI, key)))
    # Graffiti is a batch service: the answer is a token, trackable too.
    by_token = track(api, result["body"]["token"]).json()
    request_id = by_token["tracking_number"]
    assert request_id.startswith("LF-")

    by_number = track(api, request_id).json()
    assert [(step["status"], step["note"]) for step in by_number["history"]] == [("open", None)]
    assert by_number["history"][0]["at"] == by_number["created_at"]
    # The K- reference on the receipt is only known to the kiosk, with the key it used.
    reference = "K-7QPM-3XW2"
    assert track(api, reference).status_code == 404
    found = track(api, reference, kiosk_key=key).json()
    assert found["reference"] == reference and found["tracking_number"] == request_id
    other = Api(portal)
    other.session.headers["Authorization"] = "Bearer " + portal.store.issue_token("kiosk-2")
    assert track(other, reference, kiosk_key=key).status_code == 404  # not its key


def test_a_payment_is_found_by_the_reference_on_its_receipt(api, new_bill):
    bill = new_bill(5_000)
    body = payment_body(bill, 2_000)
    posted = api.pay(body, uuid.uuid4().hex).json()

    found = track(api, body["kiosk_reference"], locale="es").json()
    assert found["kind"] == "payment" and found["tracking_number"] == posted["payment_id"]
    assert found["title"] == f"Pago de la factura {bill['number']}"
    assert (found["amount_cents"], found["currency"], found["status"]) == (2_000, "USD", "posted")
    assert [step["status"] for step in found["history"]] == ["posted"]
    assert track(api, posted["payment_id"]).json()["kind"] == "payment"


def test_unknown_and_malformed_references(api):
    missing = track(api, "LF-999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "tracking_not_found"
    malformed = track(api, "LF 1<script>")
    assert malformed.status_code == 422
    assert "reference" in malformed.json()["error"]["fields"]


def test_tracking_needs_a_device_token(portal):
    response = requests.get(f"{portal.url}/api/v1/tracking/LF-000001", timeout=TIMEOUT)
    assert response.status_code == 401


def test_mine_lists_the_residents_requests_and_payments_newest_first(api, portal):
    id_hash = identity_hash(DEMO_SALT, MARIA.profile, MARIA.identifier)
    response = api.post(
        "/api/v1/tracking/mine", json={"profile": MARIA.profile, "id_hash": id_hash}
    )
    assert response.status_code == 200
    items = response.json()["items"]
    requests_only = [item["tracking_number"] for item in items if item["kind"] == "service_request"]
    assert requests_only == ["LF-000002", "LF-000001"]
    assert [item["created_at"] for item in items] == sorted(
        (item["created_at"] for item in items), reverse=True
    )
    stranger = identity_hash(DEMO_SALT, "uid", "DEADBEEF")
    nobody = api.post("/api/v1/tracking/mine", json={"profile": "uid", "id_hash": stranger})
    assert nobody.json() == {"items": []}


def test_mine_refuses_what_is_not_a_card_hash(api):
    raw = api.post("/api/v1/tracking/mine", json={"profile": "beid", "id_hash": "92051212329"})
    assert raw.status_code == 422 and "id_hash" in raw.json()["error"]["fields"]
    profile = api.post("/api/v1/tracking/mine", json={"profile": "x", "id_hash": "a" * 64})
    assert profile.status_code == 422 and "profile" in profile.json()["error"]["fields"]


def test_the_phone_page_shows_the_status_in_the_phones_language(portal):
    page = requests.get(
        f"{portal.url}/track/LF-000002", headers={"Accept-Language": "es-ES,es;q=0.9"},
        timeout=TIMEOUT,
    )  # fmt: skip
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="es">' in html and 'name="viewport"' in html
    assert "Abierto: la ciudad está trabajando en ello." in html
    assert "Ya hay un equipo programado." in html
    assert "<script" not in html
    english = requests.get(f"{portal.url}/track/LF-000002?lang=en", timeout=TIMEOUT).text
    assert "Open: the city is working on it." in english


def test_the_phone_page_escapes_everything(portal, api):
    (result,) = results(api.sync(sync_item("service_request", GRAFFITI)))
    request_id = track(api, result["body"]["token"]).json()["tracking_number"]
    with portal.store.transaction() as conn:
        note = {"en": '<script>alert("x")</script> & done', "es": "<b>hecho</b>"}
        record_status(conn, SERVICE_REQUEST, request_id, "<i>odd</i>", "2099-01-01T00:00:00+00:00",
                      note)  # fmt: skip
    html = requests.get(f"{portal.url}/track/{request_id}", timeout=TIMEOUT).text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; done" in html
    assert "&lt;i&gt;odd&lt;/i&gt;" in html
    assert "<script>" not in html and "<i>" not in html

    missing = requests.get(f"{portal.url}/track/%3Cb%3Ex%22", timeout=TIMEOUT)
    assert missing.status_code == 404
    assert "&lt;b&gt;x&quot;" in missing.text and "<b>x" not in missing.text


def test_a_receipt_reference_delivered_with_its_item_is_found_anywhere(api, portal):
    reference = "K-" + uuid.uuid4().hex[:4].upper() + "-" + uuid.uuid4().hex[:4].upper()
    item = sync_item("service_request", GRAFFITI) | {"reference": reference}
    (result,) = results(api.sync(item))
    assert result["outcome"] == "created", result

    stranger = Api(portal)
    stranger.session.headers["Authorization"] = "Bearer " + portal.store.issue_token("kiosk-9")
    found = track(stranger, reference.lower()).json()
    assert found["reference"] == reference.lower()
    assert found["tracking_number"].startswith("LF-")
    page = requests.get(f"{portal.url}/track/{reference}?lang=en", timeout=TIMEOUT)
    assert page.status_code == 200 and found["tracking_number"] in page.text
    # A rejected item leaves no reference behind.
    refused = sync_item("service_request", {"service_code": "no-such"}) | {
        "reference": "K-0000-0001"
    }
    assert results(api.sync(refused))[0]["outcome"] == "rejected"
    assert track(api, "K-0000-0001").status_code == 404

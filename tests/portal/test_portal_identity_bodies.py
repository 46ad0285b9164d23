"""A card identity in a body is one model (portal.models.IdentityLookup) wherever it is
taken: a field it does not know is refused by name, never silently dropped."""

from __future__ import annotations

import pytest
from portal_testkit import results, sync_item

CARD = {"profile": "uid", "id_hash": "a" * 64, "card_number": "4111111111111111"}


@pytest.mark.parametrize(
    "path", ["/api/v1/identities/lookup", "/api/v1/tracking/mine", "/api/v1/permits/mine"]
)
def test_an_unknown_field_beside_a_card_identity_is_refused(api, path):
    response = api.post(path, json=CARD)

    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"card_number"}


def test_a_report_names_its_resident_with_the_same_fields(api):
    report = {
        "service_code": "graffiti",
        "address_id": "addr-0002",
        "attributes": {"surface": ["wall"], "offensive": "no"},
        "resident": CARD,
    }

    (result,) = results(api.sync(sync_item("service_request", report)))

    assert result["outcome"] == "rejected"
    assert set(result["error"]["fields"]) == {"resident.card_number"}

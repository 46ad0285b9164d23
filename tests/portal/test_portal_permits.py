"""Permit and licence forms, residents' permits and applications through the sync batch."""

from __future__ import annotations

import uuid

import pytest
from portal_testkit import count, new_key, results, sync_item

from kiosk.identity import identity_hash
from portal.demo_data import DEMO_CARDS, DEMO_SALT

MARIA = next(card for card in DEMO_CARDS if card.account == "100200")
OPEN311_DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def maria_identity():
    return {
        "profile": MARIA.profile,
        "id_hash": identity_hash(DEMO_SALT, MARIA.profile, MARIA.identifier),
    }


def dog_licence(**changes):
    application = {
        "form_id": "dog_licence",
        "form_version": 1,
        "reference": f"K-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}",
        "values": {"dog_name": "Luna", "size": "small", "birth_year": 2022},
        "documents": ["rabies_certificate"],
        "fee_cents": 2500,
        "locale": "en",
    }
    return application | changes


def apply(api, application, key=None):
    (result,) = results(api.sync(sync_item("permit_application", application, key=key)))
    return result


def test_forms_are_listed_with_their_fees_and_served_whole(api):
    forms = api.get("/api/v1/permits/forms").json()["forms"]
    assert [form["form_id"] for form in forms] == [
        "dog_licence",
        "residential_parking",
        "street_event",
    ]
    assert {form["fee_cents"] for form in forms} == {2500, 4000, 0}

    form = api.get("/api/v1/permits/forms/dog_licence").json()
    assert {field["datatype"] for field in form["fields"]} <= OPEN311_DATATYPES
    assert all(set(field["label"]) == {"en", "es"} for field in form["fields"])
    assert [document["code"] for document in form["documents"]] == ["rabies_certificate"]
    every_form = [api.get(f"/api/v1/permits/forms/{f['form_id']}").json() for f in forms]
    datatypes = {field["datatype"] for form in every_form for field in form["fields"]}
    assert datatypes == OPEN311_DATATYPES


def test_an_unknown_form_is_404(api):
    response = api.get("/api/v1/permits/forms/moon_landing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "form_not_found"


def test_a_resident_sees_their_permits_for_renewal_and_others_see_none(api):
    mine = api.post("/api/v1/permits/mine", json=maria_identity()).json()["permits"]
    assert [(p["permit_number"], p["form_id"]) for p in mine] == [("DL-2025-0142", "dog_licence")]
    assert mine[0]["values"]["dog_name"] == "Bruno"
    stranger = {"profile": "uid", "id_hash": "0" * 64}
    assert api.post("/api/v1/permits/mine", json=stranger).json()["permits"] == []
    bad_profile = api.post("/api/v1/permits/mine", json={"profile": "x", "id_hash": "0" * 64})
    assert bad_profile.status_code == 422


def test_an_application_with_a_fee_waits_for_it_and_a_resend_is_the_same_application(portal, api):
    application, key = dog_licence(), new_key()
    first = apply(api, application, key)
    again = apply(api, application, key)

    assert first["outcome"] == "created", first
    assert again["outcome"] == "replayed"
    assert first["body"]["application_number"] == application["reference"]
    assert first["body"]["status"] == "awaiting_fee"
    number = application["reference"]
    assert (
        count(
            portal, "SELECT count(*) FROM permit_applications WHERE application_number = ?", number
        )
        == 1
    )


def test_a_free_application_is_submitted_at_once(api):
    event = dog_licence(
        form_id="street_event",
        values={"event_name": "Elm Street party", "starts": "2026-12-20T14:00:00", "guests": 40,
                "needs": ["barriers", "bins"]},
        documents=[],
        fee_cents=0,
    )  # fmt: skip
    result = apply(api, event)
    assert result["outcome"] == "created", result
    assert result["body"]["status"] == "submitted"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"values": {"size": "small", "birth_year": 2022}}, "values.dog_name"),
        ({"values": {"dog_name": "Luna", "size": "huge", "birth_year": 2022}}, "values.size"),
        ({"values": {"dog_name": "Luna", "size": "small", "birth_year": 1900}},
         "values.birth_year"),
        ({"values": {"dog_name": "Luna", "size": "small", "birth_year": 2022, "microchip": "12"}},
         "values.microchip"),
        ({"documents": []}, "documents"),
    ],
)  # fmt: skip
def test_bad_answers_are_rejected_naming_the_field(portal, api, changes, field):
    application = dog_licence(**changes)
    result = apply(api, application)
    assert result["outcome"] == "rejected", result
    assert field in result["error"]["fields"]
    number = application["reference"]
    assert (
        count(
            portal, "SELECT count(*) FROM permit_applications WHERE application_number = ?", number
        )
        == 0
    )


def test_a_changed_fee_or_form_is_refused_not_guessed(api):
    assert apply(api, dog_licence(fee_cents=100))["error"]["code"] == "fee_changed"
    assert apply(api, dog_licence(form_version=7))["error"]["code"] == "form_changed"


def test_a_renewal_costs_the_renewal_fee_and_must_name_a_held_permit(api):
    renewal = dog_licence(renewal_of="DL-2025-0142", fee_cents=2000, **maria_identity())
    assert apply(api, renewal)["body"]["status"] == "awaiting_fee"
    unknown = dog_licence(renewal_of="DL-1999-0000", fee_cents=2000, **maria_identity())
    assert apply(api, unknown)["error"]["code"] == "permit_not_found"
    someone_elses = dog_licence(renewal_of="DL-2025-0142", fee_cents=2000)
    assert apply(api, someone_elses)["error"]["code"] == "permit_not_found"
    not_renewable = dog_licence(form_id="street_event", renewal_of="DL-2025-0142", fee_cents=0)
    assert apply(api, not_renewable)["error"]["code"] == "not_renewable"

"""Reporting a problem in the Kivy-free model, against the reference portal on loopback:
group, service, questions, where, description and contact, review, then the queue."""

from __future__ import annotations

import datetime
import json
import socket
import uuid

import pytest

from kiosk.config import ConfigError, load_config, parse_config
from kiosk.flows.report import (
    REPORT_DESCRIPTION,
    REPORT_DETAILS,
    REPORT_LOCATION,
    REPORT_REVIEW,
    REPORT_SERVICES,
)
from kiosk.forms import OTHER_DAY, TODAY, WhenAnswer
from kiosk.identity import identity_hash
from kiosk.model import HOME, KioskModel
from kiosk.portal_client import PortalClient
from kiosk.speech import SilentSpeaker
from offline.cache import Cache
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Outbox
from offline.sync import SyncSettings, SyncWorker

FAST = SyncSettings(backoff_base_s=0.01, backoff_max_s=0.05, health_interval_s=1)


class Kiosk:
    """A model with a real outbox, cache and sync worker, on one kiosk database."""

    def __init__(self, tmp_path, url: str, token: str, clock, **config):
        self.path = tmp_path / "kiosk.db"
        self.cipher = PayloadCipher(load_or_create_key(tmp_path / "key"))
        self.db = open_database(self.path)
        self.outbox = Outbox(self.db, self.cipher)
        self.client = PortalClient(url, token, connect_timeout_s=1, read_timeout_s=2, retries=0)
        self.sync = SyncWorker(
            lambda: Outbox(open_database(self.path), self.cipher), self.client, FAST
        )
        settings = load_config(None, demo=True).with_values(portal__url=url, **config)
        self.model = KioskModel(
            settings,
            portal=self.client,
            speaker=SilentSpeaker(),
            cache=Cache(self.db, self.cipher),
            outbox=self.outbox,
            sync=self.sync,
            clock=clock,
        )
        self.model.load_catalogue()
        self.model.start_session()
        self.flow = self.model.flows["report"]

    def close(self):
        self.client.close()
        self.db.close()


@pytest.fixture
def kiosk(tmp_path, portal, clock):
    made = Kiosk(tmp_path, portal.url, portal.token, clock)
    yield made
    made.close()


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def open_service(kiosk, code: str) -> None:
    kiosk.model.open_service("report_problem")
    flow = kiosk.flow
    assert kiosk.model.screen == REPORT_SERVICES and flow.services_state == "ready"
    member = next(m for m, _title, services in flow.groups() if code in codes(services))
    flow.choose_group(member)
    flow.choose_service(code)


def codes(services) -> list[str]:
    return [service.service_code for service in services]


def describe_pothole(kiosk, *, description: str = "", contact: str = "") -> None:
    flow = kiosk.flow
    open_service(kiosk, "pothole")
    flow.answer("size", "large")
    flow.answer("depth_in", "4")
    flow.next()
    flow.type_address("elm")
    flow.search_addresses()
    flow.choose_address("addr-0002")
    flow.note("description", description)
    flow.note("contact", contact)
    flow.next()
    assert kiosk.model.screen == REPORT_REVIEW, flow.errors


def test_a_pothole_report_goes_step_by_step_to_the_city(kiosk, portal):
    model, flow = kiosk.model, kiosk.flow
    model.open_service("report_problem")
    assert [title for _m, title, _s in flow.groups()] == [
        "Streets",
        "Lights",
        "Clean city",
        "Neighbors",
    ]
    assert "Streets." in model.describe()
    flow.choose_group("pothole")
    assert codes(flow.chosen_group()[2]) == ["pothole"]
    flow.choose_service("pothole")
    assert model.screen == REPORT_DETAILS
    assert [f.code for f in flow.form().fields] == ["size", "depth_in", "lane"]

    flow.next()  # nothing answered: the required question says so, beside itself
    assert model.screen == REPORT_DETAILS
    assert {code: e.text(model._) for code, e in flow.errors.items()} == {
        "size": "Please choose an answer."
    }
    assert "Please choose an answer." in model.describe()
    flow.answer("size", "medium")
    flow.answer("depth_in", "three")  # a number pad would not allow it; a keyboard might
    assert flow.answers["depth_in"] == ""
    flow.answer("depth_in", "3.5")
    flow.answer("lane", "bike")
    assert "size" not in flow.errors
    flow.next()
    assert model.screen == REPORT_LOCATION

    flow.next()
    assert flow.address_status_text() == "Please choose where the problem is."
    flow.type_address("ELM st")
    flow.search_addresses()
    assert [a["address"] for a in flow.addresses] == ["12 Elm Street", "45 Elm Street"]
    assert flow.address_status_text() == "We found 2 addresses. Touch one to choose it."
    flow.choose_address("addr-0003")
    assert model.screen == REPORT_DESCRIPTION

    marker = uuid.uuid4().hex
    flow.note("description", f"Deep hole, {marker}")
    flow.note("contact", "me@example.org")
    flow.next()
    assert model.screen == REPORT_REVIEW
    lines = [(label, value) for _step, label, value in flow.review_lines(flow._now())]
    assert lines == [
        ("Problem", "Pothole"),
        ("How big is the hole?", "About as big as a tire"),
        ("About how deep is it?", "3.5"),
        ("Where on the road is it?", "In a bike lane"),
        ("Where", "45 Elm Street"),
        ("Description", f"Deep hole, {marker}"),
        ("Updates", "m***@example.org"),
    ]
    assert "Check your report." in model.describe()

    flow.send()
    assert model.screen == "confirmation"
    assert flow.service_code is None and flow.answers == {}  # nothing kept for the next one
    [item] = kiosk.outbox.next_batch(5)
    assert item.kind == "service_request"
    assert item.payload == {
        "service_code": "pothole",
        "attributes": {"size": "medium", "depth_in": "3.5", "lane": "bike"},
        "address_string": "45 Elm Street",
        "address_id": "addr-0003",
        "lat": 44.9252,
        "long": -69.3141,
        "description": f"Deep hole, {marker}",
        "email": "me@example.org",
        "locale": "en",
    }

    assert kiosk.sync.drain()
    made = portal.store.query_one(
        "SELECT * FROM service_requests WHERE description = ?", (f"Deep hole, {marker}",)
    )
    assert made["zipcode"] == "04710" and made["email"] == "me@example.org"
    model.sync_status_changed(kiosk.sync.status)
    heading, status, reference = model.confirmation_lines()
    assert status == "It has reached the city."
    assert reference == (
        f"Your reference: {item.reference}\nCity request number: {made['service_request_id']}"
    )


def test_a_service_without_questions_needs_words_and_checks_the_contact(kiosk):
    model, flow = kiosk.model, kiosk.flow
    open_service(kiosk, "noise")
    assert model.screen == REPORT_LOCATION  # no questions: straight to where
    flow.choose_near_kiosk()
    assert flow.location_text() == "Near this kiosk: Lindenfield Central Library"
    flow.note("contact", "not a contact")
    flow.next()
    assert model.screen == REPORT_DESCRIPTION
    errors = {code: error.text(model._) for code, error in flow.errors.items()}
    assert errors == {
        "description": "Please answer this question.",
        "contact": "We could not read that as an email address or a phone number. Please check it.",
    }
    flow.note("description", "x" * 1001)
    flow.note("contact", "+1 (555) 010-0199")
    flow.next()
    assert flow.errors["description"].text(model._) == (
        "Please make this shorter: at most 1000 characters (now 1001)."
    )
    flow.note("description", "Loud music every night")
    flow.next()
    flow.back()
    assert model.screen == REPORT_DESCRIPTION and not flow.errors
    flow.next()
    flow.send()
    [item] = kiosk.outbox.next_batch(5)
    assert item.payload["phone"] == "+15550100199" and "email" not in item.payload
    assert (item.payload["lat"], item.payload["long"]) == (44.9225, -69.308)
    assert item.payload["address_string"] == "Lindenfield Central Library"
    assert item.payload["attributes"] == {} and "address_id" not in item.payload


def test_a_datetime_and_a_multivaluelist_reach_the_city_as_open311_values(kiosk, portal):
    flow = kiosk.flow
    open_service(kiosk, "streetlight")
    flow.answer("problem", "out")
    flow.answer("noticed_at", WhenAnswer(OTHER_DAY, "2026113", ""))
    flow.next()
    assert flow.errors["noticed_at"].message.startswith("Please type a real date")
    flow.answer("noticed_at", WhenAnswer(OTHER_DAY, "20261103", "2130"))
    assert flow.answers["noticed_at"] == WhenAnswer(OTHER_DAY, "2026-11-03", "21:30")
    flow.next()
    flow.use_typed_address()
    assert flow.address_status_text() == "Please type the address first, at least 3 letters."
    flow.type_address("corner of Oak and Mill")
    flow.use_typed_address()
    flow.next()
    flow.send()
    [item] = kiosk.outbox.next_batch(5)
    noticed = datetime.datetime.fromisoformat(item.payload["attributes"]["noticed_at"])
    assert noticed.replace(tzinfo=None) == datetime.datetime(2026, 11, 3, 21, 30)
    assert noticed.utcoffset() is not None
    assert item.payload["address_string"] == "corner of Oak and Mill"
    assert kiosk.sync.drain()

    open_service(kiosk, "graffiti")
    flow.answer("surface", ("wall", "sign", "wall"))
    flow.answer("offensive", "yes")
    assert flow.answers["surface"] == ("wall", "sign")
    flow.next()
    flow.choose_near_kiosk()
    flow.next()
    flow.send()
    [item] = kiosk.outbox.next_batch(5)
    assert item.payload["attributes"] == {"surface": ["wall", "sign"], "offensive": "yes"}
    assert kiosk.sync.drain()
    token = kiosk.outbox.find(item.reference).portal_reference
    assert portal.store.query_one("SELECT 1 FROM request_tokens WHERE token = ?", (token,))


def test_a_language_switch_keeps_every_answer_and_shows_the_citys_spanish(kiosk):
    model, flow = kiosk.model, kiosk.flow
    open_service(kiosk, "streetlight")
    flow.answer("problem", "flickering")
    flow.answer("pole_number", "LF-2231")
    flow.answer("noticed_at", WhenAnswer(TODAY, "", "0715"))
    model.choose_language("es")
    assert flow.answers == {
        "problem": "flickering",
        "pole_number": "LF-2231",
        "noticed_at": WhenAnswer(TODAY, "", "07:15"),
    }
    form = flow.form()
    assert form.field("problem").label_in("es") == "¿Cuál es el problema?"
    assert form.field("problem").choice_label("flickering", "es") == "La luz parpadea"
    assert flow.chosen_service().service_name == "Problema con una luz de la calle"
    assert "¿Cuál es el problema?" in model.describe()
    model.choose_language("en")
    flow.next()
    flow.choose_near_kiosk()
    flow.next()
    review = {label: value for _s, label, value in flow.review_lines(flow._now())}
    assert review["When did you first see the problem?"] == "Today, 7:15 AM"
    assert review["Number on the pole, if you can see it"] == "LF-2231"


def test_cancel_and_the_end_of_the_visit_forget_the_report(kiosk):
    model, flow = kiosk.model, kiosk.flow
    describe_pothole(kiosk, description="private words", contact="me@example.org")
    model.cancel_service()
    assert model.screen == HOME
    assert flow.answers == {} and flow.location is None and flow.notes["description"] == ""

    describe_pothole(kiosk, description="private words")
    model.end_session("card removed")
    assert flow.answers == {} and flow.notes["description"] == "" and flow.services_state == ""


def test_a_resident_with_a_card_has_their_reports_kept_in_order(kiosk):
    from kiosk.identity import ResidentIdentity

    id_hash = identity_hash("demo-salt", "uid", "04A1B2C3D4")
    kiosk.model.session.identity = ResidentIdentity("uid", id_hash, "Maria Lopez")
    describe_pothole(kiosk)
    kiosk.flow.send()
    order_key = kiosk.db.conn.execute("SELECT order_key FROM outbox").fetchone()[0]
    assert order_key == kiosk.cipher.pseudonym(f"resident:{id_hash}")


def test_a_card_holders_report_is_theirs_under_my_requests(kiosk, portal):
    from kiosk.identity import ResidentIdentity

    # A resident of this test's own: the portal is shared, and others count theirs.
    account = f"9{uuid.uuid4().int % 10**8:08d}"
    maria = {
        "profile": "uid",
        "id_hash": identity_hash("demo-salt", "uid", account),
        "account": account,
    }
    portal.store.add_account(account, "Maria Test")
    portal.store.link_identity(maria["profile"], maria["id_hash"], account)
    kiosk.model.session.identity = ResidentIdentity(maria["profile"], maria["id_hash"], "M")
    description = f"Pothole by the bakery {uuid.uuid4().hex}"
    describe_pothole(kiosk, description=description)
    kiosk.flow.send()
    [item] = kiosk.outbox.next_batch(5)
    assert item.payload["resident"] == {"profile": maria["profile"], "id_hash": maria["id_hash"]}
    assert kiosk.sync.drain()

    made = portal.store.query_one(
        "SELECT service_request_id, account_id FROM service_requests WHERE description = ?",
        (description,),
    )
    assert made["account_id"] == maria["account"]
    mine = kiosk.client.my_tracked(maria["profile"], maria["id_hash"], locale="en")
    assert made["service_request_id"] in json.dumps(mine)


def test_offline_a_report_uses_what_was_seen_before_and_is_queued(tmp_path, portal, clock):
    online = Kiosk(tmp_path, portal.url, portal.token, clock)
    open_service(online, "pothole")  # seen once: list and questions kept
    online.close()

    offline = Kiosk(tmp_path, dead_url(), portal.token, clock)
    try:
        model, flow = offline.model, offline.flow
        open_service(offline, "pothole")
        assert flow.definition_state == "ready"
        flow.answer("size", "small")
        flow.next()
        flow.type_address("12 Elm")
        flow.search_addresses()
        assert flow.address_state == "error"
        assert flow.address_status_text().startswith("We cannot search addresses right now.")
        flow.use_typed_address()
        flow.next()
        flow.send()
        assert not offline.sync.drain(max_passes=3)
        model.sync_status_changed(offline.sync.status)
        assert model.confirmation_lines()[1] == (
            "Queued: it will be sent when the connection returns."
        )
        open_service(offline, "graffiti")  # never seen: its questions cannot be asked
        assert flow.definition_state == "error"
        assert flow.details_status_text().startswith("The questions for this problem")
    finally:
        offline.close()


def test_nothing_seen_and_no_portal_says_so_plainly(tmp_path, portal, clock):
    offline = Kiosk(tmp_path, dead_url(), portal.token, clock)
    try:
        offline.flow.open("report_problem")
        assert offline.model.screen == REPORT_SERVICES
        assert offline.flow.services_state == "error"
        assert offline.model.describe().startswith(
            "Report a problem. The list of problems is not available right now."
        )
    finally:
        offline.close()


def test_a_city_open311_endpoint_gets_no_portal_address_id(tmp_path, portal, clock):
    # The same server under another name: a separate endpoint, as far as the kiosk knows.
    city = portal.url.replace("127.0.0.1", "localhost") + "/open311/v2"
    separate = Kiosk(tmp_path, portal.url, portal.token, clock, portal__open311_url=city)
    try:
        assert separate.flow.client.base_url == city
        describe_pothole(separate)
        separate.flow.send()
        [item] = separate.outbox.next_batch(5)
        assert "address_id" not in item.payload
        assert item.payload["address_string"] == "12 Elm Street"
        assert (item.payload["lat"], item.payload["long"]) == (44.9244, -69.3127)
    finally:
        separate.close()


def test_near_this_kiosk_is_offered_only_where_the_kiosk_says_where_it_is(tmp_path, portal, clock):
    nowhere = Kiosk(
        tmp_path,
        portal.url,
        portal.token,
        clock,
        kiosk__latitude=None,
        kiosk__longitude=None,
        kiosk__location="",
    )
    try:
        open_service(nowhere, "noise")
        assert nowhere.flow.kiosk_location() is None and nowhere.flow.near_kiosk_text() == ""
        nowhere.flow.choose_near_kiosk()
        assert nowhere.flow.location is None
    finally:
        nowhere.close()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("latitude = 44.9\nlongitude =\n", "set both latitude and longitude"),
        ("latitude = 91\nlongitude = 1\n", "between -90 and 90"),
        ("latitude = 1\nlongitude = east\n", "decimal degrees"),
    ],
)
def test_the_kiosks_position_is_checked(text, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_config("[kiosk]\n" + text, demo=True)


def test_the_demo_kiosk_stands_by_the_library():
    config = load_config(None, demo=True)
    assert (config.get("kiosk", "latitude"), config.get("kiosk", "longitude")) == (
        44.9225,
        -69.308,
    )

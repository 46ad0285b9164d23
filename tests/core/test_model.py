"""The Kivy-free model: intents, wipe, speech text, catalogue fallback."""

import os

import pytest

from kiosk.config import load_config
from kiosk.flows.permit_texts import PERMITS
from kiosk.model import ATTRACT, COMING_SOON, HELP, HOME, KioskModel
from kiosk.payment_flow import PAY_BILL
from kiosk.speech import SilentSpeaker
from offline.cache import Cache
from offline.crypto import PayloadCipher
from offline.db import open_database


class DocumentPortal:
    """Serves a fixed catalogue document (the real portal is used in
    test_model_portal.py); here the model's own logic is under test."""

    def __init__(self, document):
        self.document = document

    def catalogue(self):
        return self.document


def open_cache(path) -> Cache:
    return Cache(open_database(path), PayloadCipher(os.urandom(32)))


@pytest.fixture
def model(catalogue_document, clock, tmp_path):
    config = load_config(None, demo=True)
    speaker = SilentSpeaker()
    model = KioskModel(
        config,
        portal=DocumentPortal(catalogue_document),
        speaker=speaker,
        cache=open_cache(tmp_path / "kiosk.db"),
        clock=clock,
    )
    model.load_catalogue()
    return model


def test_attract_to_home_to_a_service(model):
    assert model.screen == ATTRACT and not model.session.active
    model.start_session()
    assert model.screen == HOME and model.session.active
    model.open_service("pay_bill")
    assert model.screen == PAY_BILL and model.selected_service.id == "pay_bill"
    model.go_home()
    model.open_service("permits")
    assert model.screen == PERMITS
    model.go_home()
    model.open_service("help")
    assert model.screen == HELP


def test_a_service_without_screens_at_this_kiosk_says_so(catalogue_document, clock):
    catalogue_document["services"].append(
        {
            "id": "boat_licence",
            "category": "permits",
            "order": 2,
            "title": {"en": "Boat licence", "es": "Licencia de barco"},
            "summary": {"en": "For the lake", "es": "Para el lago"},
            "keywords": {},
        }
    )
    model = KioskModel(
        load_config(None, demo=True), portal=DocumentPortal(catalogue_document), clock=clock
    )
    model.load_catalogue()
    model.start_session()
    model.open_service("boat_licence")
    assert model.screen == COMING_SOON
    assert model.unavailable_title() == "Not available here yet"
    assert model.describe().startswith("Boat licence. This service is not available")


def test_help_returns_where_the_resident_was(model):
    model.start_session()
    model.open_service("permits")
    model.open_help()
    model.close_help()
    assert model.screen == PERMITS


def test_search_filters_visible_groups(model):
    model.start_session()
    model.set_search("water")
    assert [[s.id for s in services] for _, services in model.visible_groups()] == [["pay_bill"]]
    model.set_search("nothing-like-this")
    assert model.visible_groups() == []
    assert "No service matches" in model.empty_catalogue_text()


def test_language_switch_keeps_entered_data_and_translates(model):
    model.start_session()
    model.set_search("agua")
    model.choose_language("es")
    assert model.search_query == "agua"
    assert model.visible_groups()[0][0] == "Pagos"
    assert "Elija un servicio" in model.describe()
    with pytest.raises(ValueError):
        model.choose_language("fr")


def test_timeout_warns_speaks_extends_and_wipes(model, clock):
    model.start_session()
    model.toggle_speech()
    model.choose_language("es")
    model.toggle_high_contrast()
    model.set_search("agua")
    clock.now += 61
    model.tick()
    assert model.session.warning
    assert "¿Necesita más tiempo?" in model.speaker.spoken[-1].text
    model.more_time()
    assert not model.session.warning and model.search_query == "agua"
    clock.now += 61
    model.tick()
    clock.now += 30
    model.tick()
    assert model.screen == ATTRACT
    assert model.search_query == "" and model.session.entered == {}
    assert model.language == "en" and model.translator.language == "en"
    assert not model.theme.high_contrast and not model.speech_on


def test_speech_follows_screens_only_when_on(model):
    model.start_session()
    assert model.speaker.spoken == []
    model.toggle_speech()
    assert "Choose a service." in model.speaker.spoken[-1].text
    assert "Pay a bill" in model.speaker.spoken[-1].text
    model.open_service("pay_bill")
    assert model.speaker.spoken[-1].text.startswith("Pay a bill.")
    model.toggle_speech()
    count = len(model.speaker.spoken)
    model.go_home()
    assert len(model.speaker.spoken) == count


def test_every_screen_describes_itself(model):
    for action in (
        lambda: None,
        model.start_session,
        lambda: model.open_service("pay_bill"),
        model.open_help,
    ):
        action()
        assert model.describe().strip(), model.screen


def test_catalogue_falls_back_to_cache_then_to_an_honest_message(model, tmp_path, clock):
    class DownPortal:
        def catalogue(self):
            from kiosk.portal_client import PortalUnavailable

            raise PortalUnavailable("down")

    cached = KioskModel(
        load_config(None, demo=True), portal=DownPortal(), cache=model.cache, clock=clock
    )
    cached.load_catalogue()
    assert cached.catalogue_status.state == "ready" and cached.catalogue_status.from_cache
    assert cached.online is False

    empty = KioskModel(
        load_config(None, demo=True),
        portal=DownPortal(),
        cache=open_cache(tmp_path / "empty.db"),
        clock=clock,
    )
    empty.load_catalogue()
    empty.start_session()
    assert empty.catalogue_status.state == "unavailable"
    assert "not available right now" in empty.describe()


def test_unexpected_failure_while_loading_is_contained(catalogue_document, clock, tmp_path):
    class BrokenPortal:
        def catalogue(self):
            raise TypeError("a bug, not a network problem")

    model = KioskModel(
        load_config(None, demo=True),
        portal=BrokenPortal(),
        cache=open_cache(tmp_path / "kiosk.db"),
        clock=clock,
    )
    model.load_catalogue()
    model.start_session()
    assert model.catalogue_status.state == "unavailable"
    assert "not available right now" in model.describe()

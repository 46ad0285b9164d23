"""The contract between the model and a resident service's Flow."""

import pytest

from kiosk import flows
from kiosk.config import load_config
from kiosk.flows.base import Flow
from kiosk.model import HOME, KioskModel


class NoteFlow(Flow):
    name = "note"
    service_ids = ("permits",)
    screens = ("note_form",)

    def reset(self):
        self.text = ""

    def open(self, service_id):
        self.go("note_form")

    def type(self, text):
        self.text = text
        self.remember("text", text)
        self.changed()

    def describe(self, screen):
        return self._("Touch to start") + ": " + self.text


@pytest.fixture
def model(catalogue_document, clock, monkeypatch):
    from kiosk.catalogue import Catalogue

    monkeypatch.setattr(flows, "FLOW_CLASSES", [NoteFlow])
    monkeypatch.setattr("kiosk.model.FLOW_CLASSES", flows.FLOW_CLASSES)
    model = KioskModel(load_config(None, demo=True), clock=clock)
    model.catalogue = Catalogue.from_portal(catalogue_document)
    return model


def test_a_service_opens_its_flow_and_the_flow_describes_its_screens(model):
    heard = []
    model.subscribe(heard.append)
    model.start_session()
    model.open_service("permits")
    assert model.screen == "note_form"
    model.flows["note"].type("a dog licence")
    assert "note" in heard
    assert model.describe() == "Touch to start: a dog licence"


def test_language_switch_keeps_what_was_entered(model):
    model.start_session()
    model.open_service("permits")
    model.flows["note"].type("perro")
    model.choose_language("es")
    assert model.flows["note"].text == "perro"
    assert model.describe() == "Toque para empezar: perro"


def test_cancel_forgets_the_flow_and_goes_home(model):
    model.start_session()
    model.open_service("permits")
    model.flows["note"].type("x")
    model.cancel_service()
    assert model.screen == HOME
    assert model.flows["note"].text == ""


def test_end_of_visit_wipes_every_flow(model):
    model.start_session()
    model.open_service("permits")
    model.flows["note"].type("private")
    model.end_session("card removed")
    assert model.flows["note"].text == ""
    assert model.session.recall("note.text") is None

"""Permits and licences in the Kivy-free model, against a real reference portal on
loopback, a real kiosk database (cache, outbox, journal, print jobs) and the in-process
card terminal simulator: apply (free, and with a fee paid by card), renew by card with
what the city knows filled in, and what the resident is told when it goes wrong."""

from __future__ import annotations

import json
import os

import pytest
from resident_kit import FAST, MARIA, READER

from drivers.card.interface import CardRead, CardRemoved
from drivers.payment.simulator import SimulatedTerminal
from kiosk.config import load_config
from kiosk.flows.permit_texts import FORM_UNAVAILABLE, FORMS_FROM_CACHE, FORMS_UNAVAILABLE
from kiosk.forms import OTHER_DAY, WhenAnswer
from kiosk.model import ATTRACT, CONFIRMATION, KioskModel
from kiosk.payment_flow import PAY_CONFIRM, PAY_OUTCOME, OrderLine
from kiosk.payments import PaymentDesk
from kiosk.portal_client import PortalClient
from kiosk.speech import SilentSpeaker
from offline import payment_journal as journal_states
from offline.alerts import Alerts
from offline.cache import Cache
from offline.crypto import PayloadCipher
from offline.db import open_database
from offline.outbox import Outbox
from offline.payment_journal import PaymentJournal
from offline.print_jobs import PrintJobs
from offline.sync import SyncWorker
from portal.server import start_portal

DOG_FEE, DOG_RENEWAL_FEE = 2500, 2000
REFUSED = "The city could not accept it yet. Staff will follow it up."


class Kiosk:
    def __init__(self, tmp_path, clock, *, decline=frozenset(), **config_values):
        self.portal = start_portal(tmp_path / "portal.db", seed_demo=True)
        self.db = open_database(tmp_path / "kiosk.db")
        cipher = PayloadCipher(os.urandom(32))
        self.outbox = Outbox(self.db, cipher)
        self.journal = PaymentJournal(self.db, cipher)
        self.print_jobs = PrintJobs(self.db, cipher)
        self.terminal = SimulatedTerminal(step_delay_s=0, decline_amounts=frozenset(decline))
        self.terminal.start()
        self.client = PortalClient(self.portal.url, self.portal.token, retries=0, read_timeout_s=5)
        self.desk = PaymentDesk(
            self.journal,
            self.outbox,
            lambda: self.terminal,
            alerts=Alerts(self.db),
            on_settled=lambda reference, state: self.model.payment_settled(reference, state),
        )
        config = load_config(None, demo=True).with_values(**config_values)
        self.model = KioskModel(
            config,
            portal=self.client,
            speaker=SilentSpeaker(),
            cache=Cache(self.db, cipher),
            outbox=self.outbox,
            alerts=Alerts(self.db),
            print_jobs=self.print_jobs,
            payment_desk=self.desk,
            clock=clock,
        )
        self.model.load_catalogue()
        self.model.start_session()
        self.flow = self.model.flows["permits"]
        self.sync = SyncWorker(lambda: self.outbox, self.client, FAST)

    def deliver(self) -> None:
        """Everything due, sent (what the city refuses is parked, not retried)."""
        assert self.sync.drain(max_passes=100)
        self.model.sync_status_changed(self.sync.status)

    def try_to_deliver(self) -> None:
        self.sync.run_once()
        self.model.sync_status_changed(self.sync.status)

    def portal_down(self) -> None:
        self.portal.stop()

    def portal_back(self) -> None:
        port = int(self.portal.url.rsplit(":", 1)[1])
        self.portal = start_portal(
            self.portal.db_path, port=port, seed_demo=False, token=self.portal.token
        )

    def applications(self, number: str) -> list:
        return self.portal.store.query(
            "SELECT * FROM permit_applications WHERE application_number = ?", (number,)
        )

    def queued(self, kind: str) -> int:
        return sum(1 for item in self.outbox.summaries() if item.kind == kind)

    def receipt(self) -> dict:
        return self.print_jobs.document(self.model.receipt_job_id)

    def close(self) -> None:
        self.client.close()
        self.db.close()
        self.portal.stop()


@pytest.fixture
def kiosk(tmp_path, clock):
    kiosk = Kiosk(tmp_path, clock)
    yield kiosk
    kiosk.close()


def errors(flow) -> dict[str, str]:
    return {code: error.text(flow.model._) for code, error in flow.errors.items()}


def street_party(flow) -> None:
    flow.choose_form("street_event")
    flow.answer("event_name", "Elm Street party")
    flow.answer("starts", WhenAnswer(OTHER_DAY, "20261220", "1400"))
    flow.answer("guests", "40")
    flow.answer("needs", ("barriers",))
    flow.next()


def dog_licence(flow) -> None:
    flow.choose_form("dog_licence")
    flow.answer("dog_name", "Luna")
    flow.answer("size", "small")
    flow.answer("birth_year", "2022")
    flow.answer("document:rabies_certificate", True)
    flow.next()


# Applying ---------------------------------------------------------------------------


def test_the_forms_are_listed_with_their_fees_in_the_residents_language(kiosk):
    kiosk.model.choose_language("es")
    kiosk.model.open_service("permits")

    assert kiosk.model.screen == "permits"
    choices = kiosk.flow.form_choices()
    assert [form_id for form_id, _title, _detail in choices] == [
        "dog_licence",
        "residential_parking",
        "street_event",
    ]
    assert choices[0][1] == "Licencia para perro"
    assert "25,00" in choices[0][2]
    assert kiosk.flow.renewal_choices() == []  # a guest has nothing to renew
    assert "Licencia para perro" in kiosk.model.describe()


def test_a_free_application_is_sent_once_numbered_by_its_reference(kiosk):
    kiosk.model.open_service("permits")
    kiosk.flow.choose_form("street_event")
    kiosk.flow.next()  # nothing answered: each required question says so
    assert kiosk.model.screen == "permit_form"
    assert errors(kiosk.flow) == {
        "event_name": "Please answer this question.",
        "starts": "Please answer this question.",
        "guests": "Please answer this question.",
    }
    kiosk.flow.answer("guests", "9000")
    assert "guests" not in kiosk.flow.errors  # a new answer clears its error...
    kiosk.flow.next()
    assert (
        errors(kiosk.flow)["guests"] == "Please type a number of 5000 or less."
    )  # ...till checked
    street_party(kiosk.flow)
    assert kiosk.model.screen == "permit_review"
    lines = {
        label: value for _code, label, value, _kept in kiosk.flow.review_lines(kiosk.flow._now())
    }
    assert lines["Name of the event"] == "Elm Street party"
    assert lines["What you need from the city"] == "Road barriers"
    assert kiosk.flow.review_fee_text() == "No fee"
    assert kiosk.flow.submit_text() == "Send application"
    kiosk.flow.submit()

    assert kiosk.model.screen == CONFIRMATION
    number = kiosk.model.last_submission.reference
    assert kiosk.model.confirmation_lines()[2] == f"Your reference: {number}"
    assert ["Application number", number] in kiosk.receipt()["details"]
    kiosk.deliver()
    (application,) = kiosk.applications(number)
    assert application["status"] == "submitted" and application["fee_cents"] == 0
    values = json.loads(application["form_values"])
    assert values["guests"] == 40 and values["needs"] == ["barriers"]
    assert values["starts"].startswith("2026-12-20T14:00")
    assert kiosk.model.confirmation_lines()[1] == "It has reached the city."
    assert kiosk.flow.form is None  # the flow forgot it all


def test_a_licence_with_a_fee_is_queued_then_paid_and_completed_at_the_portal(kiosk):
    kiosk.model.open_service("permits")
    kiosk.flow.choose_form("dog_licence")
    kiosk.flow.answer("microchip", "12 34")
    kiosk.flow.next()
    assert errors(kiosk.flow)["microchip"] == "This is not in the form asked for. Please check it."
    assert errors(kiosk.flow)["document:rabies_certificate"] == (
        "Please confirm this before you go on."
    )
    kiosk.flow.answer("microchip", "")
    dog_licence(kiosk.flow)
    assert kiosk.flow.documents_to_bring() == ["Rabies vaccination certificate"]
    assert kiosk.flow.review_fee_text() == "Fee: $25.00"

    kiosk.flow.submit()

    assert kiosk.model.screen == PAY_CONFIRM
    number = kiosk.flow.saved.reference
    assert kiosk.queued("permit_application") == 1
    assert number in kiosk.model.order_note_text()
    (line,) = kiosk.model.payment_order.lines
    assert (line.kind, line.id, line.amount_cents) == ("permit_fee", number, DOG_FEE)
    kiosk.deliver()  # the application arrives first, waiting for its fee
    assert kiosk.applications(number)[0]["status"] == "awaiting_fee"

    kiosk.model.start_payment()

    assert kiosk.model.screen == CONFIRMATION
    heading, _status, reference = kiosk.model.confirmation_lines()
    assert heading == "Thank you. You paid $25.00."
    assert f"Application number: {number}" in reference
    details = [tuple(pair) for pair in kiosk.receipt()["details"]]
    assert ("Application number", number) in details
    assert ("Please bring", "Rabies vaccination certificate") in details
    assert kiosk.receipt()["currency"] == kiosk.model.paid_order.order.currency == "USD"
    kiosk.deliver()
    kiosk.desk.maintain()
    (application,) = kiosk.applications(number)
    assert application["status"] == "submitted"
    assert json.loads(application["form_values"])["birth_year"] == 2022
    assert kiosk.queued("permit_application") == 1
    assert kiosk.journal.entries()[0].state == journal_states.POSTED


def test_the_receipt_states_the_orders_currency_not_the_kiosks_default(kiosk):
    line = OrderLine("permit_fee", "P-EUR", "P-EUR", "A fee", 900)
    kiosk.model.start_order_payment([line], lambda order: None, currency="EUR")
    kiosk.model.start_payment()

    assert kiosk.model.screen == CONFIRMATION
    assert kiosk.receipt()["currency"] == "EUR"
    assert kiosk.model.config.get("payments", "currency") == "USD"


# Renewing ----------------------------------------------------------------------------


def test_a_renewal_by_card_is_filled_in_from_the_permit_and_asks_nothing_twice(kiosk):
    kiosk.model.card_event(CardRead(READER, MARIA))
    kiosk.model.open_service("permits")
    assert [number for number, *_ in kiosk.flow.renewal_choices()] == ["DL-2025-0142"]
    assert "Valid until December 1, 2026" in kiosk.flow.renewal_choices()[0][2]

    kiosk.flow.choose_renewal("DL-2025-0142")

    # Only the documents are asked: the city knows the rest.
    asked = [field.code for field in kiosk.flow.screen_form().questions]
    assert asked == ["document:rabies_certificate"]
    assert "Renewing DL-2025-0142." in kiosk.flow.form_status_text()
    kiosk.flow.answer("document:rabies_certificate", True)
    kiosk.flow.next()
    lines = kiosk.flow.review_lines(kiosk.flow._now())
    assert [(label, value, kept) for _code, label, value, kept in lines][:2] == [
        ("Your dog's name", "Bruno", True),
        ("Size of your dog", "Medium (10 to 25 kg)", True),
    ]
    assert kiosk.flow.review_fee_text() == "Fee: $20.00"

    kiosk.flow.change("dog_name")  # a value kept from the permit can still be changed
    assert [f.code for f in kiosk.flow.screen_form().questions] == [
        "dog_name",
        "document:rabies_certificate",
    ]
    kiosk.flow.answer("dog_name", "Bruno Lopez")
    kiosk.flow.next()
    kiosk.flow.submit()
    number = kiosk.flow.saved.reference
    kiosk.model.start_payment()
    assert kiosk.model.screen == CONFIRMATION
    kiosk.deliver()

    (application,) = kiosk.applications(number)
    assert application["renewal_of"] == "DL-2025-0142"
    assert (application["fee_cents"], application["status"]) == (DOG_RENEWAL_FEE, "submitted")
    assert json.loads(application["form_values"]) == {
        "dog_name": "Bruno Lopez",
        "size": "medium",
        "birth_year": 2019,
        "microchip": "981020000123456",
    }


def test_taking_the_card_out_mid_renewal_wipes_it(kiosk):
    kiosk.model.card_event(CardRead(READER, MARIA))
    kiosk.model.open_service("permits")
    kiosk.flow.choose_renewal("DL-2025-0142")
    kiosk.flow.answer("document:rabies_certificate", True)

    kiosk.model.card_event(CardRemoved(READER))

    assert kiosk.model.screen == ATTRACT
    assert kiosk.flow.renewal is None and kiosk.flow.answers == {} and kiosk.flow.permits == ()
    assert kiosk.queued("permit_application") == 0


# When it goes wrong ------------------------------------------------------------------


def test_a_declined_card_leaves_the_application_saved_and_paying_again_pays_the_same(
    tmp_path, clock
):
    kiosk = Kiosk(tmp_path, clock, decline={DOG_FEE})
    try:
        kiosk.model.open_service("permits")
        dog_licence(kiosk.flow)
        kiosk.flow.submit()
        number = kiosk.flow.saved.reference
        kiosk.model.start_payment()

        # Not the payment's end screen: the application, saved and unpaid.
        assert kiosk.model.screen == "permit_review"
        banner = kiosk.flow.review_banner_text()
        assert "Your bank did not approve this payment. You were not charged." in banner
        assert f"Your application {number} is saved, but its fee of $25.00 is not paid" in banner
        assert kiosk.flow.submit_text() == "Pay the fee"
        assert kiosk.model.describe().startswith(
            "Your application is saved. Payment not completed."
        )
        kiosk.flow.back()
        assert kiosk.model.screen == "permit_review"  # saved: no going back to change it

        kiosk.terminal._decline_amounts = frozenset()
        kiosk.flow.submit()
        assert kiosk.model.screen == PAY_CONFIRM
        kiosk.model.start_payment()
        assert kiosk.model.screen == CONFIRMATION
        kiosk.deliver()

        assert kiosk.queued("permit_application") == 1  # never a second application
        (application,) = kiosk.applications(number)
        assert application["status"] == "submitted"
        states = sorted(entry.state for entry in kiosk.journal.entries())
        assert states == [journal_states.APPROVED, journal_states.DECLINED]
    finally:
        kiosk.close()


def test_a_kiosk_that_cannot_take_payments_saves_nothing(kiosk):
    kiosk.model.payment_desk = None
    kiosk.model.open_service("permits")
    dog_licence(kiosk.flow)

    kiosk.flow.submit()

    assert kiosk.model.screen == "permit_review"
    assert "This kiosk cannot take card payments." in kiosk.flow.review_banner_text()
    assert "Your application has not been sent." in kiosk.flow.review_banner_text()
    assert kiosk.queued("permit_application") == 0


def test_with_the_portal_down_the_list_says_so_then_works_from_its_kept_copy(kiosk):
    kiosk.model.open_service("permits")
    street_party(kiosk.flow)  # loads the form once: it is kept
    kiosk.model.cancel_service()
    kiosk.portal_down()
    try:
        kiosk.model.open_service("permits")
        assert kiosk.flow.forms_state == "ready"
        assert kiosk.flow.list_status_text().startswith(kiosk.model._(FORMS_FROM_CACHE))
        street_party(kiosk.flow)
        kiosk.flow.submit()
        assert kiosk.model.screen == CONFIRMATION
        number = kiosk.model.last_submission.reference
        kiosk.try_to_deliver()
        queued = kiosk.model.confirmation_lines()[1]
        assert queued == "Queued: it will be sent when the connection returns."
        kiosk.model.cancel_service()

        kiosk.model.open_service("permits")
        kiosk.flow.choose_form("dog_licence")  # never loaded before: nothing kept
        assert kiosk.flow.form_state == "error"
        assert kiosk.flow.form_status_text() == kiosk.model._(FORM_UNAVAILABLE)
    finally:
        kiosk.portal_back()
    kiosk.deliver()
    assert len(kiosk.applications(number)) == 1
    assert kiosk.model.confirmation_lines()[1] == "It has reached the city."


def test_with_the_portal_down_and_nothing_kept_the_list_says_it_cannot_load(tmp_path, clock):
    kiosk = Kiosk(tmp_path, clock)
    kiosk.portal_down()
    try:
        kiosk.model.open_service("permits")
        assert kiosk.flow.forms_state == "error"
        assert kiosk.flow.list_status_text() == kiosk.model._(FORMS_UNAVAILABLE)
        kiosk.portal_back()
        kiosk.flow.retry_loading()
        assert kiosk.flow.forms_state == "ready" and len(kiosk.flow.forms) == 3
    finally:
        kiosk.close()


def test_a_form_changed_at_the_portal_is_refused_and_its_fee_refunded(kiosk):
    kiosk.model.open_service("permits")
    dog_licence(kiosk.flow)
    kiosk.flow.submit()
    kiosk.model.start_payment()
    assert kiosk.model.screen == CONFIRMATION
    with kiosk.portal.store.transaction() as conn:  # the city publishes version 2
        conn.execute(
            "UPDATE permit_forms SET body = json_set(body, '$.version', 2)"
            " WHERE form_id = 'dog_licence'"
        )

    kiosk.deliver()  # the application is refused; then its fee, with nothing to pay for
    kiosk.desk.maintain()

    heading, status, _reference = kiosk.model.confirmation_lines()
    assert heading == "Your payment was refunded"
    assert "The city could not accept this payment: the application it paid for was not" in (status)
    assert "We refunded $25.00 to your card: you were not charged." in status
    assert kiosk.journal.entries()[0].state == journal_states.REVERSED


def test_a_free_application_on_a_changed_form_is_followed_up_by_staff(kiosk):
    kiosk.model.open_service("permits")
    street_party(kiosk.flow)
    kiosk.flow.submit()
    with kiosk.portal.store.transaction() as conn:
        conn.execute(
            "UPDATE permit_forms SET body = json_set(body, '$.version', 3)"
            " WHERE form_id = 'street_event'"
        )

    kiosk.deliver()

    assert kiosk.model.confirmation_lines()[1] == REFUSED
    assert kiosk.applications(kiosk.model.last_submission.reference) == []


def test_errors_stay_beside_their_fields_through_a_language_switch(kiosk):
    kiosk.model.open_service("permits")
    kiosk.flow.choose_form("dog_licence")
    kiosk.flow.answer("birth_year", "1900")
    kiosk.flow.next()
    before = set(kiosk.flow.errors)

    kiosk.model.choose_language("es")

    assert set(kiosk.flow.errors) == before and "birth_year" in before
    assert kiosk.flow.answers["birth_year"] == "1900"
    form = kiosk.flow.screen_form()
    assert form.field("dog_name").label_in("es") == "Nombre de su perro"
    assert "Nombre de su perro" in kiosk.model.describe()
    assert kiosk.flow.errors["birth_year"].params == {"minimum": "1995"}


def test_cancelling_on_the_payment_screen_forgets_the_application_here(kiosk):
    kiosk.model.open_service("permits")
    dog_licence(kiosk.flow)
    kiosk.flow.submit()
    assert kiosk.model.screen == PAY_CONFIRM
    kiosk.model.payment_back()
    assert kiosk.model.screen == "permit_review" and kiosk.flow.saved is not None

    kiosk.model.cancel_service()

    assert kiosk.model.screen == "home" and kiosk.flow.saved is None
    assert kiosk.model.payment_order is None
    assert kiosk.model.screen != PAY_OUTCOME

"""Receipts in a resident's visit, through the model with a real print worker and the
simulated printer: printed with the submission, printed again on request, and an
honest choice before a paid flow when the printer cannot print."""

from __future__ import annotations

import pytest

from drivers.printer.interface import PrinterStatus
from drivers.printer.render import render
from drivers.printer.simulator import SimulatedPrinter
from kiosk.config import load_config
from kiosk.model import CONFIRMATION, HOME, KioskModel
from kiosk.payment_flow import PAY_BILL
from kiosk.printing import PrintWorker
from kiosk.receipt_flow import (
    RECEIPT_CHOICE,
    RECEIPT_CONTACT,
    RECEIPT_DELIVERY_KIND,
    ContactError,
    parse_contact,
)
from kiosk.speech import SilentSpeaker
from offline.alerts import Alerts
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Outbox
from offline.print_jobs import PrintJobs
from tests.core.test_model_submissions import SURVEY_SERVICE, DocumentPortal, Waker


class Kiosk:
    def __init__(self, tmp_path, clock, document):
        document["services"].append(SURVEY_SERVICE)
        cipher = PayloadCipher(load_or_create_key(tmp_path / "key"))
        path = tmp_path / "kiosk.db"
        self.db = open_database(path)
        self.outbox = Outbox(self.db, cipher)
        self.jobs = PrintJobs(self.db, cipher)
        self.printer = SimulatedPrinter()
        self.printer.start()
        self.worker = PrintWorker(
            lambda: (PrintJobs(open_database(path), cipher), Alerts(open_database(path))),
            lambda: self.printer,
            on_outcome=lambda outcome: self.model.print_outcome(outcome),
            on_status=lambda status: self.model.printer_status_changed(status),
        )
        self.model = KioskModel(
            load_config(None, demo=True),
            portal=DocumentPortal(document),
            speaker=SilentSpeaker(),
            outbox=self.outbox,
            alerts=Alerts(self.db),
            sync=Waker(),
            print_jobs=self.jobs,
            printing=self.worker,
            clock=clock,
        )
        self.model.load_catalogue()
        self.model.start_session()

    def survey(self):
        self.model.open_service("survey")
        self.model.answer_survey("ease", "easy")
        self.model.submit_survey()
        return self.model.last_submission

    def paper(self) -> list[list[str]]:
        return [render(job).lines for job in self.printer.jobs]

    def close(self):
        self.worker.stop()
        self.db.close()


def delivery_payload(kiosk) -> dict:
    [delivery] = [i for i in kiosk.outbox.summaries() if i.kind == RECEIPT_DELIVERY_KIND]
    return kiosk.outbox.payload(delivery.idempotency_key)


@pytest.fixture
def kiosk(tmp_path, clock, catalogue_document):
    kiosk = Kiosk(tmp_path, clock, catalogue_document)
    yield kiosk
    kiosk.close()


def test_a_submission_and_its_receipt_job_commit_together(kiosk):
    item = kiosk.survey()
    assert kiosk.model.screen == CONFIRMATION and kiosk.model.receipt_state == "printing"
    [job] = kiosk.jobs.for_reference(item.reference)
    assert kiosk.jobs.document(job.id)["reference"] == item.reference

    kiosk.worker.run_once()
    assert kiosk.model.receipt_state == "printed"
    assert "Your receipt is printed" in kiosk.model.receipt_status_text()
    [paper] = kiosk.paper()
    assert any(item.reference in line for line in paper)


def test_a_failed_receipt_job_takes_its_submission_with_it(kiosk, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(kiosk.jobs, "add", broken)
    with pytest.raises(OSError):
        kiosk.survey()
    assert kiosk.outbox.counts()["pending"] == 0  # no submission without its receipt


def test_print_again_makes_a_marked_copy_and_never_a_duplicate_in_flight(kiosk):
    kiosk.survey()
    kiosk.model.print_again()  # still printing: ignored, not a second copy
    kiosk.worker.run_once()
    kiosk.model.print_again()
    kiosk.model.print_again()  # the copy is queued: a second tap adds nothing
    kiosk.worker.run_once()
    first, copy = kiosk.paper()
    assert not any("COPY" in line for line in first)
    assert any("COPY" in line for line in copy)
    assert kiosk.model.receipt_state == "printed"


def test_paper_out_on_the_end_screen_offers_print_again_and_email_instead(kiosk):
    kiosk.printer.set_status(PrinterStatus.PAPER_OUT)
    item = kiosk.survey()
    kiosk.worker.run_once()
    model = kiosk.model
    assert model.receipt_state == "failed" and kiosk.printer.jobs == []
    assert "out of paper" in model.receipt_status_text()
    assert model.can_print_again() and model.can_send_receipt_instead()

    kiosk.printer.set_status(PrinterStatus.OK)
    model.print_again()  # never printed: the same job again, not a copy
    kiosk.worker.run_once()
    [paper] = kiosk.paper()
    assert not any("COPY" in line for line in paper)
    assert len(kiosk.jobs.for_reference(item.reference)) == 1


def test_a_receipt_by_email_instead_is_queued_for_the_portal(kiosk):
    kiosk.printer.set_status(PrinterStatus.PAPER_OUT)
    item = kiosk.survey()
    kiosk.worker.run_once()
    model = kiosk.model
    model.send_receipt_instead()
    assert model.screen == RECEIPT_CONTACT
    model.submit_receipt_contact("not an address")
    assert model.screen == RECEIPT_CONTACT and model.receipt_contact_error
    model.submit_receipt_contact("maria.vdb@example.org")
    assert model.screen == CONFIRMATION and model.receipt_state == "contact"
    assert "m***@example.org" in model.receipt_status_text()
    payload = delivery_payload(kiosk)
    assert payload == {
        "reference": item.reference,
        "channel": "email",
        "address": "maria.vdb@example.org",
        "locale": "en",
    }
    model.end_session("finished")
    assert model.receipt_contact() is None  # the next resident never sees it


def test_paid_flows_ask_first_when_the_printer_cannot_print(kiosk):
    model = kiosk.model
    kiosk.printer.set_status(PrinterStatus.OFFLINE)
    kiosk.worker.run_once()  # the worker's status check
    assert model.printer_status is PrinterStatus.OFFLINE
    model.open_service(PAY_BILL)
    assert model.screen == RECEIPT_CHOICE
    assert "not working" in model.describe()
    model.cancel_receipt_choice()
    assert model.screen == HOME

    model.open_service(PAY_BILL)
    model.choose_no_receipt()
    assert model.screen == PAY_BILL
    model.go_home()
    model.open_service(PAY_BILL)
    assert model.screen == PAY_BILL  # asked once per visit

    model.go_home()
    model.open_service("survey")
    model.answer_survey("ease", "easy")
    model.submit_survey()
    assert model.receipt_state == "none" and kiosk.jobs.recent() == []


def test_the_contact_chosen_before_paying_gets_the_receipt(kiosk):
    model = kiosk.model
    kiosk.printer.set_status(PrinterStatus.PAPER_OUT)
    kiosk.worker.run_once()
    model.open_service(PAY_BILL)
    model.choose_receipt_by_contact()
    model.submit_receipt_contact("+34 612 345 678")
    assert model.screen == PAY_BILL
    model.go_home()
    item = kiosk.survey()  # stands in for the paid submission
    assert model.receipt_state == "contact" and kiosk.jobs.recent() == []
    payload = delivery_payload(kiosk)
    assert (payload["reference"], payload["channel"]) == (item.reference, "sms")


def test_with_a_working_printer_paid_flows_go_straight_on(kiosk):
    kiosk.worker.run_once()
    kiosk.model.open_service(PAY_BILL)
    assert kiosk.model.screen == PAY_BILL


@pytest.mark.parametrize(
    ("typed", "channel"),
    [
        ("name@example.com", "email"),
        ("  maria.vdb+kiosk@city.example.org ", "email"),
        ("+1 (555) 010-0199", "sms"),
        ("0470 12 34 56", "sms"),
    ],
)
def test_contacts_that_are_accepted(typed, channel):
    assert parse_contact(typed).channel == channel


@pytest.mark.parametrize(
    "typed",
    ["", "name@", "@example.com", "name@example", "12345", "call me", "+1 555 ab", "1" * 16],
)
def test_contacts_that_are_refused(typed):
    with pytest.raises(ContactError):
        parse_contact(typed)


def test_speech_reads_the_receipt_outcome(kiosk):
    kiosk.model.toggle_speech()
    kiosk.survey()
    kiosk.worker.run_once()
    assert "Your receipt is printed" in kiosk.model.speaker.spoken[-1].text


def test_a_receipt_still_waiting_when_the_visit_ends_never_prints_for_the_next_person(kiosk):
    item = kiosk.survey()
    kiosk.model.end_session("finished")  # before the worker got to it
    assert kiosk.worker.run_once() == [] and kiosk.printer.jobs == []
    [job] = kiosk.jobs.for_reference(item.reference)
    assert job.state == "failed"  # on record for a technician's reprint


def test_the_screen_hears_the_outcome_even_when_recording_the_status_fails(kiosk, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    kiosk.printer.set_status(PrinterStatus.PAPER_NEAR_END)
    monkeypatch.setattr(Alerts, "raise_once", broken)
    kiosk.survey()
    kiosk.worker.run_once()
    assert kiosk.model.receipt_state == "printed" and kiosk.model.can_print_again()

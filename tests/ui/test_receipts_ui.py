"""Receipts as a resident meets them: the paper, "print again", and email or text
message when the printer has no paper."""

from __future__ import annotations

from pathlib import Path

import pytest
from kivy.tests.common import UnitTestTouch

from drivers.printer.interface import PrinterStatus
from drivers.printer.render import render
from drivers.printer.simulator import SimulatedPrinter
from kiosk.receipt_flow import RECEIPT_DELIVERY_KIND
from offline.print_jobs import FAILED, PRINTED

EMAIL = "ana.quispe@example.org"
PHONE = "+1 555 010 4477"
PRINTED_TEXT = "Your receipt is printed. Please take it."
OUT_OF_PAPER = "The receipt printer is out of paper."
UNREADABLE = "We could not read that as an email address or a phone number. Please check it."


@pytest.fixture
def printer(kiosk):
    """The demo kiosk's simulated printer; a test may empty its paper, and this puts
    it back so that no other test meets an empty printer."""
    driver = kiosk.runtime.devices.get("printer")
    assert isinstance(driver, SimulatedPrinter)

    def set_status(status: PrinterStatus) -> None:
        kiosk.model.demo_set_printer_status(status)
        kiosk.wait_until(lambda: kiosk.model.printer_status is status, f"printer {status.value}")

    driver.set_paper = set_status
    yield driver
    set_status(PrinterStatus.OK)


def visible(kiosk, action: str) -> bool:
    return any(
        getattr(widget, "action", None) == action and kiosk._visible(widget)
        for widget in kiosk.widgets()
    )


def seen(kiosk) -> str:
    return "\n".join(kiosk.texts())


def finish_survey(kiosk) -> str:
    """Start a visit, answer the survey on screen, send it; returns the reference shown."""
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action("service:survey")
    kiosk.tap_action("answer:ease:easy")
    kiosk.tap_action("answer:found_service:yes")
    kiosk.tap_action("send_survey")
    assert kiosk.screen == "confirmation"
    reference = kiosk.model.last_submission.reference
    assert any(reference in text for text in kiosk.texts())
    return reference


def printed_for(printer, reference: str, since: int) -> list[list[str]]:
    """The text of each receipt printed after job number ``since`` that names ``reference``."""
    pages = [render(job).lines for job in printer.jobs[since:]]
    return [lines for lines in pages if any(reference in line for line in lines)]


def contact_field(kiosk):
    return kiosk.app.screen("receipt_contact").ids.contact


def deliveries_queued(kiosk, reference: str) -> list[dict]:
    outbox = kiosk.model.outbox
    payloads = [
        outbox.payload(item.idempotency_key)
        for item in outbox.summaries(limit=100_000)
        if item.kind == RECEIPT_DELIVERY_KIND
    ]
    return [payload for payload in payloads if payload["reference"] == reference]


def deliveries_at_portal(kiosk, reference: str) -> list:
    return kiosk.runtime.demo_portal.store.query(
        "SELECT channel, address, locale FROM receipt_deliveries WHERE reference = ?",
        (reference,),
    )


def test_a_survey_prints_one_receipt_with_its_reference_and_a_copy_on_request(kiosk, printer):
    before = len(printer.jobs)

    reference = finish_survey(kiosk)

    kiosk.wait_until(lambda: PRINTED_TEXT in kiosk.texts(), "the printed receipt")
    assert len(printer.jobs) == before + 1
    (paper,) = printed_for(printer, reference, before)
    assert not any("COPY" in line for line in paper)
    preview = kiosk.app.screen("confirmation").ids.receipt_preview
    assert preview.source and Path(preview.source).is_file()
    assert Path(preview.source).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert preview.texture is not None and kiosk._visible(preview)
    first_job = kiosk.model.receipt_job_id

    # A resident who taps twice quickly still gets a single copy.
    button = kiosk.find("print_again")
    x, y = button.to_window(*button.center)
    for _ in range(2):
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
    kiosk.wait_until(
        lambda: kiosk.model.receipt_job_id != first_job and PRINTED_TEXT in kiosk.texts(),
        "the copy to print",
    )

    jobs = kiosk.model.print_jobs.for_reference(reference)
    assert [(job.state, job.reprint_of) for job in jobs] == [
        (PRINTED, None),
        (PRINTED, first_job),
    ]
    assert len(printer.jobs) == before + 2
    original, copy = printed_for(printer, reference, before)
    assert "COPY - reprinted receipt" in copy
    assert [line for line in copy if "COPY" not in line] == original
    assert Path(preview.source).name == f"receipt-{jobs[1].id}.png"
    assert Path(preview.source).is_file()


def test_out_of_paper_the_receipt_can_be_emailed_instead(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    before = len(printer.jobs)

    reference = finish_survey(kiosk)

    kiosk.wait_until(lambda: kiosk.model.receipt_state == FAILED, "the print to fail")
    kiosk.pump()
    assert f"The printer could not print your receipt. {OUT_OF_PAPER}" in kiosk.texts()
    assert len(printer.jobs) == before
    assert visible(kiosk, "send_receipt_instead")

    kiosk.tap_action("send_receipt_instead")
    assert kiosk.screen == "receipt_contact"
    field = contact_field(kiosk)
    field.text = "ana.quispe at example"
    kiosk.tap_action("send_receipt_contact")
    assert kiosk.screen == "receipt_contact"
    assert UNREADABLE in kiosk.texts()
    assert deliveries_queued(kiosk, reference) == []

    field.text = EMAIL
    kiosk.tap_action("send_receipt_contact")

    assert kiosk.screen == "confirmation"
    assert "Your receipt will be sent to a***@example.org." in kiosk.texts()
    assert EMAIL not in seen(kiosk)
    assert not visible(kiosk, "send_receipt_instead")
    assert not visible(kiosk, "print_again")
    assert deliveries_queued(kiosk, reference) == [
        {"reference": reference, "channel": "email", "address": EMAIL, "locale": "en"}
    ]
    kiosk.wait_until(lambda: deliveries_at_portal(kiosk, reference), "the portal to get it", 30)
    assert [tuple(row) for row in deliveries_at_portal(kiosk, reference)] == [
        ("email", EMAIL, "en")
    ]
    # The paper receipt stays unprinted: it must not come out for the next person.
    (job,) = kiosk.model.print_jobs.for_reference(reference)
    assert job.state == FAILED


def test_back_from_the_contact_screen_returns_to_the_confirmation(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    reference = finish_survey(kiosk)
    kiosk.wait_until(lambda: visible(kiosk, "send_receipt_instead"), "the offer to send it")

    kiosk.tap_action("send_receipt_instead")
    kiosk.tap_action("back")

    assert kiosk.screen == "confirmation"
    assert visible(kiosk, "send_receipt_instead")
    assert deliveries_queued(kiosk, reference) == []


def test_paying_with_no_paper_asks_about_the_receipt_first(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    kiosk.tap_action("start")

    kiosk.tap_action("service:pay_bill")

    assert kiosk.screen == "receipt_choice"
    assert OUT_OF_PAPER in kiosk.texts()
    assert "How would you like your receipt?" in kiosk.texts()
    kiosk.tap_action("back")
    assert kiosk.screen == "home"
    kiosk.tap_action("service:pay_bill")
    assert kiosk.screen == "receipt_choice"  # backing out chose nothing

    kiosk.tap_action("no_receipt")

    assert kiosk.screen == "pay_bill"
    assert "Type the bill or account number printed on your bill, or scan it." in kiosk.texts()
    # The choice holds for the rest of the visit, so nothing prints for the survey.
    kiosk.tap_action("back")
    printed_before = len(printer.jobs)
    reference = finish_survey(kiosk)
    assert "No receipt, as you chose. Note your reference." in kiosk.texts()
    assert kiosk.model.print_jobs.for_reference(reference) == []
    assert len(printer.jobs) == printed_before
    assert not visible(kiosk, "print_again")


def test_paying_with_no_paper_can_send_the_receipts_by_text_message(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")

    kiosk.tap_action("receipt_by_contact")
    contact_field(kiosk).text = PHONE
    kiosk.tap_action("send_receipt_contact")

    assert kiosk.screen == "pay_bill"
    kiosk.tap_action("back")
    reference = finish_survey(kiosk)
    assert "Your receipt will be sent to *** 477." in kiosk.texts()
    assert kiosk.model.print_jobs.for_reference(reference) == []
    kiosk.wait_until(lambda: deliveries_at_portal(kiosk, reference), "the portal to get it", 30)
    # Typed with spaces, sent as digits: the form the portal accepts.
    sent = [("sms", "+15550104477", "en")]
    assert [tuple(row) for row in deliveries_at_portal(kiosk, reference)] == sent


def test_paying_with_paper_goes_straight_to_the_service(kiosk, printer):
    kiosk.tap_action("start")

    kiosk.tap_action("service:pay_bill")

    assert kiosk.screen == "pay_bill"
    assert "Type the bill or account number printed on your bill, or scan it." in kiosk.texts()


def test_the_typed_contact_does_not_outlive_the_screen_or_the_visit(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")
    kiosk.tap_action("receipt_by_contact")
    for key in "ana@x.org":
        kiosk.tap_action(f"key:{key.upper()}" if key.isalpha() else f"key:{key}")
    assert contact_field(kiosk).text == "ana@x.org"

    kiosk.tap_action("back")
    assert kiosk.screen == "home"
    assert contact_field(kiosk).text == ""

    kiosk.tap_action("service:pay_bill")
    kiosk.tap_action("receipt_by_contact")
    assert contact_field(kiosk).text == ""
    contact_field(kiosk).text = EMAIL
    # The resident walks away: the visit times out on the contact screen.
    for _ in range(20):
        if kiosk.screen == "attract":
            break
        kiosk.clock.now += 31
        kiosk.model.tick()
        kiosk.pump()
    assert kiosk.screen == "attract"
    assert contact_field(kiosk).text == ""
    assert EMAIL not in seen(kiosk)

    kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")
    assert kiosk.screen == "receipt_choice"  # the last visit's choice is gone too
    kiosk.tap_action("receipt_by_contact")
    assert contact_field(kiosk).text == ""
    assert kiosk.model.receipt_contact() is None


def test_a_sent_contact_is_cleared_from_the_field_and_ends_with_the_visit(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")
    kiosk.tap_action("receipt_by_contact")
    contact_field(kiosk).text = EMAIL
    kiosk.tap_action("send_receipt_contact")
    assert kiosk.screen == "pay_bill"
    assert contact_field(kiosk).text == ""

    kiosk.tap_action("finish")

    assert kiosk.screen == "attract"
    assert kiosk.model.receipt_contact() is None
    assert contact_field(kiosk).text == ""


def test_receipt_screens_speak_spanish(kiosk, printer):
    printer.set_paper(PrinterStatus.PAPER_OUT)
    kiosk.tap_action("language:es")
    kiosk.tap_action("start")

    kiosk.tap_action("service:pay_bill")

    assert kiosk.screen == "receipt_choice"
    shown = kiosk.texts()
    assert "La impresora de recibos no tiene papel." in shown
    assert "¿Cómo desea su recibo?" in shown
    assert "Sin recibo" in shown
    assert "How would you like your receipt?" not in shown

    kiosk.tap_action("receipt_by_contact")
    assert "¿A dónde le enviamos su recibo?" in kiosk.texts()
    contact_field(kiosk).text = "nadie"
    kiosk.tap_action("send_receipt_contact")
    assert any(text.startswith("No reconocimos un correo electrónico") for text in kiosk.texts())
    assert UNREADABLE not in kiosk.texts()
    kiosk.tap_action("back")

    reference = finish_survey(kiosk)
    kiosk.wait_until(lambda: kiosk.model.receipt_state == FAILED, "the print to fail")
    kiosk.pump()
    assert (
        "La impresora no pudo imprimir su recibo. La impresora de recibos no tiene papel."
        in kiosk.texts()
    )
    assert "Enviarlo por correo electrónico o mensaje" in kiosk.texts()

    kiosk.tap_action("send_receipt_instead")
    contact_field(kiosk).text = EMAIL
    kiosk.tap_action("send_receipt_contact")
    assert "Su recibo se enviará a a***@example.org." in kiosk.texts()
    assert [payload["locale"] for payload in deliveries_queued(kiosk, reference)] == ["es"]


def test_a_spanish_copy_is_marked_in_spanish(kiosk, printer):
    kiosk.tap_action("language:es")
    before = len(printer.jobs)
    reference = finish_survey(kiosk)
    kiosk.wait_until(
        lambda: "Su recibo ya está impreso. Tómelo, por favor." in kiosk.texts(), "the receipt"
    )
    first_job = kiosk.model.receipt_job_id

    kiosk.tap_action("print_again")
    kiosk.wait_until(
        lambda: kiosk.model.receipt_job_id != first_job and kiosk.model.receipt_state == PRINTED,
        "the copy",
    )

    original, copy = printed_for(printer, reference, before)
    assert "COPIA - recibo reimpreso" in copy
    assert not any("COPIA" in line for line in original)

"""The receipt template: required fields, both languages, and nothing that must not print."""

import datetime

import pytest
from escpos.printer import Dummy

from drivers.printer.interface import line_text, render_escpos
from drivers.printer.render import render
from kiosk.i18n import Translator
from kiosk.receipts import PaidBill, Receipt, UnsafeReceipt, build_receipt

WHEN = datetime.datetime(2026, 11, 22, 10, 5)


def sample(**changes):
    fields = dict(
        city="City of Lindenfield",
        kiosk_id="lib-central-01",
        location="Central Library",
        when=WHEN,
        service="Pay a bill",
        reference="K-7F3Q-92QA",
        tracking_number="pay_1a2b3c",
        tracking_url="https://portal.example/track/K-7F3Q-92QA",
        bills=(PaidBill("W-1001", "Water bill", 4250), PaidBill("P-2001", "Parking", 3500)),
        terminal_lines=("VISA ************1234", "AUTH 123456  TID 52500038", "APPROVED"),
        queued=True,
        help_contact="Call 555-0100 for help.",
    )
    fields.update(changes)
    return Receipt(**fields)


def printed_text(document, width_px=576):
    printer = Dummy()
    render_escpos(document, printer)
    return render(printer.output, width_px=width_px)


@pytest.mark.parametrize(("language", "words"), [("en", "Total paid"), ("es", "Total pagado")])
def test_every_required_field_is_on_the_paper(language, words):
    translator = Translator(language)
    document = build_receipt(sample(), translator.gettext)
    rendering = printed_text(document)
    text = "\n".join(rendering.lines)

    for expected in (
        "City of Lindenfield",
        "Central Library",
        "lib-central-01",
        "2026-11-22 10:05",
        "Pay a bill",
        "K-7F3Q-92QA",
        "pay_1a2b3c",
        "W-1001",
        "$42.50",
        "$77.50",
        "VISA ************1234",
        "Call 555-0100 for help.",
        words,
    ):
        assert expected in text, expected
    assert rendering.qr_codes == [b"https://portal.example/track/K-7F3Q-92QA"]
    queued = translator.gettext("Queued: it will be sent when the connection returns.")
    assert queued in " ".join(rendering.lines)  # wrapped at a space onto a second line


@pytest.mark.parametrize(
    "leak",
    ["VISA 4111111111111111", "NN 92.05.12-123.29", "card 591765432109"],
)
def test_card_and_national_numbers_are_refused(leak):
    with pytest.raises(UnsafeReceipt):
        build_receipt(sample(terminal_lines=(leak,)), str)
    with pytest.raises(UnsafeReceipt):
        build_receipt(sample(details=(("Note", leak),)), str)


def test_a_58mm_receipt_fits_its_columns():
    document = build_receipt(sample(), str, columns=32)
    reference = next(line for line in document.lines if line.trailing == "K-7F3Q-92QA")
    printed = line_text(reference, document)
    assert len(printed) == 32  # label left, value right, on one 58 mm line
    rendering = printed_text(document, width_px=384)
    assert printed in rendering.lines

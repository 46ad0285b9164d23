"""The receipt template: every receipt type in every language has its required fields
on paper, and nothing that must not be printed ever reaches the printer's bytes."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer.interface import line_text, render_escpos
from drivers.printer.render import render
from kiosk.i18n import Translator
from kiosk.money import format_money
from kiosk.receipts import (
    PaidBill,
    Receipt,
    build_receipt,
    display_width,
    printable,
)

WHEN = datetime.datetime(2026, 11, 22, 10, 5)
LANGUAGES = ("en", "es", "ar", "zh_Hans")
NATIONAL_NUMBER = "92051212329"
FULL_PAN = "4111111111111111"
TRACKING_URL = "https://portal.example/track/K-7F3Q-92QA"


def sample(**changes):
    fields = dict(
        city="City of Lindenfield",
        kiosk_id="lib-central-01",
        location="Central Library",
        when=WHEN,
        service="Pay a bill",
        reference="K-7F3Q-92QA",
        tracking_number="pay_1a2b3c",
        tracking_url=TRACKING_URL,
        bills=(PaidBill("W-1001", "Water bill", 4250), PaidBill("P-2001", "Parking", 3500)),
        terminal_lines=("VISA ************1234", "EXP 12/27", "AUTH 123456  TID 52500038"),
        queued=True,
        help_contact="Call 555-0100 for help.",
    )
    fields.update(changes)
    return Receipt(**fields)


@dataclasses.dataclass(frozen=True)
class Money:
    """An amount that must be on the paper as the resident's language writes it."""

    cents: int

    def digits(self, language: str) -> str:
        return format_decimal(Decimal(self.cents).scaleb(-2), "#,##0.00", locale=language)


# Each kind of receipt the kiosk prints, with the values that must be on its paper.
RECEIPT_TYPES = {
    "payment": (
        sample(),
        ["pay_1a2b3c", Money(4250), Money(3500), Money(7750), "************1234"],
    ),
    "service_request": (
        sample(
            service="Report a problem",
            tracking_number="SR-2026-0042",
            bills=(),
            terminal_lines=(),
            details=(
                ("Address", "Calle Mayor 3, Lindenfield"),
                ("Description", f"Deep pothole, my national number is {NATIONAL_NUMBER}"),
            ),
        ),
        ["SR-2026-0042", "Calle Mayor 3, Lindenfield", "Deep pothole", "*******2329"],
    ),
    "survey": (
        sample(service="Survey answers", tracking_number=None, bills=(), terminal_lines=()),
        [],
    ),
    "permit": (
        sample(
            service="Parking permit",
            tracking_number="PRM-77",
            bills=(PaidBill("PRM-77", "Permit fee", 2500),),
            details=(("Name", "María José Van den Brûle"),),
        ),
        ["PRM-77", Money(2500), "************1234"],
    ),
}


def escpos_bytes(document) -> bytes:
    printer = Dummy()
    render_escpos(document, printer)
    return printer.output


def all_text(document) -> str:
    return "\n".join(line_text(line, document) for line in document.lines)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(RECEIPT_TYPES))
@pytest.mark.parametrize("copy", [False, True], ids=["original", "reprint"])
def test_each_receipt_type_in_each_language_has_its_fields_and_no_personal_data(
    kind, language, copy
):
    receipt, values = RECEIPT_TYPES[kind]
    receipt = dataclasses.replace(receipt, language=language, copy=copy)
    translate = Translator(language).gettext
    document = build_receipt(receipt, translate)
    data = escpos_bytes(document)
    text = all_text(document)

    # Values residents and staff look up go to the printer as text, in every language.
    for value in ["K-7F3Q-92QA", "2026-11-22 10:05", *values]:
        if isinstance(value, Money):
            # As on the screen: "$42.50", "42,50 US$"; its digits printable as text.
            assert printable(format_money(value.cents, "USD", language)) in text
            assert value.digits(language).encode() in data, value
            continue
        if value.isascii():
            assert value.encode() in data, value
        assert value in text, value
    assert TRACKING_URL.encode() in data  # the QR code's payload
    assert "lib-central-01" in text and "City of Lindenfield" in text
    for label in ["Reference", "Keep this receipt.", "Scan to follow your request:"]:
        assert translate(label) in text
        if language != "en":
            assert translate(label) != label, f"{label!r} is not translated into {language}"
    assert (translate("Total paid") in text) == bool(receipt.bills)
    assert (translate("COPY - reprinted receipt") in text) == copy
    assert translate("Queued: it will be sent when the connection returns.") in " ".join(
        line.text for line in document.lines
    )

    # What must never be on paper, searched in the bytes and in every line.
    for secret in (NATIONAL_NUMBER, FULL_PAN, "12/27"):
        assert secret.encode() not in data
        assert secret not in text
    assert document.right_to_left == (language == "ar")


def test_latin_receipts_read_correctly_on_the_rendered_paper():
    for language, words in (("en", "Total paid"), ("es", "Total pagado")):
        translate = Translator(language).gettext
        document = build_receipt(sample(), translate)
        rendering = render(escpos_bytes(document), width_px=576)
        paper = "\n".join(rendering.lines)
        for expected in (
            "City of Lindenfield",
            "Central Library",
            "lib-central-01",
            "2026-11-22 10:05",
            "K-7F3Q-92QA",
            "$77.50",
            "VISA ************1234",
            "EXP **/**",
            "Call 555-0100 for help.",
            words,
        ):
            assert expected in paper, expected
        assert rendering.qr_codes == [TRACKING_URL.encode()]


def test_an_arabic_receipt_is_mirrored():
    document = build_receipt(sample(language="ar"), Translator("ar").gettext)
    reference = next(line for line in document.lines if "K-7F3Q-92QA" in line.text)
    assert reference.align == "left"  # the value sits at the line's far end: left in RTL
    label = document.lines[document.lines.index(reference) - 1]
    assert label.align == "right"


def test_card_numbers_are_masked_wherever_they_appear_and_terminal_ids_are_kept():
    terminal = (
        "VISA 4111 1111 1111 1111",
        "AID: A0000000041010",
        "VU-Nr. 123456789012345",
        "TID 52500038      TRACE 000123",
    )
    document = build_receipt(sample(terminal_lines=terminal, location="Desk 4111111111111111"), str)
    text = all_text(document)
    assert "VISA ************1111" in text
    assert "AID: A0000000041010" in text and "VU-Nr. 123456789012345" in text
    assert "TID 52500038      TRACE 000123" in text  # the terminal's columns are kept
    assert "4111111111111111" not in text.replace(" ", "")


@pytest.mark.parametrize(
    "line",
    [
        "EXP 12/27",
        "EXP DATE 12/27",
        "EXPIRY DATE: 12/27",
        "EXP.DATE 12/27",
        "Expiration 12/2027",
        "Exp: 1227",
        "CARD EXP 2027-12",
        "Verfall 12/27",
        "Ablaufdatum 12/27",
        "VALID FROM 01/22 TO 12/27",
        "Caduca 12/27",
    ],
)
def test_expiry_dates_never_print(line):
    document = build_receipt(sample(terminal_lines=(line,)), str)
    printed = [item.text for item in document.lines if item.text.split()[0] == line.split()[0]]
    assert printed and not any(char.isdigit() for char in printed[0]), printed


def test_identifiers_the_city_issued_are_printed_as_they_are():
    document = build_receipt(
        sample(
            tracking_number="20240501-000123",
            bills=(PaidBill("2024-0001234", "Water", 4250),),
        ),
        str,
    )
    text = all_text(document)
    assert "20240501-000123" in text and "2024-0001234" in text


@pytest.mark.parametrize("separator", [" ", "\u00a0", "\n", "\t", "  ", "\u200b"])
def test_numbers_typed_with_any_separator_are_masked(separator):
    typed = separator.join(["92", "05", "12", "123", "29"])
    document = build_receipt(sample(details=(("Note", f"my number {typed} thanks"),)), str)
    assert "*******2329" in all_text(document)


def test_a_number_is_masked_before_wrapping_so_it_cannot_escape_over_two_lines():
    bill = PaidBill("W-1001", "Tax for national no. 850101 12345", 4250)
    document = build_receipt(sample(bills=(bill,)), str, columns=32)
    digits = "".join(ch for ch in all_text(document) if ch.isdigit() or ch == "\n")
    assert "85010112345" not in digits.replace("\n", "")
    assert "*******2345" in all_text(document)


def test_long_numbers_a_resident_typed_are_masked_not_refused():
    document = build_receipt(sample(details=(("Note", "call +32 470 12 34 56"),)), str)
    text = all_text(document)
    assert "+*******3456" in text and "470 12" not in text


def test_a_58mm_receipt_fits_its_columns():
    document = build_receipt(sample(), str, columns=32)
    reference = next(line for line in document.lines if line.trailing == "K-7F3Q-92QA")
    printed = line_text(reference, document)
    assert len(printed) == 32  # label left, value right, on one 58 mm line
    rendering = render(escpos_bytes(document), width_px=384)
    assert printed in rendering.lines


LONG_INPUTS = {
    "name": "Maximiliana Wilhelmina " * 12 + "de la Santísima Trinidad",
    "unbroken": "x" * 300,
    "address": "Apartment 4B\nCalle de la Princesa de Asturias 1234\r\n\tLindenfield",
    "emoji": "Pothole 🕳️ here 👍🏽👨‍👩‍👧 deep " * 5,
    "chinese": "人行道上有一个很深的坑，请尽快修理。" * 6,
    "arabic": "يوجد حفرة عميقة في الشارع الرئيسي أمام المكتبة " * 4,
}


@pytest.mark.parametrize("columns", [32, 48])
@pytest.mark.parametrize("kind", sorted(LONG_INPUTS))
def test_very_long_inputs_wrap_and_emoji_are_replaced(kind, columns):
    value = LONG_INPUTS[kind]
    receipt = sample(
        service=value[:120],
        location=value,
        details=(("Name", value), ("Description", value)),
        bills=(PaidBill("W-1001", value, 4250),),
    )
    document = build_receipt(receipt, str, columns=columns)
    for line in document.lines:
        width = columns // 2 if line.double else columns
        assert display_width(line_text(line, document)) <= width, line
        assert "\n" not in line.text and "\t" not in line.text
        assert not any(0x1F000 <= ord(char) <= 0x1FAFF for char in line.text)
    if kind == "emoji":
        assert "Pothole ? here ? deep" in all_text(document)
    rendering = render(escpos_bytes(document), width_px=columns * 12)
    assert rendering.image.width == columns * 12


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=400),
    st.text(max_size=200),
    st.sampled_from([32, 48]),
)
def test_no_input_breaks_the_layout(typed, location, columns):
    document = build_receipt(
        sample(location=location, details=(("Description", typed),)), str, columns=columns
    )
    for line in document.lines:
        width = columns // 2 if line.double else columns
        assert display_width(line_text(line, document)) <= width
    assert printable(typed).count("\n") == 0


def test_amounts_are_printed_in_the_payments_currency_as_the_screen_shows_them():
    receipt = sample(currency="EUR", language="es")
    text = all_text(build_receipt(receipt, Translator("es").gettext))
    assert "42,50 €" in text and "77,50 €" in text
    assert "$" not in text

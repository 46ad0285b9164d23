"""The one receipt template: every receipt the kiosk prints is laid out here.

A receipt is a resident's proof and their way back to a request, so it always has
the reference, a tracking number where the portal gave one, and a QR code of the
tracking address. It never carries an expiry date, a full card number or a national
number: a card number (a Luhn-valid run of 13-19 digits) is masked wherever it
appears, and in what residents typed and in bill descriptions every run of 11 or
more digits is masked, before the text is wrapped so no number escapes split over
two lines. Identifiers the city issued (references, bill and tracking numbers) are
printed as they are: they are the resident's way back to the request.

What residents typed (names, addresses, descriptions) is wrapped to the paper, and
characters no receipt printer can show (emoji, control characters) are replaced, so
no input can break the layout. Text in scripts the printer's code pages lack (Arabic,
Chinese) is left to the driver, which prints those lines as pictures.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from drivers.printer.interface import ReceiptDocument, ReceiptLine
from drivers.privacy import mask_pan
from kiosk.i18n import N_, is_right_to_left
from kiosk.money import format_money

# 11 or more digits in a row, ignoring spaces, dots and dashes: a national number (11),
# or a phone or account number a resident typed. Dates, times and amounts are shorter.
_LONG_NUMBER = re.compile(r"\d(?:[ .-]?\d){10,}")
# Pictographs, their modifiers and joiners: no receipt printer or font we ship has them.
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0xE0000, 0xE007F))
_INVISIBLE_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}
REPLACEMENT = "?"
# A line naming a card's expiry ("EXP DATE 12/27", "Verfall 1227"): its dates are masked.
_EXPIRY_WORD = re.compile(
    r"(?i)\b(exp|expiry|expires|expiration|valid|verfall|ablauf\w*|g(?:ü|ue)ltig|caduca|"
    r"caducidad|vence|vencimiento|vto)\b"
)
_DATE_LIKE = re.compile(r"\b\d{1,4}\s*[/.-]\s*\d{2,4}\b|\b\d{4}\b")
_DIGIT_RUN = re.compile(r"\d(?:[ .-]?\d){12,18}")


@dataclass(frozen=True)
class PaidBill:
    number: str
    description: str
    amount_cents: int


@dataclass(frozen=True)
class Receipt:
    city: str
    kiosk_id: str
    location: str
    when: datetime.datetime
    service: str
    reference: str
    tracking_number: str | None = None
    tracking_url: str | None = None
    currency: str = "USD"
    bills: Sequence[PaidBill] = ()
    terminal_lines: Sequence[str] = ()
    queued: bool = False
    help_contact: str = ""
    # (label, value) pairs the resident gave or chose: name, address, description...
    # Labels arrive translated; values are printed as given, wrapped.
    details: Sequence[tuple[str, str]] = field(default_factory=tuple)
    language: str = "en"
    # A reprint says so, so nobody takes it for a second payment.
    copy: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the durable print job (offline.print_jobs)."""
        data = asdict(self)
        data["when"] = self.when.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        fields = dict(data)
        fields["when"] = datetime.datetime.fromisoformat(fields["when"])
        fields["bills"] = tuple(PaidBill(**bill) for bill in fields.get("bills", ()))
        fields["terminal_lines"] = tuple(fields.get("terminal_lines", ()))
        fields["details"] = tuple(tuple(pair) for pair in fields.get("details", ()))
        return cls(**fields)

    def as_copy(self) -> Receipt:
        return replace(self, copy=True)


def build_receipt(
    receipt: Receipt, translate: Callable[[str], str], *, columns: int = 48
) -> ReceiptDocument:
    """Lay out ``receipt`` for paper ``columns`` characters wide (48 at 80 mm, 32 at
    58 mm), with its labels in ``translate``'s language."""
    _ = translate
    rtl = is_right_to_left(receipt.language)
    start, end = ("right", "left") if rtl else ("left", "right")
    rule = ReceiptLine("-" * columns)
    lines: list[ReceiptLine] = []

    def add(text: str, *, bold=False, double=False, align=start, typed=False) -> None:
        width = columns // 2 if double else columns
        text = mask_card_numbers(printable(text))
        if typed:
            text = mask_long_numbers(text)
        lines.extend(
            ReceiptLine(part, bold=bold, double=double, align=align) for part in wrap(text, width)
        )

    def pair(label: str, value: str, *, bold=False) -> None:
        label, value = mask_card_numbers(printable(label)), mask_card_numbers(printable(value))
        # A label in a script the printer has no code page for is printed as a picture;
        # on a line of its own it leaves the value (reference, amount) as crisp text.
        fits = display_width(label) + display_width(value) < columns
        if fits and _latin(label) and _latin(value):
            lines.append(ReceiptLine(label, bold=bold, align=start, trailing=value))
        else:
            add(label, bold=bold)
            add(value, align=end)

    if receipt.copy:
        add(_("COPY - reprinted receipt"), bold=True, align="center")
    add(receipt.city, bold=True, double=True, align="center")
    add(receipt.location, align="center")
    add(_("Kiosk {kiosk_id}").format(kiosk_id=receipt.kiosk_id), align="center")
    add(receipt.when.strftime("%Y-%m-%d %H:%M"), align="center")
    lines.append(rule)
    add(receipt.service, bold=True)
    pair(_("Reference"), receipt.reference)
    if receipt.tracking_number:
        pair(_("Tracking number"), receipt.tracking_number)
    for label, value in receipt.details:
        add(label + ":", bold=True)
        # Residents type phone numbers and the like into descriptions: masked, not refused.
        add(value, typed=True)
    if receipt.bills:
        lines.append(rule)
        for bill in receipt.bills:
            add(bill.number)
            add(bill.description, typed=True)
            add(format_money(bill.amount_cents, receipt.currency, receipt.language), align=end)
        total = sum(bill.amount_cents for bill in receipt.bills)
        pair(_("Total paid"), format_money(total, receipt.currency, receipt.language), bold=True)
    if receipt.terminal_lines:
        lines.append(rule)
        # The terminal's own receipt, verbatim: it is the card payment's legal record,
        # laid out by the terminal for its own width, so it is cut, never re-wrapped.
        for line in receipt.terminal_lines:
            text = without_expiry(mask_card_numbers(printable(line, keep_spacing=True)))
            lines.append(ReceiptLine(text[: _fitting_prefix(text, columns)]))
    if receipt.queued:
        lines.append(rule)
        add(_(QUEUED_LINE), bold=True)
    lines.append(rule)
    if receipt.help_contact:
        add(receipt.help_contact, align="center")
    add(_("Keep this receipt."), align="center")
    if receipt.tracking_url:
        # Last, right above the QR code the driver prints after the lines.
        add(_("Scan to follow your request:"), align="center")
    return ReceiptDocument(lines, qr_data=receipt.tracking_url, columns=columns, right_to_left=rtl)


@dataclass(frozen=True)
class Printout:
    """Part of a public document (its summary, or the page on screen) for a resident
    to take home. Not a receipt: nothing was submitted, so it has no reference, and
    it says where the whole document can be read."""

    city: str
    kiosk_id: str
    location: str
    when: datetime.datetime
    title: str
    kind_and_date: str  # "Minutes · 14 October 2026"
    part: str  # "Summary", "Page 2 of 3"
    body: str  # paragraphs separated by blank lines
    url: str | None = None
    language: str = "en"
    copy: bool = False

    LAYOUT = "printout"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["when"] = self.when.isoformat()
        data["layout"] = self.LAYOUT
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Printout:
        fields = {key: value for key, value in data.items() if key != "layout"}
        fields["when"] = datetime.datetime.fromisoformat(fields["when"])
        return cls(**fields)

    def as_copy(self) -> Printout:
        return replace(self, copy=True)


def build_printout(
    printout: Printout, translate: Callable[[str], str], *, columns: int = 48
) -> ReceiptDocument:
    """Lay out ``printout`` like a receipt's head and foot, with the document's own
    paragraphs in between."""
    _ = translate
    rtl = is_right_to_left(printout.language)
    start = "right" if rtl else "left"
    lines: list[ReceiptLine] = []

    def add(text: str, *, bold=False, double=False, align=start) -> None:
        width = columns // 2 if double else columns
        text = mask_card_numbers(printable(text))
        lines.extend(
            ReceiptLine(part, bold=bold, double=double, align=align) for part in wrap(text, width)
        )

    rule = ReceiptLine("-" * columns)
    if printout.copy:
        add(_("COPY - reprinted"), bold=True, align="center")
    add(printout.city, bold=True, double=True, align="center")
    add(printout.location, align="center")
    add(_("Kiosk {kiosk_id}").format(kiosk_id=printout.kiosk_id), align="center")
    add(printout.when.strftime("%Y-%m-%d %H:%M"), align="center")
    lines.append(rule)
    add(printout.title, bold=True)
    add(printout.kind_and_date)
    add(printout.part, bold=True)
    lines.append(rule)
    for number, paragraph in enumerate(p for p in printout.body.split("\n\n") if p.strip()):
        if number:
            lines.append(ReceiptLine(""))
        add(paragraph)
    lines.append(rule)
    add(_("Public document, printed at your request."), align="center")
    if printout.url:
        add(_("Scan to read all of it:"), align="center")
    return ReceiptDocument(lines, qr_data=printout.url, columns=columns, right_to_left=rtl)


def build_print_job(
    data: Mapping[str, Any],
    translate_for: Callable[[str], Callable[[str], str]],
    *,
    columns: int = 48,
    reprint: bool = False,
) -> ReceiptDocument:
    """A stored print job's document, whichever it is: a receipt or a print-out."""
    if data.get("layout") == Printout.LAYOUT:
        printout = Printout.from_dict(data)
        printout = printout.as_copy() if reprint else printout
        return build_printout(printout, translate_for(printout.language), columns=columns)
    receipt = Receipt.from_dict(data)
    receipt = receipt.as_copy() if reprint else receipt
    return build_receipt(receipt, translate_for(receipt.language), columns=columns)


def mask_long_numbers(text: str) -> str:
    """Every run of 11 or more digits keeps only its last four: "*******3456"."""
    return _LONG_NUMBER.sub(lambda match: mask_pan(match.group()), text)


def mask_card_numbers(text: str) -> str:
    """Luhn-valid runs of 13-19 digits (card numbers) keep only their last four."""

    def mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return mask_pan(digits) if _luhn_valid(digits) else match.group()

    return _DIGIT_RUN.sub(mask, text)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def without_expiry(text: str) -> str:
    """In a line that names an expiry, every date-like number is masked."""
    if not _EXPIRY_WORD.search(text):
        return text
    return _DATE_LIKE.sub(lambda match: re.sub(r"\d", "*", match.group()), text)


def printable(text: str, *, keep_spacing: bool = False) -> str:
    """``text`` with what no receipt can show replaced: emoji become "?", control
    characters and line breaks become spaces. Runs of spaces are squeezed unless
    ``keep_spacing`` (the terminal's own receipt lines are laid out in columns)."""
    out: list[str] = []
    for char in str(text):
        code = ord(char)
        category = unicodedata.category(char)
        if char in _INVISIBLE_JOINERS or 0x1F3FB <= code <= 0x1F3FF:
            continue  # part of the emoji before it, already replaced
        if any(low <= code <= high for low, high in _EMOJI_RANGES) or category in (
            "Cs",
            "Co",
            "Cn",
        ):
            if not out or out[-1] != REPLACEMENT:
                out.append(REPLACEMENT)
        elif category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif category == "Cf" and char not in ("\u200e", "\u200f"):
            continue
        else:
            out.append(char)
    if keep_spacing:
        return "".join(" " if char.isspace() else char for char in out).rstrip()
    return " ".join("".join(out).split())


def display_width(text: str) -> int:
    """Printer columns ``text`` takes: wide (CJK) characters take two, marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by display width; a word longer than a line (or a run of
    CJK, which has no spaces) is broken between characters."""
    width = max(width, 1)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while display_width(word) > width:
            cut = _fitting_prefix(word, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def _fitting_prefix(word: str, width: int) -> int:
    used = 0
    for index, char in enumerate(word):
        used += display_width(char)
        if used > width:
            return max(index, 1)
    return len(word)


def _latin(text: str) -> bool:
    return all(ord(char) < 0x250 or 0x2000 <= ord(char) <= 0x20CF for char in text)


QUEUED_LINE = N_("Queued: it will be sent when the connection returns.")

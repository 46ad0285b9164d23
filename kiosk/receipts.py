"""The one receipt template: every receipt the kiosk prints is laid out here.

A receipt is a resident's proof and their way back to a request, so it always has
the reference, a tracking number where the portal gave one, and a QR code of the
tracking address. It never carries an expiry date, a full card number or a national
number: card numbers from the terminal must already be masked, and the template
refuses any line holding 11 digits or more in a row.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drivers.printer.interface import ReceiptDocument, ReceiptLine
from kiosk.i18n import N_

# 11 or more digits in a row, ignoring spaces, dots and dashes: a national number (11)
# or a card number (12-19). Dates, times, amounts and terminal ids are shorter.
_LONG_NUMBER = re.compile(r"\d(?:[ .-]?\d){10,}")


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
    extra: Sequence[str] = field(default_factory=tuple)


class UnsafeReceipt(ValueError):
    """A line would print something that must never be on paper."""


def build_receipt(
    receipt: Receipt, translate: Callable[[str], str], *, columns: int = 48
) -> ReceiptDocument:
    _ = translate
    rule = "-" * columns
    lines = [
        ReceiptLine(receipt.city, bold=True, double=True, align="center"),
        ReceiptLine(receipt.location, align="center"),
        ReceiptLine(_("Kiosk {kiosk_id}").format(kiosk_id=receipt.kiosk_id), align="center"),
        ReceiptLine(receipt.when.strftime("%Y-%m-%d %H:%M"), align="center"),
        ReceiptLine(rule),
        ReceiptLine(receipt.service, bold=True),
        ReceiptLine(_two_columns(_("Reference"), receipt.reference, columns)),
    ]
    if receipt.tracking_number:
        lines.append(
            ReceiptLine(_two_columns(_("Tracking number"), receipt.tracking_number, columns))
        )
    for line in receipt.extra:
        lines.append(ReceiptLine(line))
    if receipt.bills:
        lines.append(ReceiptLine(rule))
        for bill in receipt.bills:
            lines.append(ReceiptLine(f"{bill.number} {bill.description}"[:columns]))
            lines.append(ReceiptLine(_money(bill.amount_cents, receipt.currency), align="right"))
        total = sum(bill.amount_cents for bill in receipt.bills)
        lines.append(
            ReceiptLine(
                _two_columns(_("Total paid"), _money(total, receipt.currency), columns), bold=True
            )
        )
    if receipt.terminal_lines:
        lines.append(ReceiptLine(rule))
        # The terminal's own receipt, verbatim: it is the card payment's legal record.
        lines.extend(ReceiptLine(line) for line in receipt.terminal_lines)
    if receipt.queued:
        lines.append(ReceiptLine(rule))
        lines.append(ReceiptLine(_(QUEUED_LINE), bold=True))
    if receipt.tracking_url:
        lines.append(ReceiptLine(_("Scan to follow your request:"), align="center"))
    lines.append(ReceiptLine(rule))
    if receipt.help_contact:
        lines.append(ReceiptLine(receipt.help_contact, align="center"))
    lines.append(ReceiptLine(_("Keep this receipt."), align="center"))
    for line in lines:
        if _LONG_NUMBER.search(line.text):
            raise UnsafeReceipt("a receipt line holds a long number (card or national number?)")
    return ReceiptDocument(lines, qr_data=receipt.tracking_url)


def _two_columns(left: str, right: str, columns: int) -> str:
    gap = max(columns - len(left) - len(right), 1)
    return f"{left}{' ' * gap}{right}"


def _money(cents: int, currency: str) -> str:
    symbol = {"USD": "$", "EUR": "€"}.get(currency, currency + " ")
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"


QUEUED_LINE = N_("Queued: it will be sent when the connection returns.")

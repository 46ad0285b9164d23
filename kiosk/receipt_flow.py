"""Receipts in a resident's visit: printing, "print again", and the choice of email,
text message or no receipt when the printer cannot print.

A mixin of :class:`kiosk.model.KioskModel` (see kiosk/card_sign_in.py for why). The
print job is written in the same transaction as the submission it proves; the print
worker (kiosk.printing) prints it and reports back through ``print_outcome``.
"""

from __future__ import annotations

import datetime
import logging
import re
import sqlite3
from dataclasses import dataclass

from drivers.printer.interface import PrinterStatus
from kiosk.i18n import N_
from kiosk.receipts import PaidBill, Receipt
from kiosk.submissions import CONFIRMATION
from offline.print_jobs import FAILED, PRINTED, PRINTING, UNCERTAIN

log = logging.getLogger(__name__)

RECEIPT_CHOICE, RECEIPT_CONTACT = "receipt_choice", "receipt_contact"
RECEIPT_DELIVERY_KIND = "receipt_delivery"
# How the resident wants this visit's receipts.
PAPER, BY_CONTACT, NO_RECEIPT = "paper", "contact", "none"

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()-]+$")


class ContactError(ValueError):
    """What the resident typed is neither an email address nor a phone number; the
    message is untranslated, for the screen to translate."""


@dataclass(frozen=True)
class ReceiptContact:
    channel: str  # email | sms
    address: str

    def masked(self) -> str:
        """Enough for the resident to recognise it on screen, not for a passer-by."""
        if self.channel == "email":
            name, _, domain = self.address.partition("@")
            return f"{name[:1]}***@{domain}"
        digits = re.sub(r"\D", "", self.address)
        return "*** " + digits[-3:]


def parse_contact(text: str) -> ReceiptContact:
    value = " ".join(text.split())
    if "@" in value:
        if not _EMAIL.match(value):
            raise ContactError(CONTACT_UNREADABLE)
        return ReceiptContact("email", value)
    digits = re.sub(r"\D", "", value)
    if not _PHONE_CHARACTERS.match(value) or not 7 <= len(digits) <= 15:
        raise ContactError(CONTACT_UNREADABLE)
    # Sent as the portal expects it: digits, with the "+" of an international number.
    return ReceiptContact("sms", ("+" if value.startswith("+") else "") + digits)


class ReceiptFlow:
    # -- state the screens read --

    def _abandon_receipt(self) -> None:
        """The visit is over: a receipt still waiting must not print for the next
        person. It stays on record for a technician's reprint."""
        if self.print_jobs is None or self.receipt_job_id is None:
            return
        try:
            with self.print_jobs.transaction():
                self.print_jobs.abandon(self.receipt_job_id)
        except sqlite3.Error:
            log.exception("could not withdraw the unprinted receipt")

    def _reset_receipt(self) -> None:
        self.receipt_job_id: int | None = None
        self.receipt_state = ""  # "" | printing | printed | failed | uncertain | contact | none
        self.receipt_preview = None  # demo kiosks: Path of the picture of the paper
        self.receipt_contact_error: str | None = None
        self.receipt_problem: PrinterStatus | None = None
        self._receipt_choice_for: str | None = None  # a service id, or CONFIRMATION

    def printer_ready(self) -> bool:
        """False when the printer is known to be unable to print (out of paper,
        offline, no printer); unknown counts as ready, the job will say."""
        if self.print_jobs is None:
            return False
        return self.printer_status is None or self.printer_status.can_print

    def receipt_delivery(self) -> str:
        return self.session.recall("receipt.delivery", PAPER)

    def receipt_contact(self) -> ReceiptContact | None:
        return self.session.recall("receipt.contact")

    def receipt_status_text(self) -> str:
        _ = self._
        state = self.receipt_state
        if state == PRINTING:
            return _("Printing your receipt…")
        if state == PRINTED:
            return _("Your receipt is printed. Please take it.")
        if state == FAILED:
            return _("The printer could not print your receipt. {problem}").format(
                problem=_(PRINTER_PROBLEMS.get(self.receipt_problem, PRINTER_PROBLEMS[None]))
            )
        if state == UNCERTAIN:
            return _("The printer stopped while printing. Your receipt may be incomplete.")
        if state == BY_CONTACT and self.receipt_contact() is not None:
            return _("Your receipt will be sent to {contact}.").format(
                contact=self.receipt_contact().masked()
            )
        if state == NO_RECEIPT:
            return _("No receipt, as you chose. Note your reference.")
        return ""

    def can_print_again(self) -> bool:
        return self.receipt_job_id is not None and self.receipt_state in (
            PRINTED,
            FAILED,
            UNCERTAIN,
        )

    def can_send_receipt_instead(self) -> bool:
        return self.last_submission is not None and self.receipt_state in (FAILED, UNCERTAIN)

    def printer_problem_text(self) -> str:
        status = self.printer_status if self.print_jobs is not None else None
        return self._(PRINTER_PROBLEMS.get(status, PRINTER_PROBLEMS[None]))

    # -- intents --

    def print_again(self) -> None:
        """The resident asks for this receipt again: never a second copy of one being
        printed; a reprint of a printed one is marked as a copy."""
        if not self.can_print_again():
            return
        try:
            with self.print_jobs.transaction():
                job_id = self.print_jobs.ask_again(self.receipt_job_id)
        except sqlite3.Error:
            # A busy or failing disk must not take the screen down; the tap can be repeated.
            log.exception("could not queue the receipt again")
            return
        if job_id is None:
            return
        self.session.record_activity()
        self.receipt_job_id = job_id
        self._receipt_printing()

    def choose_no_receipt(self) -> None:
        self.session.remember("receipt.delivery", NO_RECEIPT)
        self._after_receipt_choice()

    def choose_receipt_by_contact(self) -> None:
        self.receipt_contact_error = None
        self._go(RECEIPT_CONTACT)

    def send_receipt_instead(self) -> None:
        """On the end screen, after the printer failed: email or text it instead."""
        self._receipt_choice_for = CONFIRMATION
        self.choose_receipt_by_contact()

    def submit_receipt_contact(self, text: str) -> None:
        try:
            contact = parse_contact(text)
        except ContactError as error:
            self.receipt_contact_error = str(error)
            self.session.record_activity()
            self._changed("receipt")
            self._say(self._(str(error)))
            return
        self.receipt_contact_error = None
        self.session.remember("receipt.delivery", BY_CONTACT)
        self.session.remember("receipt.contact", contact)
        if self._receipt_choice_for == CONFIRMATION and self.last_submission is not None:
            by_contact = self._receipt_delivery(self.last_submission.reference, contact)
            self.queue_without_receipt(RECEIPT_DELIVERY_KIND, by_contact)
            self.receipt_state = BY_CONTACT
        self._after_receipt_choice()

    def cancel_receipt_choice(self) -> None:
        if self._receipt_choice_for == CONFIRMATION:
            self._receipt_choice_for = None
            self._go(CONFIRMATION)
        else:
            self.go_home()

    def _after_receipt_choice(self) -> None:
        target, self._receipt_choice_for = self._receipt_choice_for, None
        if target == CONFIRMATION or target is None:
            self._changed("receipt")
            self._go(CONFIRMATION)
        else:
            self._enter_service(target)

    def _needs_receipt_choice(self, service_id: str) -> bool:
        """Before a paid flow: tell the resident now, not after paying, that the
        printer cannot give them a paper receipt."""
        if self.print_jobs is None or self.receipt_delivery() != PAPER or self.printer_ready():
            return False
        self._receipt_choice_for = service_id
        return True

    # -- from the submission and the worker --

    def _queue_receipt(self, item, receipt: dict, delivery: str | None = None) -> None:
        """Inside the submission's transaction: the receipt the resident asked for, or
        ``delivery`` where the service decides (an activation code exists only on paper)."""
        delivery = delivery or self.receipt_delivery()
        self.receipt_preview = None
        self.receipt_job_id = None
        if delivery == NO_RECEIPT:
            self.receipt_state = NO_RECEIPT
        elif delivery == BY_CONTACT and self.receipt_contact() is not None:
            by_contact = self._receipt_delivery(item.reference, self.receipt_contact())
            self.outbox.enqueue(RECEIPT_DELIVERY_KIND, by_contact)  # in the item's transaction
            self.receipt_state = BY_CONTACT
        elif self.print_jobs is not None:
            document = self._receipt(item, **receipt)
            self.receipt_job_id = self.print_jobs.add(item.reference, document.to_dict())
            self.receipt_state = PRINTING
        else:
            self.receipt_state = ""

    def _receipt_queued(self) -> None:
        """After the submission's transaction committed."""
        if self.receipt_state == PRINTING:
            self._receipt_printing()

    def _receipt_printing(self) -> None:
        self.receipt_state = PRINTING
        self.receipt_preview = None
        self._changed("receipt")
        if self.printing is not None:
            self.printing.wake()

    def _receipt_delivery(self, reference: str, contact: ReceiptContact) -> dict:
        return {
            "reference": reference,
            "channel": contact.channel,
            "address": contact.address,
            "locale": self.language,
        }

    def _receipt(
        self, item, *, service: str, details=(), bills=(), terminal_lines=(), currency=None
    ):
        return Receipt(
            city=self.city_name(),
            kiosk_id=self.config.get("kiosk", "id"),
            location=self.config.get("kiosk", "location"),
            when=datetime.datetime.now(),
            service=service,
            reference=item.reference,
            tracking_url=self.tracking_url(item.reference),
            bills=tuple(PaidBill(*bill) for bill in bills),
            terminal_lines=tuple(terminal_lines),
            currency=currency or self.config.get("payments", "currency"),
            queued=not self.online,
            help_contact=self.help_contact(),
            details=tuple(details),
            language=self.language,
        )

    def tracking_url(self, reference: str) -> str | None:
        template = self.config.get("receipts", "tracking_url")
        if not template:
            portal = self.config.get("portal", "url")
            if not portal:
                return None
            template = portal + "/track/{reference}"
        return template.replace("{reference}", reference)

    def print_outcome(self, outcome) -> None:
        """From the print worker, on the UI thread."""
        self.printer_status_changed(outcome.printer_status)
        if outcome.job_id != self.receipt_job_id:
            return  # an earlier visit's job, or a technician's reprint
        self.receipt_state = outcome.state
        self.receipt_problem = outcome.printer_status
        self.receipt_preview = outcome.preview
        self._changed("receipt")
        self._say(self.receipt_status_text())

    def printer_status_changed(self, status: PrinterStatus) -> None:
        if status != self.printer_status:
            self.printer_status = status
            self._changed("printer")


CONTACT_HELP = N_("Please type an email address, like name@example.com, or a mobile phone number.")
CONTACT_UNREADABLE = N_(
    "We could not read that as an email address or a phone number. Please check it."
)
PRINTER_PROBLEMS = {
    # The printer was fine, the receipt was not: staff can print it with the reference.
    PrinterStatus.OK: N_("Staff can print it for you with your reference."),
    PrinterStatus.PAPER_NEAR_END: N_("Staff can print it for you with your reference."),
    PrinterStatus.PAPER_OUT: N_("The receipt printer is out of paper."),
    PrinterStatus.COVER_OPEN: N_("The receipt printer's cover is open."),
    PrinterStatus.OFFLINE: N_("The receipt printer is not working right now."),
    None: N_("The receipt printer is not working right now."),
}

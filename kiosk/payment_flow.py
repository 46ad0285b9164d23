"""Paying a bill at the kiosk: find it, confirm, pay on the terminal, get a receipt.

A mixin of :class:`kiosk.model.KioskModel` (see kiosk/card_sign_in.py for why). The
payment itself runs on a worker thread through kiosk.payments.PaymentDesk; the
terminal's progress comes back through ``call_soon`` and is shown as it happens.
Whatever happens, the resident is told in plain words what became of their money.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from drivers.payment.interface import PaymentStage
from kiosk.i18n import N_
from kiosk.payment_messages import UNRESOLVED_MESSAGE, reason_message, stage_message
from kiosk.payments import PaymentUnavailable
from kiosk.portal_client import PortalError
from kiosk.submissions import NO_PAYMENTS_TEXT
from offline import payment_journal as journal_states
from offline.outbox import QueuedItem

log = logging.getLogger(__name__)

PAY_BILL, PAY_CONFIRM, PAYING, PAY_OUTCOME = "pay_bill", "pay_confirm", "paying", "pay_outcome"
# Until the terminal is asking the bank, the resident can still stop.
_CANCELLABLE = frozenset(
    {
        PaymentStage.CONNECTING,
        PaymentStage.INSERT_CARD,
        PaymentStage.ENTER_PIN,
        PaymentStage.WRONG_PIN,
        PaymentStage.WATCH_TERMINAL,
        PaymentStage.CARD_PROBLEM,
    }
)
MAX_BILL_NUMBER_LENGTH = 24


@dataclass
class BillSearch:
    number: str = ""
    state: str = ""  # "", searching, found, none, error
    bills: tuple = ()
    error: str = ""


class PaymentFlow:
    def _reset_payment(self) -> None:
        self.bill_search = BillSearch()
        self.selected_bill: dict | None = None
        self.payment_stage: PaymentStage | None = None
        self.payment_attempt = None  # kiosk.payments.PaymentAttempt of this visit
        self.payment_problem = ""  # untranslated: why no payment could start
        self._cancel_requested = False

    # -- finding the bill --

    def type_bill_number(self, text: str) -> None:
        self.session.record_activity()
        cleaned = "".join(ch for ch in text.upper() if ch.isalnum() or ch == "-")
        self.bill_search = BillSearch(number=cleaned[:MAX_BILL_NUMBER_LENGTH])
        self.session.remember("pay.number", self.bill_search.number)
        self._changed("bills")

    def find_bills(self) -> None:
        number = self.bill_search.number
        if not number or self.portal is None:
            return
        self.bill_search = BillSearch(number=number, state="searching")
        self._changed("bills")
        self._background(lambda: self.portal.bills_by_number(number), self._bills_found)

    def _bills_found(self, bills, error: Exception | None) -> None:
        number = self.bill_search.number
        if error is not None:
            if not isinstance(error, PortalError):
                log.error("bill search failed unexpectedly", exc_info=error)
            self.bill_search = BillSearch(number, "error", error=BILL_SEARCH_FAILED)
        else:
            payable = tuple(bill for bill in bills if _is_payable(bill))
            self.bill_search = BillSearch(number, "found" if payable else "none", payable)
        self._changed("bills")
        self._say(self.bill_search_text())

    def bill_search_text(self) -> str:
        search = self.bill_search
        if search.state == "searching":
            return self._("Looking for your bill…")
        if search.state == "none":
            return self._("We found no bill to pay with this number. Please check the number.")
        if search.state == "error":
            return self._(search.error)
        if search.state == "found":
            return self.translator.ngettext(
                "We found {n} bill.", "We found {n} bills.", len(search.bills)
            ).format(n=len(search.bills))
        return self._("Type the bill or account number printed on your bill, or scan it.")

    def choose_bill(self, bill_id: str) -> None:
        bill = next((b for b in self.bill_search.bills if b["id"] == bill_id), None)
        if bill is None:
            raise KeyError(bill_id)
        self.selected_bill = bill
        self._go(PAY_CONFIRM)

    def bill_description(self, bill: dict) -> str:
        description = bill.get("description") or {}
        if isinstance(description, dict):
            return description.get(self.language) or description.get("en") or ""
        return str(description)

    def money(self, cents: int, currency: str | None = None) -> str:
        from babel.numbers import format_currency

        currency = currency or self.config.get("payments", "currency")
        return format_currency(cents / 100, currency, locale=self.language)

    # -- paying --

    def start_payment(self) -> None:
        bill = self.selected_bill
        if bill is None or self.screen == PAYING:
            return
        refusal = NO_PAYMENTS_TEXT if self.payment_desk is None else self.payment_refusal()
        if refusal:
            self.payment_problem = refusal
            self._go(PAY_OUTCOME)
            return
        self.payment_attempt = None
        self.payment_problem = ""
        self._cancel_requested = False
        self.payment_stage = PaymentStage.CONNECTING
        order = {"bill_id": bill["id"], "number": bill.get("number", "")}
        amount = bill["amount_due_cents"]
        currency = bill.get("currency") or self.config.get("payments", "currency")
        self._go(PAYING)

        def on_stage(stage: PaymentStage) -> None:
            self._notify(lambda: self._payment_progress(stage))

        self._background(
            lambda: self.payment_desk.pay(order, amount, currency, on_stage), self._payment_done
        )

    def _payment_progress(self, stage: PaymentStage) -> None:
        if self.screen != PAYING:
            return
        self.payment_stage = stage
        self.session.record_activity()  # a resident at the terminal is not idle
        if self._cancel_requested and stage in _CANCELLABLE:
            # A cancel tapped before the terminal took the sale found no sale to stop;
            # ask again now that there is one.
            terminal = self.payment_desk.terminal() if self.payment_desk else None
            if terminal is not None:
                terminal.cancel()
        self._changed("payment")
        self._say(self.payment_stage_text())

    def payment_stage_text(self) -> str:
        if self._cancel_requested and self.payment_stage in _CANCELLABLE:
            return self._("Cancelling…")
        return self._(stage_message(self.payment_stage or PaymentStage.CONNECTING))

    def can_cancel_payment(self) -> bool:
        return (
            self.screen == PAYING
            and not self._cancel_requested
            and self.payment_stage in _CANCELLABLE
        )

    def cancel_payment(self) -> None:
        terminal = self.payment_desk.terminal() if self.payment_desk else None
        if not self.can_cancel_payment() or terminal is None:
            return
        self._cancel_requested = True
        terminal.cancel()
        self._changed("payment")

    def _payment_done(self, attempt, error: Exception | None) -> None:
        self._cancel_requested = False
        if error is not None:
            if not isinstance(error, PaymentUnavailable):
                log.error("payment failed unexpectedly", exc_info=error)
            else:
                log.warning("payment not started: %s", error)
            self.payment_problem = PAYMENTS_UNAVAILABLE
            self._go(PAY_OUTCOME)
            return
        self.payment_attempt = attempt
        if attempt.charged and attempt.outbox_key:
            self._payment_succeeded(attempt)
            return
        self._go(PAY_OUTCOME)

    def _payment_succeeded(self, attempt) -> None:
        entry, bill = attempt.entry, self.selected_bill
        item = QueuedItem(attempt.outbox_key, entry.reference)
        receipt = {
            "service": self._("Bill payment"),
            "bills": [(bill.get("number", ""), self.bill_description(bill), entry.amount_cents)],
            "terminal_lines": list(attempt.result.receipt_lines),
        }
        # The outbox's connection: a receipt sent by email is an outbox item too.
        with self.outbox.transaction():
            self._queue_receipt(item, receipt)
        self.bill_search = BillSearch()
        self.session.remember("pay.number", "")
        self._confirm(item)

    def payment_outcome_title(self) -> str:
        entry = self.payment_attempt.entry if self.payment_attempt else None
        if entry is not None and entry.open:
            return self._("We are not sure yet")
        if entry is not None and entry.state == journal_states.ABORTED:
            return self._("Payment cancelled")
        return self._("Payment not completed")

    def payment_outcome_text(self) -> str:
        if self.payment_problem:
            return self._(self.payment_problem)
        entry = self.payment_attempt.entry if self.payment_attempt else None
        if entry is None:
            return self._(PAYMENTS_UNAVAILABLE)
        if entry.open:
            return self._(UNRESOLVED_MESSAGE) + " " + entry.reference
        return self._(reason_message(entry.reason))

    def can_retry_payment(self) -> bool:
        entry = self.payment_attempt.entry if self.payment_attempt else None
        return self.selected_bill is not None and (entry is None or not entry.open)

    def retry_payment(self) -> None:
        if self.can_retry_payment():
            self.start_payment()


def _is_payable(bill: dict) -> bool:
    return bill.get("status") != "paid" and bill.get("amount_due_cents", 0) > 0


BILL_SEARCH_FAILED = N_("We could not look up bills right now. Please try again in a moment.")
PAYMENTS_UNAVAILABLE = N_(
    "The card terminal is not available right now. You were not charged. "
    "Please try again later or ask staff."
)

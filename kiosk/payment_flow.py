"""Taking a card payment for any service: confirm, pay on the terminal, receipt.

A mixin of :class:`kiosk.model.KioskModel` (see kiosk/card_sign_in.py for why). A flow
that charges something (kiosk/flows/pay_bill.py for bills; a permit's fee later) hands
its lines to :meth:`PaymentFlow.start_order_payment`; from there the steps are the same
for every service::

    pay_confirm (lines, total; Back, Cancel, Pay with card)
      └─▶ paying (the terminal's live stage; Cancel while the card is not read yet)
            ├─▶ confirmation (amount paid, reference, receipt)   on_paid(PaidOrder) first
            └─▶ pay_outcome (what became of the money; Try again)

The sale runs on a worker thread through kiosk.payments.PaymentDesk; the terminal's
progress comes back through ``call_soon``. Whatever happens, the resident is told in
plain words what became of their money, including after the payment: a sale the city
refuses for good is reversed on the terminal, and the end screen says so.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from drivers.payment.interface import PaymentStage
from kiosk.i18n import N_
from kiosk.money import format_money
from kiosk.payment_messages import UNRESOLVED_MESSAGE, reason_message, stage_message
from kiosk.payments import UNHONOURABLE, PaymentAttempt, PaymentUnavailable
from kiosk.submissions import NO_PAYMENTS_TEXT
from offline import payment_journal as journal_states
from offline.outbox import NEEDS_ATTENTION, QueuedItem

log = logging.getLogger(__name__)

PAY_BILL, PAY_CONFIRM, PAYING, PAY_OUTCOME = "pay_bill", "pay_confirm", "paying", "pay_outcome"
PAYMENT_SCREENS = frozenset({PAY_CONFIRM, PAYING, PAY_OUTCOME})
# Until the terminal is asking the bank, the resident can still stop.
_CANCELLABLE = frozenset(
    {
        PaymentStage.CONNECTING,
        PaymentStage.TERMINAL_BUSY,
        PaymentStage.INSERT_CARD,
        PaymentStage.ENTER_PIN,
        PaymentStage.WRONG_PIN,
        PaymentStage.WATCH_TERMINAL,
        PaymentStage.CARD_PROBLEM,
    }
)


OFFLINE_PAID = "offline_paid_cents"  # session key: this visit's payments taken offline


@dataclass(frozen=True)
class OfflineLimits:
    """The city's limits on taking money on the strength of copies kept offline
    (``[payments] offline_max_bill_age_h`` and ``offline_max_amount``)."""

    max_age_h: int  # 0: no payments at all while offline
    cap_cents: int  # for a whole visit
    left_cents: int  # of the cap, after what this visit already paid offline

    @property
    def allowed(self) -> bool:
        return self.max_age_h > 0

    def too_old(self, age: datetime.timedelta) -> bool:
        return age > datetime.timedelta(hours=self.max_age_h)


@dataclass(frozen=True)
class OrderLine:
    """One thing paid for. ``kind`` and ``id`` say what the portal applies the money to
    (kind "bill": a bill's id); ``number`` and ``description`` are what the resident
    reads on screen and on the receipt (a description may be a {language: text} dict)."""

    kind: str
    id: str
    number: str
    description: str | dict
    amount_cents: int


@dataclass(frozen=True)
class PaidOrder:
    """Handed to ``on_paid``: the order, and the payment that settled it."""

    order: PaymentOrder
    reference: str  # the payment's (and confirmation's) reference, K-XXXX-XXXX
    item: QueuedItem  # the outbox item that posts the payment to the portal
    attempt: PaymentAttempt


@dataclass
class PaymentOrder:
    lines: tuple[OrderLine, ...]
    currency: str
    # Runs once the card was charged, inside the outbox transaction that writes the
    # receipt: it may enqueue items that belong with the payment, and returns extra
    # (label, value) receipt lines, labels translated, or None.
    on_paid: Callable[[PaidOrder], Iterable[tuple[str, str]] | None]
    service: str = N_("Payment")  # untranslated: the receipt's and end screen's title
    on_back: Callable[[], None] | None = None  # Back on the confirm screen
    # Surely not charged (declined, cancelled, the terminal unavailable): the flow
    # takes the resident back to its own step, which says so; default: pay_outcome.
    on_not_paid: Callable[[], None] | None = None
    flow: object | None = None  # the Flow that asked: it forgets all when cancelled
    note: str = ""  # untranslated, shown before paying (say, why it is paid offline)
    note_values: dict = field(default_factory=dict)
    offline: bool = False  # taken on a copy kept offline: counts against the visit's cap

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


class PaymentFlow:
    def _reset_payment(self) -> None:
        self.payment_order: PaymentOrder | None = None
        self.payment_stage: PaymentStage | None = None
        self.payment_attempt = None  # kiosk.payments.PaymentAttempt of this visit
        self.payment_problem = ""  # untranslated: why no payment could start
        self._cancel_requested = False
        self.paid_order: PaidOrder | None = None  # the last payment of this visit
        # What became of it at the portal: posted, reversed or refund_needed.
        self.payment_settlement = ""

    # -- for any flow that charges something --

    def start_order_payment(
        self,
        lines: Iterable[OrderLine],
        on_paid: Callable[[PaidOrder], Iterable[tuple[str, str]] | None],
        *,
        currency: str | None = None,
        service: str = N_("Payment"),
        on_back: Callable[[], None] | None = None,
        on_not_paid: Callable[[], None] | None = None,
        flow=None,
        note: str = "",
        note_values: dict | None = None,
        offline: bool = False,
    ) -> None:
        """Show the confirm screen for ``lines``; the resident pays from there.

        ``service`` and ``note`` are untranslated messages; ``on_back`` is what Back on
        the confirm screen does (the flow's previous step; default: the services);
        ``on_not_paid`` where a sale that surely charged nothing leads (default: the
        outcome screen, which says what happened and offers Try again);
        ``flow`` is reset when the resident cancels on a payment screen; ``offline``:
        the amount was read from a copy kept offline (see :meth:`offline_limits`).
        """
        lines = tuple(lines)
        if not lines or any(line.amount_cents <= 0 for line in lines):
            raise ValueError("an order needs lines, each with an amount above 0")
        self.payment_order = PaymentOrder(
            lines,
            currency or self.config.get("payments", "currency"),
            on_paid,
            service,
            on_back,
            on_not_paid,
            flow,
            note,
            dict(note_values or {}),
            offline,
        )
        self.payment_attempt = None
        self.payment_problem = ""
        self._go(PAY_CONFIRM)

    def offline_limits(self) -> OfflineLimits:
        """What this visit may still pay on copies kept offline."""
        cap = self.config.get("payments", "offline_max_amount")
        already = self.session.recall(OFFLINE_PAID, 0)
        return OfflineLimits(
            self.config.get("payments", "offline_max_bill_age_h"), cap, max(cap - already, 0)
        )

    def line_description(self, line: OrderLine) -> str:
        description = line.description
        if isinstance(description, dict):
            return description.get(self.language) or description.get("en") or ""
        return self._(description) if description else ""

    def money(self, cents: int, currency: str | None = None) -> str:
        return format_money(
            cents, currency or self.config.get("payments", "currency"), self.language
        )

    def order_total_text(self) -> str:
        order = self.payment_order
        return self.money(order.total_cents, order.currency) if order else ""

    def order_note_text(self) -> str:
        order = self.payment_order
        if order is None or not order.note:
            return ""
        return self._(order.note).format(**order.note_values)

    def payment_back(self) -> None:
        """Back on the confirm screen: the step before, with what was chosen there."""
        order = self.payment_order
        if order is not None and order.on_back is not None:
            order.on_back()
        else:
            self.go_home()

    def _cancel_payment_order(self) -> None:
        """The resident cancelled on a payment screen: the flow that asked forgets too."""
        if self.screen not in PAYMENT_SCREENS or self.payment_order is None:
            return
        flow, self.payment_order = self.payment_order.flow, None
        if flow is not None:
            flow.reset()

    # -- paying --

    def start_payment(self) -> None:
        order = self.payment_order
        if order is None or self.screen == PAYING:
            return
        refusal = NO_PAYMENTS_TEXT if self.payment_desk is None else self.payment_refusal()
        if refusal:
            self.payment_problem = refusal
            self._not_paid(order)
            return
        self.payment_attempt = None
        self.payment_problem = ""
        self._cancel_requested = False
        self.payment_stage = PaymentStage.CONNECTING
        # Sealed in the journal: what the money is for, line by line.
        sealed = {
            "lines": [
                {
                    "kind": line.kind,
                    "id": line.id,
                    "number": line.number,
                    "amount_cents": line.amount_cents,
                }
                for line in order.lines
            ]
        }
        self._go(PAYING)

        def on_stage(stage: PaymentStage) -> None:
            self._notify(lambda: self._payment_progress(stage))

        self._background(
            lambda: self.payment_desk.pay(sealed, order.total_cents, order.currency, on_stage),
            lambda attempt, error: self._payment_done(order, attempt, error),
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

    def _payment_done(self, order: PaymentOrder, attempt, error: Exception | None) -> None:
        self._cancel_requested = False
        if order is not self.payment_order:
            # The visit ended while the terminal worked (card taken out, timeout): the
            # journal and the outbox have the sale; the next resident sees none of it.
            log.warning("a payment finished after its visit ended; recorded, not shown")
            return
        if error is not None:
            if not isinstance(error, PaymentUnavailable):
                log.error("payment failed unexpectedly", exc_info=error)
            else:
                log.warning("payment not started: %s", error)
            self.payment_problem = PAYMENTS_UNAVAILABLE
            self._not_paid(order)
            return
        self.payment_attempt = attempt
        if attempt.charged and attempt.outbox_key:
            self._payment_succeeded(order, attempt)
            return
        self._not_paid(order)

    def _not_paid(self, order: PaymentOrder) -> None:
        attempt = self.payment_attempt
        # An outcome still unknown stays on the payment's own screen, which says so.
        surely_not_charged = attempt is None or not (attempt.charged or attempt.entry.open)
        if surely_not_charged and order.on_not_paid is not None:
            order.on_not_paid()
        else:
            self._go(PAY_OUTCOME)

    def _payment_succeeded(self, order: PaymentOrder, attempt) -> None:
        entry = attempt.entry
        item = QueuedItem(attempt.outbox_key, entry.reference)
        paid = PaidOrder(order, entry.reference, item, attempt)
        receipt = {
            "service": self._(order.service),
            "bills": [
                (line.number, self.line_description(line), line.amount_cents)
                for line in order.lines
            ],
            "terminal_lines": list(attempt.result.receipt_lines),
            "currency": order.currency,
        }
        # The outbox's connection: a receipt sent by email is an outbox item too.
        if order.offline:
            already = self.session.recall(OFFLINE_PAID, 0)
            self.session.remember(OFFLINE_PAID, already + order.total_cents)
        with self.outbox.transaction():
            details = order.on_paid(paid)
            if details:
                receipt["details"] = list(details)
            self._queue_receipt(item, receipt)
        self.payment_order = None
        self.paid_order = paid
        self.payment_settlement = ""
        self._confirm(item)

    # -- after paying --

    def payment_settled(self, reference: str, state: str) -> None:
        """From the payment desk (on the UI thread): the portal took this visit's
        payment, or refused it and it was reversed (or needs a refund by staff)."""
        if self.paid_order is None or self.paid_order.reference != reference:
            return
        self.payment_settlement = state
        self._changed("submission")
        if state != journal_states.POSTED:
            self._say(" ".join(self.paid_confirmation("", "")))

    def paid_confirmation(self, heading: str, status: str) -> tuple[str, str]:
        """The end screen's heading and status for this visit's payment: the amount
        paid and, if the city refused it, what became of the money."""
        paid, item = self.paid_order, self.last_submission
        if paid is None or item is None or item.idempotency_key != paid.item.idempotency_key:
            return heading, status
        _ = self._
        amount = self.money(paid.order.total_cents, paid.order.currency)
        settled = self.payment_settlement
        if settled == journal_states.REVERSED:
            return (
                _("Your payment was refunded"),
                _(REFUSED_BY_CITY).format(reason=self._refusal_reason())
                + " "
                + _("We refunded {amount} to your card: you were not charged.").format(
                    amount=amount
                ),
            )
        if settled == journal_states.REFUND_NEEDED:
            return (
                _("Your payment needs a refund"),
                _(REFUSED_BY_CITY).format(reason=self._refusal_reason())
                + " "
                + _(
                    "The card terminal could not refund it. Staff will refund {amount} to "
                    "you: please show them your reference."
                ).format(amount=amount),
            )
        if self.submission_state == NEEDS_ATTENTION and self._refusal_code() in UNHONOURABLE:
            return (
                _("We are refunding your payment"),
                _(REFUSED_BY_CITY).format(reason=self._refusal_reason())
                + " "
                + _("We are refunding {amount} to your card.").format(amount=amount),
            )
        return _("Thank you. You paid {amount}.").format(amount=amount), status

    def _refusal_code(self) -> str:
        found = self.outbox.find(self.paid_order.item.idempotency_key) if self.outbox else None
        return ((found.last_error if found else "") or "").split(":", 1)[0].strip()

    def _refusal_reason(self) -> str:
        return self._(REFUSAL_REASONS.get(self._refusal_code(), REFUSAL_REASONS[""]))

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
        return self.payment_order is not None and (entry is None or not entry.open)

    def retry_payment(self) -> None:
        if self.can_retry_payment():
            self.start_payment()

    def describe_payment(self, screen: str) -> str:
        _ = self._
        order = self.payment_order
        if screen == PAY_CONFIRM and order is not None:
            parts = [_("Check your payment.")]
            for line in order.lines:
                parts.append(
                    f"{line.number}, {self.line_description(line)}: "
                    f"{self.money(line.amount_cents, order.currency)}."
                )
            parts.append(_("Total: {amount}.").format(amount=self.order_total_text()))
            parts.append(self.order_note_text())
            parts.append(_("Touch Pay with card."))
            return " ".join(part for part in parts if part)
        if screen == PAYING:
            return self.payment_stage_text()
        if screen == PAY_OUTCOME:
            return " ".join([self.payment_outcome_title() + ".", self.payment_outcome_text()])
        return ""


PAYMENTS_UNAVAILABLE = N_(
    "The card terminal is not available right now. You were not charged. "
    "Please try again later or ask staff."
)
REFUSED_BY_CITY = N_("The city could not accept this payment: {reason}.")
REFUSAL_REASONS = {
    "bill_already_paid": N_("a bill in it had already been paid"),
    "amount_exceeds_balance": N_("it was more than what was left to pay"),
    "partial_not_allowed": N_("a bill in it must be paid in full"),
    "bill_not_found": N_("a bill in it no longer exists"),
    "currency_mismatch": N_("it was in the wrong currency"),
    "application_not_found": N_("the application it paid for was not accepted"),
    "fee_already_paid": N_("that fee had already been paid"),
    "wrong_fee": N_("the fee had changed"),
    "": N_("the city's records had changed"),
}

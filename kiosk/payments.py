"""Taking a card payment so that no crash can lose or double it.

The order of writes is the whole design:

1. ``intent`` is committed before the terminal hears of the sale.
2. ``sent`` once the terminal acknowledged the command.
3. The terminal's result is committed *before* the driver acknowledges it to the
   terminal; an approval commits together with the outbox item that posts it to the
   portal (idempotency key ``payment-<reference>``, so a re-record is a no-op).
4. A sale whose result was lost is never sent again: :meth:`PaymentDesk.recover`
   asks the terminal for its last receipt and compares it with the journal.

Whatever was open when the kiosk stopped is resolved before the next payment may
start. A charge the portal cannot honour (bill already paid, say) is reversed on the
terminal by receipt number; if the terminal refuses, the entry is flagged for a
refund by the back office.

Plain Python: the screens call it from a worker thread (it blocks on the terminal).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from drivers.payment.interface import (
    Checkpoint,
    PaymentOutcome,
    PaymentResult,
    PaymentStage,
    PaymentTerminalDriver,
    StageCallback,
)
from offline import payment_journal as journal_states
from offline.alerts import Alerts
from offline.outbox import NEEDS_ATTENTION, SENT, Outbox
from offline.payment_journal import JournalEntry, PaymentJournal

log = logging.getLogger(__name__)

PAYMENT_KIND = "payment"
REFUND_NEEDED_ALERT = "payment_refund_needed"
# Portal refusals that mean the money can never be applied: the charge is reversed.
UNHONOURABLE = frozenset(
    {
        "bill_already_paid",
        "bill_not_found",
        "amount_exceeds_balance",
        "partial_not_allowed",
        "currency_mismatch",
        # A permit fee (portal/permits.py) whose application the city refused, or paid.
        "application_not_found",
        "fee_already_paid",
        "wrong_fee",
    }
)
_OUTCOME_STATE = {
    PaymentOutcome.APPROVED: journal_states.APPROVED,
    PaymentOutcome.DECLINED: journal_states.DECLINED,
    PaymentOutcome.ABORTED: journal_states.ABORTED,
}


class PaymentUnavailable(RuntimeError):
    """No payment was started (nothing charged); ``str()`` says why, for the log."""


@dataclass(frozen=True)
class PaymentAttempt:
    entry: JournalEntry
    result: PaymentResult
    outbox_key: str | None = None

    @property
    def charged(self) -> bool:
        return self.entry.state in (journal_states.APPROVED, journal_states.POSTED)


Step = Callable[[str], None]


def _no_step(name: str) -> None:
    pass


class PaymentDesk:
    def __init__(
        self,
        journal: PaymentJournal,
        outbox: Outbox,
        terminal: Callable[[], PaymentTerminalDriver | None],
        *,
        alerts: Alerts | None = None,
        step: Step = _no_step,
        on_settled: Callable[[str, str], None] | None = None,
    ) -> None:
        self._journal = journal
        self._outbox = outbox
        self._terminal = terminal
        self._alerts = alerts
        # Named moments of a sale, for the crash test to stop the process at.
        self._step = step
        # Told (reference, state) when an approved payment ends up posted, reversed or
        # refund_needed; called on the thread that reconciles.
        self._on_settled = on_settled or (lambda _reference, _state: None)
        self._lock = threading.Lock()

    # What the screens ask ------------------------------------------------------

    def terminal(self) -> PaymentTerminalDriver | None:
        return self._terminal()

    def blocked_by_open_payment(self) -> bool:
        return bool(self._journal.open_entries())

    def pay(self, order: dict, amount_cents: int, currency: str, on_stage: StageCallback):
        """Charge ``amount_cents`` for ``order`` on the terminal: a basket, ``{"lines":
        [{"kind": "bill", "id": ..., "amount_cents": ...}, ...]}`` whose amounts add up
        to ``amount_cents`` (posted as allocations), or one bill, ``{"bill_id": ...}``.

        Raises PaymentUnavailable when nothing could be started. Otherwise returns a
        PaymentAttempt whose entry says what happened to the money: approved, declined,
        aborted, or not_charged after a recovery; an entry still open means the terminal
        could not be asked and the kiosk must not take payments until it can.
        """
        lines = order.get("lines")
        if lines is not None and sum(line["amount_cents"] for line in lines) != amount_cents:
            raise ValueError("the order's lines do not add up to the amount")
        if not self._lock.acquire(blocking=False):
            raise PaymentUnavailable("a payment is already in progress")
        try:
            terminal = self._ready_terminal(on_stage)
            with self._journal.transaction():
                entry = self._journal.begin(order, amount_cents, currency, terminal.terminal_id)
            self._step("intent")
            return self._sale(terminal, entry, order, on_stage)
        finally:
            self._lock.release()

    def recover(self, on_stage: StageCallback | None = None) -> list[JournalEntry]:
        """Resolve every open entry with the terminal; the entries, as resolved.

        Raises PaymentUnavailable if the terminal cannot be asked (the entries stay
        open and block payments until it can).
        """
        open_entries = self._journal.open_entries()
        if not open_entries:
            return []
        terminal = self._terminal()
        if terminal is None:
            raise PaymentUnavailable("the payment terminal is not connected")
        try:
            return [self._resolve(terminal, entry, on_stage) for entry in open_entries]
        except RuntimeError as error:
            raise PaymentUnavailable(f"the terminal could not be asked: {error}") from None

    def reconcile(self) -> dict[str, int]:
        """Follow approved payments to the portal: posted, or reversed when the
        portal refused them for good. Returns counts of what changed."""
        changed = {"posted": 0, "reversed": 0, "refund_needed": 0, "pending": 0}
        for entry in self._journal.entries(journal_states.APPROVED, journal_states.REVERSING):
            if entry.state == journal_states.REVERSING:
                changed[self._reverse(entry)] += 1
                continue
            item = self._outbox.find(entry.outbox_key) if entry.outbox_key else None
            if item is None:
                continue
            if item.state == SENT:
                with self._journal.transaction():
                    self._journal.move(entry, journal_states.POSTED)
                changed["posted"] += 1
                self._on_settled(entry.reference, journal_states.POSTED)
            elif item.state == NEEDS_ATTENTION and _refusal_code(item.last_error) in UNHONOURABLE:
                log.warning(
                    "payment %s refused by the portal (%s); reversing it",
                    entry.reference,
                    _refusal_code(item.last_error),
                )
                with self._journal.transaction():
                    entry = self._journal.move(entry, journal_states.REVERSING)
                changed[self._reverse(entry)] += 1
        return {name: count for name, count in changed.items() if count}

    def maintain(self) -> None:
        """Resolve open entries and follow approved ones, unless a sale is running.
        Called at start-up and whenever the sync worker has news; never raises."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            self.recover()
            changed = self.reconcile()
            if changed:
                log.info("payments reconciled: %s", changed)
        except PaymentUnavailable as error:
            log.warning("open payments not resolved yet: %s", error)
        except Exception:
            log.exception("payment maintenance failed")
        finally:
            self._lock.release()

    def end_of_day(self) -> dict:
        """Reverse what must be reversed while the batch is open, then close it."""
        self.recover()
        self.reconcile()
        terminal = self._terminal()
        if terminal is None:
            raise PaymentUnavailable("the payment terminal is not connected")
        return terminal.end_of_day()

    # The sale -------------------------------------------------------------------

    def _ready_terminal(self, on_stage: StageCallback) -> PaymentTerminalDriver:
        terminal = self._terminal()
        if terminal is None or terminal.status() == "offline":
            raise PaymentUnavailable("the payment terminal is not connected")
        self.recover(on_stage)
        try:
            if not self._journal.knows_terminal(terminal.terminal_id):
                self._learn_baseline(terminal)
        except RuntimeError as error:
            raise PaymentUnavailable(f"the terminal could not be asked: {error}") from None
        if self._journal.open_entries():
            raise PaymentUnavailable("an earlier payment is still unresolved")
        return terminal

    def _learn_baseline(self, terminal: PaymentTerminalDriver) -> None:
        # The first sale on a terminal needs to know its newest receipt, or a lost
        # outcome could not be told apart from an older sale on that terminal.
        last = terminal.last_transaction()
        with self._journal.transaction():
            self._journal.saw_receipt(terminal.terminal_id, last.receipt_number if last else 0)

    def _sale(self, terminal, entry: JournalEntry, order: dict, on_stage) -> PaymentAttempt:
        recorded: dict[str, PaymentResult] = {}
        accepted: list[bool] = []

        def checkpoint(point: Checkpoint, result: PaymentResult | None) -> None:
            if point is Checkpoint.ACCEPTED:
                accepted.append(True)
                with self._journal.transaction():
                    self._journal.move(entry, journal_states.SENT)
                self._step("accepted")
            elif point is Checkpoint.RESULT and result is not None:
                with self._journal.transaction():
                    self._record(entry, order, result)
                recorded["result"] = result
                self._step("result")

        try:
            result = terminal.pay(entry.amount_cents, entry.reference, on_stage, checkpoint)
        except (RuntimeError, ValueError) as error:
            if accepted:
                # The terminal had the sale: whatever failed after that, the card may
                # be charged, so this is a lost outcome, never "not charged".
                log.error(
                    "payment %s failed after the terminal took it: %s", entry.reference, error
                )
                result = PaymentResult(
                    PaymentOutcome.UNKNOWN, entry.amount_cents, entry.reference, reason="failed"
                )
            else:
                # The driver's contract: an exception before the terminal acknowledged
                # the sale means it never left the kiosk.
                with self._journal.transaction():
                    self._journal.move(entry, journal_states.NOT_CHARGED, reason="not_started")
                raise PaymentUnavailable(str(error)) from None
        self._step("completed")
        current = self._journal.get(entry.reference)
        if result.outcome is PaymentOutcome.UNKNOWN and "result" not in recorded:
            log.warning(
                "payment %s: outcome lost (%s); asking the terminal", entry.reference, result.reason
            )
            with self._journal.transaction():
                current = self._journal.move(current, journal_states.UNKNOWN, reason=result.reason)
            try:
                current = self._resolve(terminal, current, on_stage)
            except RuntimeError as error:
                log.error("payment %s stays open: %s", entry.reference, error)
            return PaymentAttempt(current, result, current.outbox_key)
        with self._journal.transaction():
            if current.open:  # a driver that reported no RESULT checkpoint
                current = self._record(current, order, result)
            if result.receipt_lines:
                self._journal.keep_receipt(current, list(result.receipt_lines))
        return PaymentAttempt(self._journal.get(entry.reference), result, current.outbox_key)

    def _record(self, entry: JournalEntry, order: dict, result: PaymentResult) -> JournalEntry:
        """Record the terminal's result; an approval is queued for the portal with it."""
        state = _OUTCOME_STATE.get(result.outcome)
        if state is None:
            return entry
        details = {
            "receipt_number": result.receipt_number,
            "trace": result.trace,
            "masked_pan": result.masked_pan or None,
            "card_type": result.card_type or None,
            "reason": result.reason or None,
        }
        if result.terminal_id:
            details["terminal_id"] = result.terminal_id
        if state != journal_states.APPROVED:
            return self._journal.move(entry, state, **details)
        item = self._outbox.enqueue(
            PAYMENT_KIND,
            _portal_payment(entry, order, result),
            order_key=_order_key(entry, order),
            idempotency_key=f"payment-{entry.reference}",
        )
        return self._journal.move(entry, state, outbox_key=item.idempotency_key, **details)

    # Recovery -------------------------------------------------------------------

    def _resolve(self, terminal, entry: JournalEntry, on_stage) -> JournalEntry:
        if entry.state == journal_states.REVERSING:
            self._reverse(entry)
            return self._journal.get(entry.reference)
        last = terminal.last_transaction(on_stage)
        baseline = entry.baseline_receipt or 0
        charged = (
            last is not None
            and last.receipt_number is not None
            and last.receipt_number > baseline
            and last.amount_cents == entry.amount_cents
            and not self._journal.claimed(
                last.terminal_id or entry.terminal_id, last.receipt_number
            )
        )
        with self._journal.transaction():
            if entry.state != journal_states.UNKNOWN:
                entry = self._journal.move(entry, journal_states.UNKNOWN, reason="recovering")
            if charged:
                recovered = PaymentResult(
                    PaymentOutcome.APPROVED,
                    entry.amount_cents,
                    entry.reference,
                    receipt_number=last.receipt_number,
                    masked_pan=last.masked_pan,
                    card_type=last.card_type,
                    terminal_id=last.terminal_id,
                    trace=last.trace,
                )
                entry = self._record(entry, self._journal.order(entry), recovered)
                if last.receipt_lines:
                    self._journal.keep_receipt(entry, list(last.receipt_lines))
            else:
                entry = self._journal.move(entry, journal_states.NOT_CHARGED, reason="not_charged")
                if last is not None and last.receipt_number is not None:
                    self._journal.saw_receipt(
                        last.terminal_id or entry.terminal_id, last.receipt_number
                    )
        log.info("payment %s recovered: %s", entry.reference, entry.state)
        if on_stage is not None:
            stage = PaymentStage.APPROVED if charged else PaymentStage.ABORTED
            on_stage(stage)
        return entry

    def _reverse(self, entry: JournalEntry) -> str:
        """Reverse a ``reversing`` entry on the terminal; what became of it."""
        terminal = self._terminal()
        if entry.receipt_number is None:
            return self._refund_needed(entry, "no receipt number to reverse by")
        if terminal is None:
            return "pending"  # the next reconcile tries again
        try:
            result = terminal.reverse(entry.receipt_number, entry.amount_cents, entry.reference)
        except RuntimeError as error:
            log.warning("payment %s: reversal not possible now (%s)", entry.reference, error)
            return "pending"
        if result.outcome is PaymentOutcome.UNKNOWN:
            log.warning("payment %s: reversal outcome lost; will ask again", entry.reference)
            return "pending"
        if result.outcome is not PaymentOutcome.APPROVED:
            return self._refund_needed(entry, result.reason or "reversal refused")
        with self._journal.transaction():
            self._journal.move(
                entry, journal_states.REVERSED, reversal_receipt=result.receipt_number
            )
        self._on_settled(entry.reference, journal_states.REVERSED)
        if result.receipt_number is None:
            # Reversed before a crash: its receipt number was never seen, so the
            # newest receipt must be learnt again before the next lost outcome.
            self._learn_baseline(terminal)
        return "reversed"

    def _refund_needed(self, entry: JournalEntry, why: str) -> str:
        with self._journal.transaction():
            self._journal.move(entry, journal_states.REFUND_NEEDED, reason=why)
            if self._alerts is not None:
                self._alerts.raise_alert(REFUND_NEEDED_ALERT, f"payment {entry.reference}")
        log.error("payment %s could not be reversed (%s): refund needed", entry.reference, why)
        self._on_settled(entry.reference, journal_states.REFUND_NEEDED)
        return "refund_needed"


def _order_key(entry: JournalEntry, order: dict) -> str:
    # Delivered behind earlier items about the same (first) thing paid for.
    if order.get("lines"):
        first = order["lines"][0]
        return f"{first['kind']}:{first['id']}"
    return f"bill:{order.get('bill_id', entry.reference)}"


def _portal_payment(entry: JournalEntry, order: dict, result: PaymentResult) -> dict:
    if "lines" in order:
        paid_for = {
            "allocations": [
                {"kind": line["kind"], "id": line["id"], "amount_cents": line["amount_cents"]}
                for line in order["lines"]
            ]
        }
    else:
        paid_for = {"bill_id": order["bill_id"]}
    return {
        **paid_for,
        "amount_cents": entry.amount_cents,
        "currency": entry.currency,
        "kiosk_reference": entry.reference,
        "terminal": {
            "receipt_number": None if result.receipt_number is None else str(result.receipt_number),
            "masked_pan": result.masked_pan or None,
            "card_type": result.card_type or None,
            "trace": None if result.trace is None else str(result.trace),
        },
    }


def _refusal_code(last_error: str | None) -> str:
    return (last_error or "").split(":", 1)[0].strip()

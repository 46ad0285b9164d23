"""Card payments through the PaymentDesk with a real SQLite database, the real outbox
and journal, and the in-process simulated terminal (or small fakes where a lost
outcome must be forced): nothing charged is lost, nothing is counted twice."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Mapping

import pytest

from drivers.payment.interface import (
    Checkpoint,
    PaymentOutcome,
    PaymentResult,
    PaymentStage,
    PaymentTerminalDriver,
)
from drivers.payment.simulator import CARD_TYPE, MASKED_PAN, TERMINAL_ID, SimulatedTerminal
from kiosk.payments import (
    PAYMENT_KIND,
    REFUND_NEEDED_ALERT,
    PaymentDesk,
    PaymentUnavailable,
)
from offline import payment_journal as states
from offline.alerts import Alerts
from offline.crypto import PayloadCipher
from offline.db import open_database
from offline.outbox import NEEDS_ATTENTION, Delivery, Outbox
from offline.payment_journal import PaymentJournal

BILL = {"bill_id": "bill-0001", "payer": "María Pérez"}
DECLINED_AMOUNT = 666


class KioskDied(BaseException):
    """The process stops at a named moment of a sale (power cut, kill -9)."""


class Kiosk:
    """One kiosk: its database, journal, outbox, alerts and terminal; ``restart()``
    opens everything again as a new process would."""

    def __init__(self, tmp_path, terminal, *, step=None):
        self.path = tmp_path / "kiosk.db"
        self.cipher = PayloadCipher(os.urandom(32))
        self.terminal = terminal
        self.steps: list[str] = []
        self.on_step = step
        self._open()

    def _open(self):
        self.db = open_database(self.path)
        self.journal = PaymentJournal(self.db, self.cipher)
        self.outbox = Outbox(self.db, self.cipher)
        self.alerts = Alerts(self.db)
        self.desk = PaymentDesk(
            self.journal,
            self.outbox,
            lambda: self.terminal,
            alerts=self.alerts,
            step=self._record_step,
        )

    def _record_step(self, name):
        self.steps.append(name)
        if self.on_step is not None:
            self.on_step(name)

    def restart(self, *, step=None):
        self.db.close()
        self.on_step = step
        self._open()

    def close(self):
        self.db.close()

    def pay(self, amount_cents=1250, order=BILL, stages=None):
        on_stage = ignore if stages is None else stages.append
        return self.desk.pay(order, amount_cents, "EUR", on_stage)

    def items(self):
        return self.outbox.summaries()


@pytest.fixture
def simulator():
    terminal = SimulatedTerminal(step_delay_s=0, decline_amounts=frozenset({DECLINED_AMOUNT}))
    terminal.start()
    yield terminal
    terminal.stop()


@pytest.fixture
def kiosk(tmp_path, simulator):
    kiosk = Kiosk(tmp_path, simulator)
    yield kiosk
    kiosk.close()


def ignore(stage):
    pass


# Fakes ------------------------------------------------------------------------------


class LosesTheAnswer(SimulatedTerminal):
    """The line drops before the terminal's result reaches the kiosk. ``books``: the
    terminal had charged the card by then (else it had not even read one)."""

    books = True

    def pay(self, amount_cents, reference, on_stage, on_checkpoint=None):
        def accepted_only(point, result):
            if point is Checkpoint.ACCEPTED and on_checkpoint is not None:
                on_checkpoint(point, result)

        if self.books:
            super().pay(amount_cents, reference, on_stage, accepted_only)
        else:
            accepted_only(Checkpoint.ACCEPTED, None)
        return PaymentResult(PaymentOutcome.UNKNOWN, amount_cents, reference, reason="line_lost")


class DropsBeforeCharging(LosesTheAnswer):
    books = False


class Unreachable(SimulatedTerminal):
    """Says it is there, but refuses every sale before sending it (cable pulled)."""

    def pay(self, amount_cents, reference, on_stage, on_checkpoint=None):
        raise RuntimeError("payment terminal is offline")


class RefusesReversals(SimulatedTerminal):
    def reverse(self, receipt_number, amount_cents, reference, on_checkpoint=None):
        return PaymentResult(
            PaymentOutcome.DECLINED, amount_cents, reference, reason="batch_closed"
        )


class ScriptedTerminal(PaymentTerminalDriver):
    """A terminal with a history before the kiosk met it; every sale's answer is lost
    and nothing is booked. ``last_transaction`` raises while ``reachable`` is False."""

    name = "scripted"
    terminal_id = "TERM0042"

    def __init__(self, last: PaymentResult | None = None) -> None:
        self.last = last
        self.reachable = True
        self.sales: list[str] = []
        self.asked = 0

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        return True

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def status(self) -> str:
        return "idle"

    def cancel(self) -> None:
        pass

    def end_of_day(self) -> dict:
        return {}

    def pay(self, amount_cents, reference, on_stage, on_checkpoint=None):
        self.sales.append(reference)
        if on_checkpoint is not None:
            on_checkpoint(Checkpoint.ACCEPTED, None)
        return PaymentResult(PaymentOutcome.UNKNOWN, amount_cents, reference, reason="line_lost")

    def last_transaction(self, on_stage=None):
        self.asked += 1
        if not self.reachable:
            raise RuntimeError("the terminal does not answer")
        return self.last

    def reverse(self, receipt_number, amount_cents, reference, on_checkpoint=None):
        return PaymentResult(PaymentOutcome.DECLINED, amount_cents, reference, reason="refused")


def earlier_sale(receipt_number: int, amount_cents: int = 1250) -> PaymentResult:
    return PaymentResult(
        PaymentOutcome.APPROVED,
        amount_cents,
        "someone-before-the-kiosk",
        receipt_number=receipt_number,
        masked_pan="************9999",
        terminal_id=ScriptedTerminal.terminal_id,
        trace=receipt_number,
    )


def kiosk_with(tmp_path, terminal, **kwargs) -> Kiosk:
    terminal.start()
    return Kiosk(tmp_path, terminal, **kwargs)


def committed(kiosk: Kiosk) -> tuple[list[str], int]:
    """What a second process sees on disk: journal states, outbox items."""
    conn = sqlite3.connect(kiosk.path)
    try:
        journal = [row[0] for row in conn.execute("SELECT state FROM payment_journal ORDER BY id")]
        items = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        conn.close()
    return journal, items


# A sale ---------------------------------------------------------------------------


def test_an_approved_payment_is_journalled_and_queued_for_the_portal_once(kiosk, simulator):
    stages = []
    attempt = kiosk.pay(1250, stages=stages)

    entry = attempt.entry
    assert entry.state == states.APPROVED and attempt.charged
    assert attempt.result.outcome is PaymentOutcome.APPROVED
    assert (entry.amount_cents, entry.currency) == (1250, "EUR")
    assert (entry.receipt_number, entry.trace) == (1, 1)
    assert (entry.masked_pan, entry.card_type, entry.terminal_id) == (
        MASKED_PAN,
        CARD_TYPE,
        TERMINAL_ID,
    )
    assert kiosk.journal.get(entry.reference) == entry
    assert kiosk.journal.receipt_lines(entry) == list(attempt.result.receipt_lines)
    assert kiosk.journal.order(entry) == BILL
    assert [state for _, state, _ in kiosk.journal.events(entry)] == [
        states.INTENT,
        states.SENT,
        states.APPROVED,
    ]
    assert stages[-1] is PaymentStage.APPROVED

    key = f"payment-{entry.reference}"
    items = kiosk.items()
    assert [(item.kind, item.idempotency_key) for item in items] == [(PAYMENT_KIND, key)]
    assert entry.outbox_key == attempt.outbox_key == key
    assert kiosk.outbox.payload(key) == {
        "bill_id": "bill-0001",
        "amount_cents": 1250,
        "currency": "EUR",
        "kiosk_reference": entry.reference,
        "terminal": {
            "receipt_number": "1",
            "masked_pan": MASKED_PAN,
            "card_type": CARD_TYPE,
            "trace": "1",
        },
    }
    order_key = kiosk.db.conn.execute("SELECT order_key FROM outbox").fetchone()[0]
    assert order_key == kiosk.cipher.pseudonym("bill:bill-0001")
    assert kiosk.journal.last_receipt(TERMINAL_ID) == 1
    assert not kiosk.desk.blocked_by_open_payment()
    assert simulator.end_of_day()["total_cents"] == 1250


def test_each_moment_of_a_sale_is_on_disk_before_the_next(tmp_path, simulator):
    seen = {}
    kiosk = Kiosk(tmp_path, simulator)
    kiosk.on_step = lambda name: seen.setdefault(name, committed(kiosk))
    try:
        kiosk.pay(1250)
    finally:
        kiosk.close()
    assert kiosk.steps == ["intent", "accepted", "result", "completed"]
    assert seen["intent"] == ([states.INTENT], 0)
    assert seen["accepted"] == ([states.SENT], 0)
    # The approval and the item that posts it land in one commit.
    assert seen["result"] == ([states.APPROVED], 1)


@pytest.mark.parametrize(
    "fault",
    [sqlite3.OperationalError("disk I/O error"), RuntimeError("disk full")],
    ids=["sqlite_error", "runtime_error"],
)
def test_an_approval_is_never_recorded_without_its_outbox_item(kiosk, simulator, fault):
    enqueue = kiosk.outbox.enqueue

    def broken_enqueue(*args, **kwargs):
        raise fault

    kiosk.outbox.enqueue = broken_enqueue
    raised = None
    try:
        kiosk.pay(1250)
    except (PaymentUnavailable, type(fault)) as error:
        raised = error  # a failing database may be reported loudly; see below

    assert simulator.last_transaction().receipt_number == 1  # the card was charged
    (entry,) = kiosk.journal.entries()
    assert entry.state != states.APPROVED and entry.outbox_key is None
    assert kiosk.items() == []
    # The kiosk does not know the outcome: the entry must stay open, never be closed
    # as not_charged, or the charge is lost for good.
    assert entry.open, f"the charged sale was closed as {entry.state} ({entry.reason})"
    assert kiosk.desk.blocked_by_open_payment()
    # PaymentUnavailable promises that nothing was charged.
    assert not isinstance(raised, PaymentUnavailable)

    # Once the database works again, recovery finds the charge and queues it, once.
    kiosk.outbox.enqueue = enqueue
    (recovered,) = kiosk.desk.recover()
    assert recovered.state == states.APPROVED and recovered.receipt_number == 1
    assert [item.idempotency_key for item in kiosk.items()] == [f"payment-{entry.reference}"]


def test_a_declined_payment_is_journalled_and_never_queued(kiosk, simulator):
    stages = []
    attempt = kiosk.pay(DECLINED_AMOUNT, stages=stages)
    assert attempt.entry.state == states.DECLINED and not attempt.charged
    assert attempt.entry.reason == "declined_by_issuer"
    assert attempt.outbox_key is None and attempt.entry.outbox_key is None
    assert kiosk.items() == []
    assert stages[-1] is PaymentStage.DECLINED
    assert not kiosk.desk.blocked_by_open_payment()
    assert simulator.end_of_day()["total_cents"] == 0


def test_a_cancelled_payment_is_aborted(kiosk, simulator):
    stages = []

    def on_stage(stage):
        stages.append(stage)
        if stage is PaymentStage.INSERT_CARD:
            simulator.cancel()  # the resident pressed Cancel

    attempt = kiosk.desk.pay(BILL, 1250, "EUR", on_stage)
    assert attempt.entry.state == states.ABORTED and not attempt.charged
    assert attempt.entry.reason == "customer_abort"
    assert kiosk.items() == []
    assert PaymentStage.APPROVED not in stages
    assert simulator.end_of_day() == {
        "terminal_id": TERMINAL_ID,
        "transactions": 0,
        "total_cents": 0,
    }


def test_a_terminal_that_is_offline_takes_no_payment(kiosk, simulator):
    simulator.stop()
    with pytest.raises(PaymentUnavailable, match="not connected"):
        kiosk.pay(1250)
    kiosk.terminal = None
    with pytest.raises(PaymentUnavailable, match="not connected"):
        kiosk.pay(1250)
    assert kiosk.journal.entries() == [] and kiosk.items() == []


def test_a_sale_the_terminal_never_received_is_not_charged(tmp_path):
    kiosk = kiosk_with(tmp_path, Unreachable(step_delay_s=0))
    try:
        with pytest.raises(PaymentUnavailable, match="offline"):
            kiosk.pay(1250)
        (entry,) = kiosk.journal.entries()
        assert entry.state == states.NOT_CHARGED and entry.reason == "not_started"
        assert kiosk.items() == [] and not kiosk.desk.blocked_by_open_payment()
    finally:
        kiosk.close()


# Lost outcomes ----------------------------------------------------------------------


def test_a_lost_outcome_of_a_booked_sale_is_recovered_as_approved(tmp_path):
    terminal = LosesTheAnswer(step_delay_s=0)
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        stages = []
        attempt = kiosk.pay(1250, stages=stages)
        entry = attempt.entry
        assert attempt.result.outcome is PaymentOutcome.UNKNOWN
        assert entry.state == states.APPROVED and attempt.charged
        assert entry.receipt_number == 1 and entry.masked_pan == MASKED_PAN
        assert [state for _, state, _ in kiosk.journal.events(entry)] == [
            states.INTENT,
            states.SENT,
            states.UNKNOWN,
            states.APPROVED,
        ]
        key = f"payment-{entry.reference}"
        assert [item.idempotency_key for item in kiosk.items()] == [key]
        assert attempt.outbox_key == key == entry.outbox_key
        assert kiosk.outbox.payload(key)["terminal"]["receipt_number"] == "1"
        assert kiosk.journal.receipt_lines(entry) == list(terminal.last_transaction().receipt_lines)
        assert stages[-1] is PaymentStage.APPROVED
        assert not kiosk.desk.blocked_by_open_payment()
    finally:
        kiosk.close()


def test_a_lost_outcome_with_nothing_booked_is_not_charged(tmp_path):
    kiosk = kiosk_with(tmp_path, DropsBeforeCharging(step_delay_s=0))
    try:
        stages = []
        attempt = kiosk.pay(1250, stages=stages)
        assert attempt.result.outcome is PaymentOutcome.UNKNOWN
        assert attempt.entry.state == states.NOT_CHARGED and not attempt.charged
        assert attempt.entry.outbox_key is None and kiosk.items() == []
        assert stages[-1] is PaymentStage.ABORTED
        assert not kiosk.desk.blocked_by_open_payment()
    finally:
        kiosk.close()


def test_a_lost_outcome_after_an_approved_sale_of_the_same_amount_is_not_charged(tmp_path):
    terminal = LosesTheAnswer(step_delay_s=0)
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        first = kiosk.pay(1250).entry
        assert first.state == states.APPROVED and first.receipt_number == 1
        # The next sale is lost before the terminal books anything: its last receipt
        # is still the first sale's, same amount, which is not this one's.
        terminal.books = False
        attempt = kiosk.pay(1250)
        assert attempt.entry.baseline_receipt == 1
        assert attempt.entry.state == states.NOT_CHARGED
        assert [item.idempotency_key for item in kiosk.items()] == [first.outbox_key]
    finally:
        kiosk.close()


def test_a_lost_decline_is_not_charged(tmp_path):
    terminal = LosesTheAnswer(step_delay_s=0, decline_amounts=frozenset({DECLINED_AMOUNT}))
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        attempt = kiosk.pay(DECLINED_AMOUNT)
        assert attempt.entry.state == states.NOT_CHARGED
        assert kiosk.items() == []
    finally:
        kiosk.close()


def test_the_baseline_is_learnt_on_the_first_sale(tmp_path):
    # The terminal sold something for the same amount before this kiosk ever used it.
    terminal = ScriptedTerminal(last=earlier_sale(41, 1250))
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        attempt = kiosk.pay(1250)
        assert terminal.sales == [attempt.entry.reference]
        assert attempt.entry.baseline_receipt == 41
        assert attempt.entry.state == states.NOT_CHARGED
        assert attempt.entry.receipt_number is None
        assert kiosk.items() == []
        assert not kiosk.journal.claimed(terminal.terminal_id, 41)
    finally:
        kiosk.close()


def test_a_terminal_with_no_history_gets_a_zero_baseline(tmp_path):
    terminal = ScriptedTerminal(last=None)
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        attempt = kiosk.pay(1250)
        assert attempt.entry.baseline_receipt == 0
        assert attempt.entry.state == states.NOT_CHARGED
        # A sale booked after the baseline, for this amount, is this kiosk's.
        terminal.last = earlier_sale(1, 990)
        assert kiosk.pay(990).entry.state == states.APPROVED
        assert len(kiosk.items()) == 1
    finally:
        kiosk.close()


def test_a_newer_receipt_for_another_amount_is_not_this_sale(tmp_path):
    # Someone used the terminal directly (a counter sale) while this sale was lost.
    terminal = ScriptedTerminal(last=None)
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        with kiosk.journal.transaction():
            kiosk.journal.saw_receipt(terminal.terminal_id, 0)
        terminal.last = earlier_sale(1, 990)
        attempt = kiosk.pay(1250)
        assert attempt.entry.state == states.NOT_CHARGED
        assert kiosk.items() == []
        assert kiosk.journal.last_receipt(terminal.terminal_id) == 1  # seen all the same
    finally:
        kiosk.close()


def test_a_lost_outcome_the_terminal_cannot_be_asked_about_stays_open(tmp_path):
    terminal = ScriptedTerminal(last=None)
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        with kiosk.journal.transaction():
            kiosk.journal.saw_receipt(terminal.terminal_id, 0)
        terminal.reachable = False
        attempt = kiosk.pay(1250)
        assert attempt.entry.state == states.UNKNOWN and attempt.entry.open
        assert not attempt.charged and kiosk.desk.blocked_by_open_payment()
        with pytest.raises(PaymentUnavailable, match="could not be asked"):
            kiosk.pay(1250)
        assert len(terminal.sales) == 1  # the second sale never reached the terminal
        assert len(kiosk.journal.entries()) == 1
    finally:
        kiosk.close()


# What an earlier run left open ------------------------------------------------------


def crash_at(moment):
    def step(name):
        if name == moment:
            raise KioskDied(name)

    return step


def test_an_open_entry_from_an_earlier_run_blocks_until_recover_resolves_it(kiosk, simulator):
    kiosk.on_step = crash_at("accepted")
    with pytest.raises(KioskDied):
        kiosk.pay(1250)
    kiosk.restart()
    (left,) = kiosk.journal.entries()
    assert left.state == states.SENT
    assert kiosk.desk.blocked_by_open_payment()

    (resolved,) = kiosk.desk.recover()
    assert resolved.reference == left.reference and resolved.state == states.NOT_CHARGED
    assert not kiosk.desk.blocked_by_open_payment()
    assert kiosk.desk.recover() == []
    assert kiosk.pay(1250).entry.state == states.APPROVED
    assert len(kiosk.items()) == 1


def test_an_open_entry_the_terminal_charged_is_recovered_as_approved(kiosk, simulator):
    kiosk.on_step = crash_at("accepted")
    with pytest.raises(KioskDied):
        kiosk.pay(1250)
    (left,) = kiosk.journal.entries()
    # The terminal went on with the sale while the kiosk was down.
    simulator.pay(1250, left.reference, ignore)
    kiosk.restart()

    (resolved,) = kiosk.desk.recover()
    assert resolved.state == states.APPROVED and resolved.receipt_number == 1
    assert [item.idempotency_key for item in kiosk.items()] == [f"payment-{left.reference}"]
    assert kiosk.desk.recover() == []
    assert len(kiosk.items()) == 1


def test_pay_resolves_an_open_entry_first(kiosk, simulator):
    kiosk.on_step = crash_at("accepted")
    with pytest.raises(KioskDied):
        kiosk.pay(1250)
    kiosk.restart()
    (left,) = kiosk.journal.entries()

    attempt = kiosk.pay(1250)
    assert kiosk.journal.get(left.reference).state == states.NOT_CHARGED
    assert attempt.entry.reference != left.reference
    assert attempt.entry.state == states.APPROVED
    assert [item.idempotency_key for item in kiosk.items()] == [attempt.outbox_key]
    assert kiosk.journal.counts()[states.APPROVED] == 1


def test_an_open_entry_blocks_payments_while_the_terminal_cannot_be_asked(tmp_path):
    terminal = ScriptedTerminal(last=None)
    kiosk = kiosk_with(tmp_path, terminal)
    try:
        with kiosk.journal.transaction():
            kiosk.journal.saw_receipt(terminal.terminal_id, 0)
            left = kiosk.journal.begin(BILL, 1250, "EUR", terminal.terminal_id)
            kiosk.journal.move(left, states.SENT)
        terminal.reachable = False

        with pytest.raises(PaymentUnavailable):
            kiosk.pay(1250)
        with pytest.raises(PaymentUnavailable):
            kiosk.desk.recover()
        assert terminal.sales == []
        assert [e.reference for e in kiosk.journal.entries()] == [left.reference]
        assert kiosk.journal.get(left.reference).open
        assert kiosk.desk.blocked_by_open_payment()

        terminal.reachable = True
        (resolved,) = kiosk.desk.recover()
        assert resolved.state == states.NOT_CHARGED
    finally:
        kiosk.close()


def test_a_receipt_already_claimed_is_never_attributed_twice(kiosk, simulator):
    # Two entries of the same amount were left open (say, a journal restored from an
    # older run); the terminal booked one sale after both their baselines.
    with kiosk.journal.transaction():
        kiosk.journal.saw_receipt(TERMINAL_ID, 0)
        first = kiosk.journal.begin(BILL, 1250, "EUR", TERMINAL_ID)
        second = kiosk.journal.begin({"bill_id": "bill-0002"}, 1250, "EUR", TERMINAL_ID)
        kiosk.journal.move(first, states.SENT)
        kiosk.journal.move(second, states.SENT)
    simulator.pay(1250, first.reference, ignore)

    resolved = {entry.reference: entry for entry in kiosk.desk.recover()}
    assert resolved[first.reference].state == states.APPROVED
    assert resolved[first.reference].receipt_number == 1
    assert resolved[second.reference].state == states.NOT_CHARGED
    assert resolved[second.reference].receipt_number is None
    assert [item.idempotency_key for item in kiosk.items()] == [f"payment-{first.reference}"]


# Reconciling with the portal ----------------------------------------------------------


def approved_sale(kiosk: Kiosk):
    entry = kiosk.pay(1250).entry
    assert entry.state == states.APPROVED
    return entry


def test_a_payment_the_portal_took_is_posted(kiosk):
    entry = approved_sale(kiosk)
    assert kiosk.desk.reconcile() == {}  # still pending: nothing to do
    assert kiosk.journal.get(entry.reference).state == states.APPROVED

    with kiosk.outbox.transaction():
        kiosk.outbox.record([Delivery(entry.outbox_key, "created", 201)])
    assert kiosk.desk.reconcile() == {"posted": 1}
    assert kiosk.journal.get(entry.reference).state == states.POSTED
    assert kiosk.desk.reconcile() == {}


def test_a_payment_for_a_bill_already_paid_is_reversed_on_the_terminal(kiosk, simulator):
    entry = approved_sale(kiosk)
    with kiosk.outbox.transaction():
        kiosk.outbox.record(
            [Delivery(entry.outbox_key, "rejected", 409, "bill_already_paid: paid at the desk")]
        )
    assert kiosk.outbox.find(entry.outbox_key).state == NEEDS_ATTENTION

    assert kiosk.desk.reconcile() == {"reversed": 1}
    reversed_entry = kiosk.journal.get(entry.reference)
    assert reversed_entry.state == states.REVERSED
    assert reversed_entry.reversal_receipt == 2
    assert kiosk.journal.claimed(TERMINAL_ID, 2)
    assert [state for _, state, _ in kiosk.journal.events(entry)][-2:] == [
        states.REVERSING,
        states.REVERSED,
    ]
    assert kiosk.desk.reconcile() == {}  # never reversed twice
    assert simulator.end_of_day()["total_cents"] == 0
    assert kiosk.alerts.active() == []


def test_a_refused_reversal_needs_a_refund_and_raises_an_alert(tmp_path):
    kiosk = kiosk_with(tmp_path, RefusesReversals(step_delay_s=0))
    try:
        entry = approved_sale(kiosk)
        with kiosk.outbox.transaction():
            kiosk.outbox.record(
                [Delivery(entry.outbox_key, "rejected", 409, "bill_already_paid: paid")]
            )
        assert kiosk.desk.reconcile() == {"refund_needed": 1}
        flagged = kiosk.journal.get(entry.reference)
        assert flagged.state == states.REFUND_NEEDED and flagged.reason == "batch_closed"
        assert [(alert.kind, alert.detail) for alert in kiosk.alerts.active()] == [
            (REFUND_NEEDED_ALERT, f"payment {entry.reference}")
        ]
        assert kiosk.desk.reconcile() == {}
        assert len(kiosk.alerts.active()) == 1
    finally:
        kiosk.close()


def test_a_reversal_the_terminal_cannot_do_now_is_tried_again(kiosk, simulator):
    entry = approved_sale(kiosk)
    with kiosk.outbox.transaction():
        kiosk.outbox.record([Delivery(entry.outbox_key, "rejected", 409, "bill_not_found: x")])
    kiosk.terminal = None
    assert kiosk.desk.reconcile() == {"pending": 1}
    assert kiosk.journal.get(entry.reference).state == states.REVERSING
    kiosk.terminal = simulator
    assert kiosk.desk.reconcile() == {"reversed": 1}
    assert kiosk.journal.get(entry.reference).state == states.REVERSED


def test_a_payment_the_portal_rejected_for_another_reason_is_left_approved(kiosk, simulator):
    entry = approved_sale(kiosk)
    with kiosk.outbox.transaction():
        kiosk.outbox.record(
            [Delivery(entry.outbox_key, "rejected", 422, "validation_error: bad trace")]
        )
    assert kiosk.desk.reconcile() == {}
    assert kiosk.journal.get(entry.reference).state == states.APPROVED
    assert simulator.end_of_day()["total_cents"] == 1250  # not reversed
    assert kiosk.alerts.active() == []


def test_a_reversal_interrupted_by_a_restart_is_finished_by_recover(kiosk, simulator):
    entry = approved_sale(kiosk)
    with kiosk.journal.transaction():
        kiosk.journal.move(entry, states.REVERSING)
    kiosk.restart()
    assert kiosk.desk.blocked_by_open_payment()

    (resolved,) = kiosk.desk.recover()
    assert resolved.state == states.REVERSED and resolved.reversal_receipt == 2
    assert not kiosk.desk.blocked_by_open_payment()
    assert simulator.end_of_day()["total_cents"] == 0


def test_a_reversal_the_terminal_already_did_is_recorded_as_reversed(kiosk, simulator):
    entry = approved_sale(kiosk)
    with kiosk.journal.transaction():
        kiosk.journal.move(entry, states.REVERSING)
    # The terminal reversed it; the kiosk died before writing that down.
    done = simulator.reverse(entry.receipt_number, entry.amount_cents, entry.reference)
    assert done.receipt_number == 2
    kiosk.restart()

    (resolved,) = kiosk.desk.recover()
    assert resolved.state == states.REVERSED
    # The reversal's receipt was never seen: the newest receipt is learnt again.
    assert kiosk.journal.last_receipt(TERMINAL_ID) == 2
    assert simulator.end_of_day()["total_cents"] == 0


def test_pay_finishes_an_interrupted_reversal_first(kiosk, simulator):
    entry = approved_sale(kiosk)
    with kiosk.journal.transaction():
        kiosk.journal.move(entry, states.REVERSING)
    attempt = kiosk.pay(990)
    assert kiosk.journal.get(entry.reference).state == states.REVERSED
    assert attempt.entry.state == states.APPROVED and attempt.entry.receipt_number == 3


# One at a time ------------------------------------------------------------------------


def test_only_one_payment_at_a_time(kiosk, simulator):
    refused: list[BaseException] = []
    second_started = threading.Event()

    def try_a_second_payment():
        second_started.set()
        try:
            kiosk.desk.pay({"bill_id": "bill-0002"}, 990, "EUR", ignore)
        except BaseException as error:  # noqa: BLE001 - recorded, asserted below
            refused.append(error)

    def on_stage(stage):
        if stage is PaymentStage.PLEASE_WAIT:  # the first sale is at the bank
            other = threading.Thread(target=try_a_second_payment)
            other.start()
            other.join(timeout=30)

    attempt = kiosk.desk.pay(BILL, 1250, "EUR", on_stage)
    assert second_started.is_set()
    assert len(refused) == 1 and isinstance(refused[0], PaymentUnavailable)
    assert "in progress" in str(refused[0])
    assert attempt.entry.state == states.APPROVED
    assert len(kiosk.journal.entries()) == 1 and len(kiosk.items()) == 1
    assert simulator.end_of_day()["transactions"] == 1

    # Once it is over, the next payment goes ahead.
    assert kiosk.pay(990).entry.state == states.APPROVED


# A basket ------------------------------------------------------------------------------

BASKET = {
    "lines": [
        {"kind": "bill", "id": "bill-0001", "number": "W-1001", "amount_cents": 1000},
        {"kind": "bill", "id": "bill-0002", "number": "P-2001", "amount_cents": 250},
    ]
}


def test_a_basket_is_sealed_in_the_journal_and_posted_as_allocations(kiosk):
    attempt = kiosk.pay(1250, order=BASKET)

    entry = attempt.entry
    assert entry.state == states.APPROVED
    assert kiosk.journal.order(entry) == BASKET
    payload = kiosk.outbox.payload(entry.outbox_key)
    assert "bill_id" not in payload and payload["amount_cents"] == 1250
    assert payload["allocations"] == [
        {"kind": "bill", "id": "bill-0001", "amount_cents": 1000},
        {"kind": "bill", "id": "bill-0002", "amount_cents": 250},
    ]
    order_key = kiosk.db.conn.execute("SELECT order_key FROM outbox").fetchone()[0]
    assert order_key == kiosk.cipher.pseudonym("bill:bill-0001")


def test_a_basket_whose_lines_do_not_add_up_never_reaches_the_terminal(kiosk, simulator):
    with pytest.raises(ValueError):
        kiosk.pay(1300, order=BASKET)
    assert kiosk.journal.entries() == []
    assert simulator.end_of_day()["transactions"] == 0


def test_a_lost_outcome_of_a_basket_is_recovered_with_its_allocations(tmp_path):
    kiosk = kiosk_with(tmp_path, LosesTheAnswer(step_delay_s=0))
    try:
        attempt = kiosk.pay(1250, order=BASKET)
        assert attempt.entry.state == states.APPROVED
        payload = kiosk.outbox.payload(attempt.entry.outbox_key)
        assert [line["id"] for line in payload["allocations"]] == ["bill-0001", "bill-0002"]
    finally:
        kiosk.close()

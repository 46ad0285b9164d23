"""Paying bills in the model, against the real reference portal on loopback, a real
kiosk database (cache, outbox, journal) and the in-process terminal simulator: find,
basket, part payments, the balance read again before paying, the offline limits, and
what the resident is told when the city refuses a payment after the fact."""

from __future__ import annotations

import datetime
import os
import queue
import threading
import uuid

import pytest

from drivers.card.interface import CardRemoved
from drivers.payment.interface import PaymentOutcome, PaymentResult, PaymentStage
from drivers.payment.simulator import SimulatedTerminal
from kiosk.config import load_config
from kiosk.flows.pay_bill import PAY_AMOUNT
from kiosk.identity import ResidentIdentity, identity_hash
from kiosk.model import CONFIRMATION, HOME, KioskModel, run_in_thread
from kiosk.payment_flow import PAY_BILL, PAY_CONFIRM, PAY_OUTCOME, PAYING, OrderLine
from kiosk.payments import PaymentDesk
from kiosk.portal_client import PortalClient
from kiosk.speech import SilentSpeaker
from offline import payment_journal as journal_states
from offline.alerts import Alerts
from offline.cache import Cache
from offline.crypto import PayloadCipher
from offline.db import open_database
from offline.outbox import Outbox
from offline.payment_journal import PaymentJournal
from offline.sync import SyncSettings, SyncWorker

DECLINED = 666
NOTHING_CHARGED = "Nothing was charged."


class Kiosk:
    def __init__(self, tmp_path, portal, clock, **config_values):
        self.portal = portal
        self.db = open_database(tmp_path / "kiosk.db")
        cipher = PayloadCipher(os.urandom(32))
        self.cache = Cache(self.db, cipher)
        self.outbox = Outbox(self.db, cipher)
        self.journal = PaymentJournal(self.db, cipher)
        self.terminal = SimulatedTerminal(step_delay_s=0, decline_amounts=frozenset({DECLINED}))
        self.terminal.start()
        self.client = PortalClient(portal.url, portal.token, retries=0, read_timeout_s=5)
        self.desk = PaymentDesk(
            self.journal,
            self.outbox,
            lambda: self.terminal,
            alerts=Alerts(self.db),
            on_settled=lambda reference, state: self.model.payment_settled(reference, state),
        )
        config = load_config(None, demo=True)
        if config_values:
            config = config.with_values(**config_values)
        self.model = KioskModel(
            config,
            portal=self.client,
            speaker=SilentSpeaker(),
            cache=self.cache,
            outbox=self.outbox,
            alerts=Alerts(self.db),
            payment_desk=self.desk,
            clock=clock,
        )
        self.model.load_catalogue()
        self.model.start_session()
        self.flow = self.model.flows["pay_bill"]
        self.sync = SyncWorker(lambda: self.outbox, self.client, SyncSettings())

    def bill(self, amount_cents: int, *, partial: bool = True, account: str | None = None):
        digits = str(uuid.uuid4().int)[:9]
        return self.portal.store.add_bill(
            bill_id=f"core-{digits}",
            number=f"C-{digits}",
            account=account or f"8{digits}",
            kind="water" if partial else "parking",
            description={"en": f"Core bill {digits}", "es": f"Factura {digits}"},
            amount_due_cents=amount_cents,
            due_date="2026-12-20",
            allows_partial=partial,
        )

    def find(self, bill) -> None:
        self.flow.type_number(bill["number"])
        self.flow.find_bills()
        assert self.flow.search.state == "found", self.flow.status_text()

    def balance(self, bill) -> int:
        return self.portal.store.bill(bill["id"])["amount_due_cents"]

    def deliver(self) -> None:
        self.sync.run_once()
        self.model.sync_status_changed(self.sync.status)

    def go_offline(self) -> None:
        # Nothing listens there: the portal "cannot be reached", as with a cut cable.
        self.model.portal = PortalClient("http://127.0.0.1:9", "x", retries=0, connect_timeout_s=1)

    def close(self) -> None:
        self.client.close()
        self.db.close()


@pytest.fixture
def kiosk(tmp_path, portal, clock):
    kiosk = Kiosk(tmp_path, portal, clock)
    yield kiosk
    kiosk.close()


def heading_and_status(model) -> tuple[str, str]:
    heading, status, _reference = model.confirmation_lines()
    return heading, status


# Finding bills --------------------------------------------------------------------


def test_a_resident_identified_by_card_sees_their_open_bills_at_once(kiosk, portal):
    account = f"7{uuid.uuid4().int % 10**8}"
    portal.store.add_account(account, "Ada Card")
    card_id = uuid.uuid4().hex
    portal.store.link_identity("uid", identity_hash("demo-salt", "uid", card_id), account)
    water = kiosk.bill(4_000, account=account)
    kiosk.bill(0, account=account)  # paid already: not offered
    kiosk.model.session.identity = ResidentIdentity(
        "uid", identity_hash("demo-salt", "uid", card_id)
    )

    kiosk.model.open_service("pay_bill")

    assert kiosk.model.screen == PAY_BILL
    assert [bill["id"] for bill in kiosk.flow.search.bills] == [water["id"]]
    assert not kiosk.flow.entering_number  # the bills, not the keypad
    assert "We found 1 bill." in kiosk.model.describe()


def test_digits_typed_on_the_keypad_find_a_bill_and_the_lookup_is_cached(kiosk):
    bill = kiosk.bill(2_500)
    kiosk.model.open_service("pay_bill")
    digits = bill["number"].split("-")[1]

    kiosk.flow.type_number(digits)
    kiosk.flow.find_bills()

    assert [found["id"] for found in kiosk.flow.search.bills] == [bill["id"]]
    cached = kiosk.cache.get(f"bill:{bill['id']}")
    assert cached is not None and cached.value["amount_due_cents"] == 2_500
    assert kiosk.cache.get(f"bills:number:{digits}").value[0]["id"] == bill["id"]


def test_a_number_with_no_bill_says_so(kiosk):
    kiosk.model.open_service("pay_bill")
    kiosk.flow.type_number("000000000000")
    kiosk.flow.find_bills()
    assert kiosk.flow.search.state == "none"
    assert "We found no bill to pay with this number." in kiosk.flow.status_text()


# The basket -------------------------------------------------------------------------


def test_two_bills_one_in_part_are_paid_in_one_sale_and_posted_line_by_line(kiosk):
    water, fine = kiosk.bill(4_000, partial=True), kiosk.bill(900, partial=False)
    kiosk.model.open_service("pay_bill")
    kiosk.find(water)
    kiosk.flow.toggle_bill(water["id"])
    kiosk.find(fine)  # a second search keeps the basket
    kiosk.flow.toggle_bill(fine["id"])
    assert [bill["id"] for bill in kiosk.flow.shown_bills()] == [fine["id"], water["id"]]

    kiosk.flow.edit_amount(water["id"])
    assert kiosk.model.screen == PAY_AMOUNT and kiosk.flow.amount_text == "40.00"
    kiosk.flow.type_amount("15,50")
    kiosk.flow.confirm_amount()
    assert kiosk.model.screen == PAY_BILL
    assert kiosk.flow.basket == {water["id"]: 1_550, fine["id"]: 900}
    assert kiosk.flow.basket_text() == "2 bills to pay: $24.50"

    kiosk.flow.checkout()
    assert kiosk.model.screen == PAY_CONFIRM
    spoken = kiosk.model.describe()
    assert "$15.50" in spoken and "$9.00" in spoken and "Total: $24.50." in spoken
    kiosk.model.start_payment()

    assert kiosk.model.screen == CONFIRMATION
    assert heading_and_status(kiosk.model)[0] == "Thank you. You paid $24.50."
    (entry,) = kiosk.journal.entries()
    assert entry.state == journal_states.APPROVED and entry.amount_cents == 2_450
    assert [(line["id"], line["amount_cents"]) for line in kiosk.journal.order(entry)["lines"]] == [
        (water["id"], 1_550),
        (fine["id"], 900),
    ]
    payload = kiosk.outbox.payload(entry.outbox_key)
    assert payload["amount_cents"] == 2_450 and "bill_id" not in payload
    assert payload["allocations"] == [
        {"kind": "bill", "id": water["id"], "amount_cents": 1_550},
        {"kind": "bill", "id": fine["id"], "amount_cents": 900},
    ]
    assert kiosk.flow.basket == {} and kiosk.flow.search.state == ""

    kiosk.deliver()
    assert (kiosk.balance(water), kiosk.balance(fine)) == (2_450, 0)
    assert kiosk.model.submission_state == "sent"
    kiosk.desk.maintain()
    assert kiosk.journal.get(entry.reference).state == journal_states.POSTED
    assert kiosk.model.payment_settlement == journal_states.POSTED
    assert heading_and_status(kiosk.model) == (
        "Thank you. You paid $24.50.",
        "It has reached the city.",
    )


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("40.01", "You can pay at most $40.00 on this bill."),
        ("0", "The amount must be more than 0."),
        ("0.00", "The amount must be more than 0."),
        ("1.234", "Please type an amount such as 12.50."),
        ("1.2.3", "Please type an amount such as 12.50."),
        ("", "Please type an amount such as 12.50."),
    ],
)
def test_a_part_payment_is_checked_and_the_problem_said_beside_the_field(kiosk, typed, error):
    bill = kiosk.bill(4_000)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])
    kiosk.flow.edit_amount(bill["id"])

    kiosk.flow.type_amount(typed)
    kiosk.flow.confirm_amount()

    assert kiosk.model.screen == PAY_AMOUNT
    assert kiosk.flow.amount_error_text() == error
    assert error in kiosk.model.describe()
    assert kiosk.flow.basket == {bill["id"]: 4_000}  # unchanged
    kiosk.model.choose_language("es")
    assert kiosk.flow.amount_text == typed  # what was typed survives the switch
    assert kiosk.flow.amount_error is not None


def test_a_bill_paid_in_full_only_offers_no_part_payment(kiosk):
    fine = kiosk.bill(3_500, partial=False)
    kiosk.model.open_service("pay_bill")
    kiosk.find(fine)
    kiosk.flow.toggle_bill(fine["id"])
    kiosk.flow.edit_amount(fine["id"])
    assert kiosk.model.screen == PAY_BILL and kiosk.flow.basket == {fine["id"]: 3_500}


def test_back_on_confirm_returns_to_the_bills_without_searching_again(kiosk):
    bill = kiosk.bill(1_200)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])
    kiosk.flow.checkout()
    assert kiosk.model.screen == PAY_CONFIRM
    search = kiosk.flow.search
    kiosk.go_offline()  # a new search now would fail

    kiosk.model.payment_back()

    assert kiosk.model.screen == PAY_BILL
    assert kiosk.flow.search is search and not kiosk.flow.entering_number
    assert kiosk.flow.basket == {bill["id"]: 1_200}


def test_cancel_on_confirm_forgets_the_basket(kiosk):
    bill = kiosk.bill(1_200)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])
    kiosk.flow.checkout()

    kiosk.model.cancel_service()

    assert kiosk.model.screen == HOME
    assert kiosk.flow.basket == {} and kiosk.model.payment_order is None
    assert kiosk.journal.entries() == []


def test_taking_the_card_out_wipes_the_basket(kiosk):
    bill = kiosk.bill(1_200)
    kiosk.model.session.identity = ResidentIdentity("uid", "ab" * 32)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])

    kiosk.model.card_event(CardRemoved("test reader"))

    assert kiosk.model.screen == "attract"
    assert kiosk.flow.basket == {} and kiosk.flow.number == ""


# Fresh balances and offline limits ---------------------------------------------------


def test_a_balance_changed_elsewhere_is_read_before_paying_and_nothing_is_charged(kiosk):
    water, fine = kiosk.bill(4_000), kiosk.bill(900, partial=False)
    kiosk.model.open_service("pay_bill")
    kiosk.find(water)
    kiosk.flow.toggle_bill(water["id"])
    kiosk.find(fine)
    kiosk.flow.toggle_bill(fine["id"])
    # Paid at the front desk meanwhile: part of one, all of the other.
    with kiosk.portal.store.transaction() as conn:
        conn.execute("UPDATE bills SET amount_due_cents = 1000 WHERE id = ?", (water["id"],))
        conn.execute(
            "UPDATE bills SET amount_due_cents = 0, status = 'paid' WHERE id = ?", (fine["id"],)
        )

    kiosk.flow.checkout()

    assert kiosk.model.screen == PAY_BILL
    status = kiosk.flow.status_text()
    assert water["number"] in status and fine["number"] in status
    assert NOTHING_CHARGED in status
    assert kiosk.flow.basket == {water["id"]: 1_000}
    assert kiosk.journal.entries() == [] and kiosk.outbox.summaries() == []


def test_offline_a_recent_lookup_may_be_paid_up_to_the_cap_per_visit(kiosk):
    first, second = kiosk.bill(6_000), kiosk.bill(5_000)
    kiosk.model.open_service("pay_bill")
    kiosk.find(first)
    kiosk.find(second)
    kiosk.flow.toggle_bill(second["id"])
    kiosk.find(first)
    kiosk.flow.toggle_bill(first["id"])
    kiosk.go_offline()

    kiosk.flow.checkout()  # $110.00 is over the demo's $100.00 a visit
    assert kiosk.model.screen == PAY_BILL
    assert "at most $100.00 per visit ($100.00 more for you now)" in kiosk.flow.status_text()
    assert NOTHING_CHARGED in kiosk.flow.status_text()

    kiosk.flow.toggle_bill(second["id"])
    kiosk.flow.checkout()
    assert kiosk.model.screen == PAY_CONFIRM
    assert "as soon as the connection returns" in kiosk.model.order_note_text()
    kiosk.model.start_payment()
    assert kiosk.model.screen == CONFIRMATION
    assert heading_and_status(kiosk.model)[0] == "Thank you. You paid $60.00."

    kiosk.model.go_home()
    kiosk.model.open_service("pay_bill")
    kiosk.find(second)  # offline: the cached lookup
    assert "these balances were looked up" in kiosk.flow.status_text()
    kiosk.flow.toggle_bill(second["id"])
    kiosk.flow.checkout()
    assert "($40.00 more for you now)" in kiosk.flow.status_text()
    assert len(kiosk.journal.entries()) == 1


def test_offline_a_lookup_older_than_the_limit_is_not_paid(kiosk):
    bill = kiosk.bill(2_000)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=25)
    with kiosk.db.conn:
        kiosk.db.conn.execute(
            "UPDATE cache SET fetched_at = ? WHERE name = ?",
            (long_ago.isoformat(), kiosk.cache._row_name(f"bill:{bill['id']}")),
        )
    kiosk.go_offline()

    kiosk.flow.checkout()

    status = kiosk.flow.status_text()
    assert f"bill {bill['number']} was not looked up in the last 24 hours" in status
    assert NOTHING_CHARGED in status
    assert kiosk.model.screen == PAY_BILL and kiosk.journal.entries() == []


def test_a_kiosk_without_offline_payments_refuses_them(tmp_path, portal, clock):
    kiosk = Kiosk(tmp_path, portal, clock, payments__offline_max_bill_age_h=0)
    try:
        bill = kiosk.bill(2_000)
        kiosk.model.open_service("pay_bill")
        kiosk.find(bill)
        kiosk.flow.toggle_bill(bill["id"])
        kiosk.go_offline()
        kiosk.flow.checkout()
        assert "takes payments only when it can check your balance" in kiosk.flow.status_text()
        assert kiosk.journal.entries() == []
    finally:
        kiosk.close()


# After paying ---------------------------------------------------------------------------


def test_a_payment_the_city_refuses_is_reversed_and_the_resident_told(kiosk):
    bill = kiosk.bill(3_000, partial=False)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])
    kiosk.flow.checkout()
    kiosk.model.start_payment()
    assert kiosk.model.screen == CONFIRMATION
    # Paid elsewhere between the check and the delivery.
    with kiosk.portal.store.transaction() as conn:
        conn.execute(
            "UPDATE bills SET amount_due_cents = 0, status = 'paid' WHERE id = ?", (bill["id"],)
        )

    kiosk.deliver()
    heading, status = heading_and_status(kiosk.model)
    assert heading == "We are refunding your payment"
    assert "a bill in it had already been paid" in status
    assert "We are refunding $30.00 to your card." in status

    kiosk.desk.maintain()
    (entry,) = kiosk.journal.entries()
    assert entry.state == journal_states.REVERSED
    heading, status = heading_and_status(kiosk.model)
    assert heading == "Your payment was refunded"
    assert "We refunded $30.00 to your card: you were not charged." in status
    assert kiosk.terminal.end_of_day()["total_cents"] == 0


def test_a_declined_card_goes_to_the_outcome_and_may_be_tried_again(kiosk):
    bill = kiosk.bill(DECLINED, partial=False)
    kiosk.model.open_service("pay_bill")
    kiosk.find(bill)
    kiosk.flow.toggle_bill(bill["id"])
    kiosk.flow.checkout()
    kiosk.model.start_payment()

    assert kiosk.model.screen == PAY_OUTCOME
    assert "Your bank did not approve this payment." in kiosk.model.payment_outcome_text()
    assert kiosk.model.can_retry_payment()
    kiosk.model.retry_payment()
    assert len(kiosk.journal.entries(journal_states.DECLINED)) == 2
    assert kiosk.flow.basket == {bill["id"]: DECLINED}  # still there to pay otherwise


def test_any_flow_can_take_a_payment_with_start_order_payment(kiosk):
    bill = kiosk.bill(750, partial=False)
    paid, went_back = [], []
    line = OrderLine("bill", bill["id"], bill["number"], "A fee", 750)

    kiosk.model.start_order_payment(
        [line],
        lambda order: paid.append(order) or [("Application", "A-17")],
        service="Permits and licences",
        on_back=lambda: went_back.append(True),
    )
    kiosk.model.payment_back()
    assert went_back == [True]
    kiosk.model.start_order_payment([line], lambda order: paid.append(order) or None)
    kiosk.model.start_payment()

    assert kiosk.model.screen == CONFIRMATION
    (order,) = paid
    assert order.reference == kiosk.model.last_submission.reference
    assert order.item.idempotency_key == f"payment-{order.reference}"
    with pytest.raises(ValueError):
        kiosk.model.start_order_payment([], lambda order: None)


def test_a_flow_may_take_the_resident_back_when_nothing_was_charged(kiosk):
    bill = kiosk.bill(DECLINED, partial=False)
    line = OrderLine("bill", bill["id"], bill["number"], "A fee", DECLINED)
    not_paid, paid = [], []

    def back_to_the_flow():
        not_paid.append(kiosk.model.payment_attempt.entry.state)
        kiosk.model._go("permit_review")

    kiosk.model.start_order_payment([line], paid.append, on_not_paid=back_to_the_flow)
    kiosk.model.start_payment()
    assert not_paid == [journal_states.DECLINED] and paid == []
    assert kiosk.model.screen == "permit_review"

    # Charged: the hook is not asked, the receipt follows as usual.
    good = kiosk.bill(750, partial=False)
    line = OrderLine("bill", good["id"], good["number"], "A fee", 750)
    kiosk.model.start_order_payment(
        [line], lambda order: paid.append(order) or None, on_not_paid=back_to_the_flow
    )
    kiosk.model.start_payment()
    assert kiosk.model.screen == CONFIRMATION and len(paid) == 1 and len(not_paid) == 1
    with pytest.raises(ValueError):
        kiosk.desk.pay({"lines": [{"kind": "bill", "id": "x", "amount_cents": 5}]}, 6, "USD", print)


class TerminalStillGettingReady(SimulatedTerminal):
    """A terminal that takes the sale only once ``ready`` is set, as a real one does
    after registering: a cancel before then finds no sale to stop."""

    def __init__(self):
        super().__init__(step_delay_s=1.0)
        self.ready = threading.Event()

    def pay(self, *args, **kwargs):
        self.ready.wait(timeout=30)
        return super().pay(*args, **kwargs)


class ThreadedKiosk:
    """A model whose payments run on a worker thread, as in the app: ``run_ui`` plays
    Kivy's Clock, running what the workers hand back until the sale has ended."""

    def __init__(self, tmp_path, clock, terminal):
        self.ui_thread: queue.Queue = queue.Queue()
        self.db = open_database(tmp_path / "kiosk.db")
        # As in kiosk.runtime: the desk, on worker threads, has a connection of its own.
        self.payment_db = open_database(tmp_path / "kiosk.db", shared=True)
        cipher = PayloadCipher(os.urandom(32))
        self.journal = PaymentJournal(self.payment_db, cipher)
        terminal.start()
        desk = PaymentDesk(
            self.journal,
            Outbox(self.payment_db, cipher),
            lambda: terminal,
            alerts=Alerts(self.payment_db),
        )
        self.model = KioskModel(
            load_config(None, demo=True),
            speaker=SilentSpeaker(),
            cache=Cache(self.db, cipher),
            outbox=Outbox(self.db, cipher),
            alerts=Alerts(self.db),
            payment_desk=desk,
            clock=clock,
            background=run_in_thread(self.ui_thread.put),
            call_soon=self.ui_thread.put,
        )
        self.model.start_session()

    def pay(self, amount_cents: int) -> None:
        line = OrderLine("bill", "b-1", "B-1", "A fee", amount_cents)
        self.model.start_order_payment([line], lambda order: None)
        self.model.start_payment()

    def run_ui_until_paid(self) -> None:
        while self.model.screen == PAYING:
            self.ui_thread.get(timeout=30)()

    def close(self) -> None:
        self.payment_db.close()
        self.db.close()


@pytest.fixture
def threaded_kiosk(tmp_path, clock):
    kiosks: list[ThreadedKiosk] = []

    def make(terminal) -> ThreadedKiosk:
        kiosks.append(ThreadedKiosk(tmp_path, clock, terminal))
        return kiosks[-1]

    yield make
    for kiosk in kiosks:
        kiosk.close()


def test_a_cancel_while_the_terminal_is_getting_ready_still_stops_the_sale(threaded_kiosk):
    terminal = TerminalStillGettingReady()
    kiosk = threaded_kiosk(terminal)
    model = kiosk.model
    kiosk.pay(1_500)
    assert model.payment_stage_text() == "Getting the card terminal ready…"

    assert model.can_cancel_payment()
    model.cancel_payment()  # the terminal has no sale yet: this cancel alone is lost
    assert model.payment_stage_text() == "Cancelling…"
    terminal.ready.set()
    kiosk.run_ui_until_paid()

    assert model.screen == PAY_OUTCOME
    assert model.payment_outcome_title() == "Payment cancelled"
    (entry,) = kiosk.journal.entries()
    assert entry.state == journal_states.ABORTED
    assert terminal.end_of_day()["total_cents"] == 0


class TerminalFinishingSomethingElse(SimulatedTerminal):
    """Says "please wait" (TERMINAL_BUSY) before taking the sale, and waits until it
    is free or the kiosk cancels, as the ZVT driver does on 84 9C."""

    def __init__(self):
        super().__init__(step_delay_s=0.05)
        self.free = threading.Event()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()
        super().cancel()

    def pay(self, amount_cents, reference, on_stage, on_checkpoint=None):
        on_stage(PaymentStage.TERMINAL_BUSY)
        while not self.free.wait(0.01):
            if self.cancelled.is_set():
                on_stage(PaymentStage.ABORTED)
                return PaymentResult(
                    PaymentOutcome.ABORTED, amount_cents, reference, reason="customer_abort"
                )
        return super().pay(amount_cents, reference, on_stage, on_checkpoint)


def test_the_resident_can_cancel_while_the_terminal_says_please_wait(threaded_kiosk):
    terminal = TerminalFinishingSomethingElse()
    kiosk = threaded_kiosk(terminal)
    model = kiosk.model
    kiosk.pay(2_000)
    while model.payment_stage is not PaymentStage.TERMINAL_BUSY:
        kiosk.ui_thread.get(timeout=30)()

    assert model.payment_stage_text() == "Getting the card terminal ready…"
    assert model.can_cancel_payment()
    model.cancel_payment()
    kiosk.run_ui_until_paid()

    assert terminal.cancelled.is_set()
    assert model.payment_outcome_title() == "Payment cancelled"
    (entry,) = kiosk.journal.entries()
    assert entry.state == journal_states.ABORTED
    assert terminal.end_of_day()["total_cents"] == 0

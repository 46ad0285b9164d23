"""Paying bills as a resident does it: find them (keypad, scanner, card), fill a
basket, pay part of a bill, confirm, follow the card terminal (the demo kiosk's ZVT
simulator, through the real ZVT driver), and read what became of the money; and
when it cannot be paid: a declined card, the city's service out of reach beyond the
offline limits, a bill paid elsewhere meanwhile, the card taken out."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import uuid

import pytest
from kivy.core.window import Window

from offline import payment_journal as journal_states
from portal.server import start_portal

INSERT = "Insert, tap or swipe your card on the card terminal."
PIN = "Enter your PIN on the card terminal, then press the green key."
BANK = "Asking your bank… This can take up to a minute."
DECLINED = "Your bank did not approve this payment. You were not charged. You can try another card."
CANCELLED = "The payment was cancelled. You were not charged."
INSERT_ES = "Inserte, acerque o deslice su tarjeta en el terminal de pago."
NOTHING_CHARGED = "Nothing was charged."
# Four steps of the simulator at 0.8 s each, plus connecting: generous, never a measure.
PAYMENT_WAIT_S = 60


@pytest.fixture
def paying_kiosk(kiosk):
    """The kiosk, and after the test a terminal left idle: a sale still running
    would make the next test's payment find the terminal busy."""
    yield kiosk
    terminal = kiosk.model.payment_desk.terminal()
    kiosk.wait_until(
        lambda: terminal is None or terminal.status() != "busy",
        "the card terminal to finish",
        PAYMENT_WAIT_S,
    )
    kiosk.model.end_session("test done")
    kiosk.pump()


@pytest.fixture
def waiting_terminal(paying_kiosk):
    """The demo terminal, waiting at "insert your card" until the test lets it go on,
    as a real one waits for a resident who has not put a card in yet. Offscreen
    rendering can hold the UI thread for seconds; a resident's Cancel tap must not
    race the simulator's clock."""
    simulator = paying_kiosk.model.demo_terminal
    go_on = threading.Event()
    steps = itertools.count()

    def pause() -> None:
        if next(steps) == 1:  # the terminal has just asked for the card
            go_on.wait(PAYMENT_WAIT_S)
        time.sleep(simulator.settings.step_delay_s)

    simulator._pause = pause
    paying_kiosk.let_terminal_go_on = go_on.set
    yield paying_kiosk
    go_on.set()
    del simulator._pause


def add_bill(kiosk, amount_cents: int, *, partial: bool = False) -> dict:
    """A bill of its own for one test, so tests do not depend on each other's payments.
    Its digits alone find it on the keypad."""
    digits = str(uuid.uuid4().int)[:8]
    return kiosk.runtime.demo_portal.store.add_bill(
        bill_id=f"bill-test-{digits}",
        number=f"T-{digits}",
        account=f"9{digits}",
        kind="water" if partial else "parking",
        description={"en": f"Test bill {digits}", "es": f"Factura de prueba {digits}"},
        amount_due_cents=amount_cents,
        due_date="2026-12-20",
        allows_partial=partial,
    )


def flow(kiosk):
    return kiosk.model.flows["pay_bill"]


def open_pay_bill(kiosk) -> None:
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")
    assert kiosk.screen == "pay_bill"


def number_field(kiosk):
    return kiosk.app.screen("pay_bill").ids.number


def scan(text: str) -> None:
    """What a USB barcode scanner does: keystrokes into whatever has the focus, then Enter."""
    for character in text:
        Window.dispatch("on_textinput", character)
    Window.dispatch("on_key_down", 13, 40, "\r", [])
    Window.dispatch("on_key_up", 13, 40)


def find_by_scan(kiosk, bill: dict) -> None:
    """On pay_bill: scan the paper bill, and wait for it to be shown."""
    scan(bill["number"])
    kiosk.pump()
    kiosk.wait_until(lambda: visible(kiosk, f"basket:{bill['id']}"), "the scanned bill")


def add_to_basket(kiosk, bill_id: str) -> None:
    # A tap in a scrolling list is a click only once the list is sure it was not a swipe.
    kiosk.tap_action(f"basket:{bill_id}")
    kiosk.wait_until(lambda: bill_id in flow(kiosk).basket, "the bill in the basket")
    kiosk.pump()


def pay_alone(kiosk, bill: dict) -> None:
    """From pay_bill: find the bill, put it in the basket, on to the confirm screen."""
    find_by_scan(kiosk, bill)
    add_to_basket(kiosk, bill["id"])
    check_out(kiosk)


def check_out(kiosk) -> None:
    kiosk.tap_action("checkout")
    wait_for_screen(kiosk, "pay_confirm", "the balance check")


def stage_label(kiosk):
    return kiosk.app.screen("paying").ids.stage


def watch_stage(kiosk) -> list[tuple[str, str]]:
    """Every text the paying screen's stage label shows, with the screen shown then."""
    label, manager = stage_label(kiosk), kiosk.app.root_widget.ids.screens
    seen: list[tuple[str, str]] = []

    def changed(_label, text: str) -> None:
        seen.append((manager.current, text))

    label.bind(text=changed)
    kiosk.unwatch = lambda: label.unbind(text=changed)
    return seen


def shown_on_paying(seen: list[tuple[str, str]]) -> list[str]:
    return [text for screen, text in seen if screen == "paying"]


def index_of(texts: list[str], wanted: str) -> int:
    matches = [i for i, text in enumerate(texts) if text == wanted]
    assert matches, f"{wanted!r} never shown; shown: {texts}"
    return matches[0]


def visible(kiosk, action: str) -> bool:
    return any(
        getattr(widget, "action", None) == action and kiosk._visible(widget)
        for widget in kiosk.widgets()
    )


def wait_for_screen(kiosk, screen: str, what: str, seen=None) -> None:
    try:
        kiosk.wait_until(lambda: kiosk.screen == screen, what, PAYMENT_WAIT_S)
    except AssertionError as error:
        raise AssertionError(f"{error}; still on {kiosk.screen}, after {seen}") from None
    kiosk.pump()  # laid out, before anything is tapped or read


def terminal_charges(kiosk, amount_cents: int) -> int:
    """Sales the demo terminal booked for this amount (its own ledger, on disk)."""
    path = kiosk.runtime.config.data_dir / "demo-terminal.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as ledger:
        (count,) = ledger.execute(
            "SELECT count(*) FROM charges WHERE kind = 'sale' AND amount_cents = ?",
            (amount_cents,),
        ).fetchone()
    return count


def allocations(kiosk, bill_id: str) -> list[tuple]:
    """What the portal applied to this bill, payment by payment."""
    rows = kiosk.runtime.demo_portal.store.query(
        "SELECT payments.kiosk_reference, payments.amount_cents, payment_allocations.amount_cents"
        " FROM payment_allocations JOIN payments USING (payment_id)"
        " WHERE payment_allocations.kind = 'bill' AND payment_allocations.target_id = ?",
        (bill_id,),
    )
    return [tuple(row) for row in rows]


def balance(kiosk, bill: dict) -> int:
    return kiosk.runtime.demo_portal.store.bill(bill["id"])["amount_due_cents"]


def shown(kiosk) -> str:
    return " ".join(kiosk.texts())


# The happy path ------------------------------------------------------------------------


def test_two_bills_one_in_part_are_paid_in_one_sale(paying_kiosk):
    kiosk = paying_kiosk
    water, fine = add_bill(kiosk, 4_000, partial=True), add_bill(kiosk, 900)
    open_pay_bill(kiosk)
    assert "Type the bill or account number printed on your bill, or scan it." in kiosk.texts()
    assert not visible(kiosk, "find_bills")  # nothing typed yet

    # The water bill: its digits on the keypad.
    digits = water["number"].split("-")[1]
    for key in digits:
        kiosk.tap_action(f"key:{key}")
    assert number_field(kiosk).text == digits
    kiosk.tap_action("find_bills")
    kiosk.wait_until(lambda: visible(kiosk, f"basket:{water['id']}"), "the bill search")
    assert "We found 1 bill. Choose what to pay." in kiosk.texts()
    add_to_basket(kiosk, water["id"])
    assert "1 bill to pay: $40.00" in kiosk.texts()

    # Part of it: 12.50 on the amount keypad.
    kiosk.tap_action(f"amount:{water['id']}")
    wait_for_screen(kiosk, "pay_amount", "the amount keypad")
    assert "Balance: $40.00" in kiosk.texts()
    for key in ("clear", "4", "1", "decimal", "5"):
        kiosk.tap_action(f"key:{key}")
    kiosk.tap_action("confirm_amount")
    assert "You can pay at most $40.00 on this bill." in kiosk.texts()  # beside the field
    for key in ("clear", "1", "2", "decimal", "5", "0"):
        kiosk.tap_action(f"key:{key}")
    kiosk.tap_action("confirm_amount")
    assert kiosk.screen == "pay_bill"
    assert "In your basket: $12.50." in shown(kiosk)

    # The parking fine: scanned from its paper while the bills are shown, into the basket.
    find_by_scan(kiosk, fine)
    assert number_field(kiosk).text == fine["number"]
    assert visible(kiosk, f"basket:{water['id']}")  # still in the basket
    add_to_basket(kiosk, fine["id"])
    assert "2 bills to pay: $21.50" in kiosk.texts()

    check_out(kiosk)
    confirm = shown(kiosk)
    assert "$21.50" in confirm and "$12.50" in confirm and "$9.00" in confirm
    assert water["number"] in confirm and fine["number"] in confirm
    # Back: the bills found and the basket, without searching again.
    search = flow(kiosk).search
    kiosk.tap_action("back")
    assert kiosk.screen == "pay_bill" and flow(kiosk).search is search
    assert "2 bills to pay: $21.50" in kiosk.texts()
    check_out(kiosk)

    seen = watch_stage(kiosk)
    terminal_before = terminal_charges(kiosk, 2_150)
    try:
        kiosk.tap_action("pay_with_card")
        assert kiosk.screen == "paying"
        wait_for_screen(kiosk, "confirmation", "the payment to finish", seen)
    finally:
        kiosk.unwatch()
    on_paying = shown_on_paying(seen)
    insert, pin, bank = (index_of(on_paying, text) for text in (INSERT, PIN, BANK))
    assert insert < pin < bank, on_paying
    assert "Thank you. You paid $21.50." in kiosk.texts()
    reference = kiosk.model.last_submission.reference
    assert any(reference in text for text in kiosk.texts())
    assert terminal_charges(kiosk, 2_150) == terminal_before + 1

    kiosk.wait_until(lambda: allocations(kiosk, fine["id"]), "the portal to get it", 30)
    assert allocations(kiosk, water["id"]) == [(reference, 2_150, 1_250)]
    assert allocations(kiosk, fine["id"]) == [(reference, 2_150, 900)]
    assert (balance(kiosk, water), balance(kiosk, fine)) == (2_750, 0)
    kiosk.wait_until(lambda: "It has reached the city." in kiosk.texts(), "the confirmation", 30)
    assert flow(kiosk).basket == {}


# When it does not go through ------------------------------------------------------------


def test_a_declined_card_is_explained_and_can_be_tried_again(paying_kiosk):
    kiosk = paying_kiosk
    bill = add_bill(kiosk, 666)
    open_pay_bill(kiosk)
    # The field has the focus, even after taps on the keypad: a scanner needs no tap.
    kiosk.tap_action("key:7")
    kiosk.tap_action("key:clear")
    assert number_field(kiosk).text == ""
    pay_alone(kiosk, bill)
    assert "$6.66" in shown(kiosk)

    kiosk.tap_action("pay_with_card")
    wait_for_screen(kiosk, "pay_outcome", "the decline")
    assert "Payment not completed" in kiosk.texts()
    assert DECLINED in kiosk.texts()
    assert visible(kiosk, "retry_payment") and visible(kiosk, "back")
    declined = kiosk.model.payment_attempt.entry
    assert declined.state == journal_states.DECLINED

    seen = watch_stage(kiosk)
    try:
        kiosk.tap_action("retry_payment")
        assert kiosk.screen == "paying"
        wait_for_screen(kiosk, "pay_outcome", "the second decline")
    finally:
        kiosk.unwatch()
    assert INSERT in shown_on_paying(seen)
    again = kiosk.model.payment_attempt.entry
    assert again.reference != declined.reference  # a new payment, not a replay
    assert again.state == journal_states.DECLINED
    assert DECLINED in kiosk.texts()
    assert terminal_charges(kiosk, 666) == 0
    assert allocations(kiosk, bill["id"]) == []

    kiosk.tap_action("back")
    assert kiosk.screen == "home"


def test_cancelling_at_the_card_prompt_charges_nothing(waiting_terminal):
    kiosk = waiting_terminal
    bill = add_bill(kiosk, 1234)
    open_pay_bill(kiosk)
    pay_alone(kiosk, bill)

    seen = watch_stage(kiosk)
    try:
        kiosk.tap_action("pay_with_card")
        assert kiosk.screen == "paying"
        kiosk.wait_until(
            lambda: stage_label(kiosk).text == INSERT, "the terminal to ask for the card", 30
        )
        assert visible(kiosk, "cancel_payment")
        kiosk.tap_action("cancel_payment")
        assert not visible(kiosk, "cancel_payment")  # one tap is enough
        kiosk.let_terminal_go_on()
        wait_for_screen(kiosk, "pay_outcome", "the cancellation", seen)
    finally:
        kiosk.unwatch()

    on_paying = shown_on_paying(seen)
    assert index_of(on_paying, INSERT) < index_of(on_paying, "Cancelling…"), on_paying
    assert PIN not in on_paying[index_of(on_paying, "Cancelling…") :]
    assert "Payment cancelled" in kiosk.texts()
    assert CANCELLED in kiosk.texts()
    attempt = kiosk.model.payment_attempt
    assert attempt.entry.state == journal_states.ABORTED and not attempt.charged
    assert terminal_charges(kiosk, 1234) == 0
    assert allocations(kiosk, bill["id"]) == []
    assert kiosk.model.outbox.find(f"payment-{attempt.entry.reference}") is None


def test_the_paying_screen_speaks_spanish(waiting_terminal):
    kiosk = waiting_terminal
    bill = add_bill(kiosk, 2500)
    kiosk.tap_action("language:es")
    open_pay_bill(kiosk)
    assert "Pagar una factura" in kiosk.texts()
    pay_alone(kiosk, bill)
    assert any(bill["number"] in text and "Factura de prueba" in text for text in kiosk.texts())

    seen = watch_stage(kiosk)
    try:
        kiosk.tap_action("pay_with_card")
        kiosk.wait_until(
            lambda: stage_label(kiosk).text == INSERT_ES, "the Spanish card prompt", 30
        )
        assert INSERT_ES in kiosk.texts()
        assert INSERT not in kiosk.texts()
        kiosk.tap_action("cancel_payment")
        kiosk.let_terminal_go_on()
        wait_for_screen(kiosk, "pay_outcome", "the cancellation", seen)
    finally:
        kiosk.unwatch()
    assert "Cancelando…" in shown_on_paying(seen)
    assert "Pago cancelado" in kiosk.texts()
    assert "El pago se canceló. No se le cobró nada." in kiosk.texts()


def test_offline_beyond_the_limits_the_screen_says_why_and_charges_nothing(paying_kiosk):
    kiosk = paying_kiosk
    runtime = kiosk.runtime
    bill = add_bill(kiosk, 15_000)  # over the demo's $100.00 a visit while offline
    open_pay_bill(kiosk)
    find_by_scan(kiosk, bill)
    add_to_basket(kiosk, bill["id"])
    portal = runtime.demo_portal
    port = int(portal.url.rsplit(":", 1)[1])
    portal.stop()  # the library's network goes down
    try:
        kiosk.tap_action("checkout")
        kiosk.wait_until(lambda: NOTHING_CHARGED in shown(kiosk), "the refusal", 30)
        assert kiosk.screen == "pay_bill"
        text = shown(kiosk)
        assert "The city's service cannot be reached." in text
        assert "this kiosk takes at most $100.00 per visit" in text
        assert visible(kiosk, f"basket:{bill['id']}")  # the basket is still there
        assert terminal_charges(kiosk, 15_000) == 0
        assert kiosk.model.payment_desk.blocked_by_open_payment() is False
    finally:
        back = start_portal(
            portal.db_path, port=port, seed_demo=False, token=portal.token, device_id="demo-kiosk"
        )
        runtime.demo_portal = back
        runtime.closers.insert(0, back.stop)
    runtime.sync.wake()


def test_a_bill_paid_elsewhere_meanwhile_is_refunded_and_the_resident_told(paying_kiosk):
    kiosk = paying_kiosk
    bill = add_bill(kiosk, 3_000)
    open_pay_bill(kiosk)
    pay_alone(kiosk, bill)
    # Paid at the front desk while the resident was reading the confirm screen.
    with kiosk.runtime.demo_portal.store.transaction() as conn:
        conn.execute(
            "UPDATE bills SET amount_due_cents = 0, status = 'paid' WHERE id = ?", (bill["id"],)
        )

    kiosk.tap_action("pay_with_card")
    wait_for_screen(kiosk, "confirmation", "the payment to finish")
    kiosk.wait_until(
        lambda: "Your payment was refunded" in kiosk.texts(), "the refund to be shown", 60
    )
    text = shown(kiosk)
    assert "The city could not accept this payment: a bill in it had already been paid." in text
    assert "We refunded $30.00 to your card: you were not charged." in text
    (entry,) = [
        entry
        for entry in kiosk.model.payment_desk._journal.entries(journal_states.REVERSED)
        if entry.reference == kiosk.model.last_submission.reference
    ]
    assert entry.reversal_receipt is not None
    assert allocations(kiosk, bill["id"]) == []


def test_taking_the_card_out_mid_flow_wipes_the_basket(paying_kiosk):
    kiosk = paying_kiosk
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.tap_action(f"demo_card:{next(i for i, x in enumerate(labels) if '(beid)' in x)}")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    kiosk.tap_action("service:pay_bill")
    # Identified by card: the resident's open bills, without typing anything.
    kiosk.wait_until(lambda: visible(kiosk, "basket:bill-0004"), "the card's bills")
    assert "We found 2 bills. Choose what to pay." in kiosk.texts()
    add_to_basket(kiosk, "bill-0004")
    assert flow(kiosk).basket == {"bill-0004": 275}
    kiosk.tap_action("keypad")  # another bill: an empty field, the keypad
    assert number_field(kiosk).text == "" and visible(kiosk, "key:5")

    kiosk.model.remove_demo_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the visit to end")

    assert flow(kiosk).basket == {} and flow(kiosk).search.bills == ()
    kiosk.tap_action("start")
    kiosk.tap_action("service:pay_bill")
    assert not visible(kiosk, "basket:bill-0004")
    assert "Type the bill or account number printed on your bill, or scan it." in kiosk.texts()

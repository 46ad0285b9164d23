"""Paying a bill as a resident does it: find the bill, confirm, follow the card
terminal (the demo kiosk's ZVT simulator, through the real ZVT driver), and read
what became of the money."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import uuid

import pytest
from kivy.core.window import Window

from offline import payment_journal as journal_states

INSERT = "Insert, tap or swipe your card on the card terminal."
PIN = "Enter your PIN on the card terminal, then press the green key."
BANK = "Asking your bank… This can take up to a minute."
DECLINED = "Your bank did not approve this payment. You were not charged. You can try another card."
CANCELLED = "The payment was cancelled. You were not charged."
INSERT_ES = "Inserte, acerque o deslice su tarjeta en el terminal de pago."
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
    from drivers.payment.zvt.simulator import TerminalSimulator

    (simulator,) = [
        closer.__self__
        for closer in paying_kiosk.runtime.closers
        if isinstance(getattr(closer, "__self__", None), TerminalSimulator)
    ]
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


def add_bill(kiosk, amount_cents: int) -> dict:
    """A bill of its own for one test, so tests do not depend on each other's payments."""
    suffix = uuid.uuid4().hex[:6].upper()
    return kiosk.runtime.demo_portal.store.add_bill(
        bill_id=f"bill-test-{suffix}",
        number=f"T-{suffix}",
        account=f"9{suffix}",
        kind="water",
        description={"en": "Test water bill", "es": "Factura de agua de prueba"},
        amount_due_cents=amount_cents,
        due_date="2026-12-20",
        allows_partial=False,
    )


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


def find_and_choose(kiosk, bill: dict) -> None:
    """On pay_bill with the number in the field: Find, then tap the bill."""
    if kiosk.model.bill_search.state != "found":
        kiosk.tap_action("find_bills")
    kiosk.wait_until(lambda: kiosk.model.bill_search.state == "found", "the bill search")
    kiosk.pump()
    kiosk.tap_action(f"bill:{bill['id']}")
    assert kiosk.screen == "pay_confirm"


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


def portal_payments(kiosk, bill_id: str) -> list:
    return kiosk.runtime.demo_portal.store.query(
        "SELECT bill_id, amount_cents, kiosk_reference FROM payments WHERE bill_id = ?",
        (bill_id,),
    )


def test_paying_a_bill_follows_the_terminal_to_the_confirmation(paying_kiosk):
    kiosk = paying_kiosk
    open_pay_bill(kiosk)
    assert "Type the bill or account number printed on your bill, or scan it." in kiosk.texts()
    assert not visible(kiosk, "find_bills")  # nothing typed yet

    for key in "W-1001":
        kiosk.tap_action(f"key:{key}")
    assert number_field(kiosk).text == "W-1001"
    kiosk.tap_action("find_bills")
    kiosk.wait_until(lambda: kiosk.model.bill_search.state == "found", "the bill search")
    kiosk.pump()
    assert "We found 1 bill." in kiosk.texts()
    bill_button = kiosk.find("bill:bill-0001")
    assert "W-1001" in bill_button.text
    assert "$42.50" in bill_button.text
    assert "Water bill, September and October" in bill_button.text

    kiosk.tap(bill_button)
    assert kiosk.screen == "pay_confirm"
    shown = kiosk.texts()
    assert "$42.50" in shown
    assert "Water bill, September and October" in shown
    assert "Bill number: W-1001" in shown

    seen = watch_stage(kiosk)
    terminal_before = terminal_charges(kiosk, 4250)
    try:
        kiosk.tap_action("pay_with_card")
        assert kiosk.screen == "paying"
        wait_for_screen(kiosk, "confirmation", "the payment to finish")
    finally:
        kiosk.unwatch()

    on_paying = shown_on_paying(seen)
    insert, pin, bank = (index_of(on_paying, text) for text in (INSERT, PIN, BANK))
    assert insert < pin < bank, on_paying
    reference = kiosk.model.last_submission.reference
    assert any(reference in text for text in kiosk.texts())
    assert terminal_charges(kiosk, 4250) == terminal_before + 1

    kiosk.wait_until(
        lambda: portal_payments(kiosk, "bill-0001"), "the portal to get the payment", 30
    )
    assert [tuple(row) for row in portal_payments(kiosk, "bill-0001")] == [
        ("bill-0001", 4250, reference)
    ]
    kiosk.wait_until(lambda: kiosk.model.submission_state == "sent", "the confirmation", 30)
    kiosk.pump()
    assert "It has reached the city." in kiosk.texts()


def test_a_declined_card_is_explained_and_can_be_tried_again(paying_kiosk):
    kiosk = paying_kiosk
    bill = add_bill(kiosk, 666)
    open_pay_bill(kiosk)

    # The field has the focus, even after taps on the on-screen keys: a scanner
    # needs no tap on the field.
    kiosk.tap_action("key:7")
    kiosk.tap_action("key:clear")
    assert number_field(kiosk).text == ""
    scan(bill["number"].lower())
    kiosk.pump()
    assert number_field(kiosk).text == bill["number"]
    kiosk.wait_until(lambda: kiosk.model.bill_search.state == "found", "the scanned bill")
    find_and_choose(kiosk, bill)
    assert "$6.66" in kiosk.texts()

    kiosk.tap_action("pay_with_card")
    wait_for_screen(kiosk, "pay_outcome", "the decline")
    shown = kiosk.texts()
    assert "Payment not completed" in shown
    assert DECLINED in shown
    assert visible(kiosk, "retry_payment")
    assert visible(kiosk, "back")
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
    assert portal_payments(kiosk, bill["id"]) == []

    kiosk.tap_action("back")
    assert kiosk.screen == "home"


def test_cancelling_at_the_card_prompt_charges_nothing(waiting_terminal):
    kiosk = waiting_terminal
    bill = add_bill(kiosk, 1234)
    open_pay_bill(kiosk)
    number_field(kiosk).text = bill["number"]
    find_and_choose(kiosk, bill)

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
    shown = kiosk.texts()
    assert "Payment cancelled" in shown
    assert CANCELLED in shown
    attempt = kiosk.model.payment_attempt
    assert attempt.entry.state == journal_states.ABORTED and not attempt.charged
    assert terminal_charges(kiosk, 1234) == 0
    assert portal_payments(kiosk, bill["id"]) == []
    assert kiosk.model.outbox.find(f"payment-{attempt.entry.reference}") is None


def test_the_paying_screen_speaks_spanish(waiting_terminal):
    kiosk = waiting_terminal
    bill = add_bill(kiosk, 2500)
    kiosk.tap_action("language:es")
    open_pay_bill(kiosk)
    assert "Pagar una factura" in kiosk.texts()
    number_field(kiosk).text = bill["number"]
    find_and_choose(kiosk, bill)
    assert "Factura de agua de prueba" in kiosk.texts()

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

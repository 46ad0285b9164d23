import string
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.payment.interface import (
    PaymentOutcome,
    PaymentResult,
    PaymentStage,
)
from drivers.payment.simulator import SimulatedTerminal
from drivers.privacy import is_masked_pan, mask_pan

S = PaymentStage
WAIT_S = 10  # only a guard against hanging; no test depends on it


@pytest.fixture
def terminal():
    terminal = SimulatedTerminal(step_delay_s=0, decline_amounts=frozenset({666}))
    terminal.start()
    yield terminal
    terminal.stop()


@pytest.fixture
def slow_terminal():
    # Steps long enough that the test, not the clock, decides when things happen.
    terminal = SimulatedTerminal(step_delay_s=30)
    terminal.start()
    yield terminal
    terminal.stop()


def pay_in_background(terminal, amount_cents):
    """Start a payment on a worker thread; returns (reached_stage, outcome holder, thread)."""
    reached = {stage: threading.Event() for stage in PaymentStage}
    outcome = {}

    def run():
        outcome["result"] = terminal.pay(amount_cents, "bill-1", lambda s: reached[s].set())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return reached, outcome, thread


def test_approved_walks_every_stage_in_order(terminal):
    stages = []

    result = terminal.pay(1250, "bill-1", stages.append)

    assert stages == [S.CONNECTING, S.INSERT_CARD, S.ENTER_PIN, S.PLEASE_WAIT, S.APPROVED]
    assert result.outcome is PaymentOutcome.APPROVED
    assert result.amount_cents == 1250
    assert result.reference == "bill-1"
    assert is_masked_pan(result.masked_pan)
    assert result.receipt_lines


def test_receipt_numbers_increase(terminal):
    first = terminal.pay(100, "a", lambda s: None)
    second = terminal.pay(100, "b", lambda s: None)

    assert second.receipt_number == first.receipt_number + 1


def test_decline(terminal):
    stages = []

    result = terminal.pay(666, "bill-2", stages.append)

    assert stages[-1] is S.DECLINED
    assert result.outcome is PaymentOutcome.DECLINED
    assert result.reason == "declined_by_issuer"


def test_cancel_from_stage_callback_aborts(terminal):
    stages = []

    def on_stage(stage):
        stages.append(stage)
        if stage is S.INSERT_CARD:
            terminal.cancel()

    result = terminal.pay(1000, "bill-3", on_stage)

    assert stages == [S.CONNECTING, S.INSERT_CARD, S.ABORTED]
    assert result.outcome is PaymentOutcome.ABORTED
    assert result.reason == "customer_abort"
    assert result.receipt_number is None


def test_cancel_from_another_thread_aborts(slow_terminal):
    reached, outcome, thread = pay_in_background(slow_terminal, 1000)
    assert reached[S.CONNECTING].wait(WAIT_S)

    slow_terminal.cancel()
    thread.join(WAIT_S)

    assert outcome["result"].outcome is PaymentOutcome.ABORTED
    assert not reached[S.PLEASE_WAIT].is_set()
    assert slow_terminal.status() == "idle"


def test_second_concurrent_payment_is_refused(slow_terminal):
    reached, outcome, thread = pay_in_background(slow_terminal, 1000)
    assert reached[S.CONNECTING].wait(WAIT_S)

    with pytest.raises(RuntimeError, match="only one"):
        slow_terminal.pay(500, "bill-other", lambda s: None)
    assert slow_terminal.status() == "busy"

    slow_terminal.cancel()
    thread.join(WAIT_S)
    assert outcome["result"].outcome is PaymentOutcome.ABORTED


def test_cancel_when_idle_does_not_affect_next_payment(terminal):
    terminal.cancel()

    assert terminal.pay(100, "bill", lambda s: None).outcome is PaymentOutcome.APPROVED


@pytest.mark.parametrize("amount", [0, -5])
def test_rejects_non_positive_amounts(terminal, amount):
    with pytest.raises(ValueError):
        terminal.pay(amount, "bill", lambda s: None)


def test_offline_until_started():
    terminal = SimulatedTerminal()

    assert terminal.status() == "offline"
    with pytest.raises(RuntimeError, match="offline"):
        terminal.pay(100, "bill", lambda s: None)


def test_end_of_day_totals_approved_payments_and_resets(terminal):
    terminal.pay(100, "a", lambda s: None)
    terminal.pay(666, "declined", lambda s: None)
    terminal.pay(250, "b", lambda s: None)

    totals = terminal.end_of_day()

    assert (totals["transactions"], totals["total_cents"]) == (2, 350)
    assert terminal.end_of_day()["transactions"] == 0


def result_with(masked_pan="", receipt_lines=()):
    return PaymentResult(
        PaymentOutcome.APPROVED,
        amount_cents=100,
        reference="bill",
        receipt_number=7,
        masked_pan=masked_pan,
        terminal_id="TID",
        trace=3,
        receipt_lines=receipt_lines,
    )


# Half the characters are (any script's) decimal digits, so most draws qualify.
digit_heavy_text = (
    st.lists(st.one_of(st.characters(categories=("Nd",)), st.characters()), min_size=5)
    .map("".join)
    .filter(lambda s: sum(ch.isdigit() for ch in s) > 4)
)


@settings(database=None)
@given(digit_heavy_text)
def test_any_pan_with_more_than_four_digits_is_rejected(pan):
    assert not is_masked_pan(pan)
    with pytest.raises(ValueError):
        result_with(masked_pan=pan)


@settings(database=None)
@given(
    st.text(alphabet="*Xx", min_size=1, max_size=19),
    st.text(alphabet=string.digits, max_size=4),
)
def test_masked_pans_are_accepted(mask, last_digits):
    pan = mask + last_digits

    assert is_masked_pan(pan)
    assert result_with(masked_pan=pan).masked_pan == pan


@pytest.mark.parametrize("pan", ["4111 1111 1111 1111", "411111******1111", "１２３４５"])
def test_common_unmasked_forms_are_rejected(pan):
    assert not is_masked_pan(pan)


@settings(database=None)
@given(st.text(alphabet=string.digits, min_size=12, max_size=19))
def test_result_repr_shows_at_most_four_pan_digits(pan):
    result = result_with(masked_pan=mask_pan(pan), receipt_lines=(f"CARD {pan}",))

    text = repr(result) + str(result)

    assert mask_pan(pan).endswith(pan[-4:])
    for start in range(len(pan) - 4):
        assert pan[start : start + 5] not in text

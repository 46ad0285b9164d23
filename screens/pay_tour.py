"""The tour's part for paying bills (see screens/tour_support.py): find a demo bill on
the keypad, put it in the basket, pay part of it, and pay on the demo terminal, showing
every payment screen."""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.payment_flow import PAYING
from screens.tour_support import until

# The demo terminal takes about a second a step; waiting frames are 10 ms or more.
PAYMENT_FRAMES = 3000
# One bill per language, typed as its digits (W-1001...): each allows part payments,
# and the first language's is partly paid by the time the next comes.
TOUR_BILLS = ("1001", "1002", "1003")


def tour_pay_bill(model) -> Iterator[str]:
    """The outcome screen is shown first, deterministically: payments are refused while
    the kiosk's queue is full (nothing is charged), and "Try again" then pays."""
    language = model.language
    flow = model.flows["pay_bill"]
    model.go_home()
    model.open_service("pay_bill")
    flow.type_number(TOUR_BILLS[model.languages.index(language) % len(TOUR_BILLS)])
    yield f"{language}-04a-pay-bill-keyboard"
    flow.find_bills()
    yield from until(lambda: flow.search.state != "searching")
    if not flow.search.bills:
        yield f"{language}-04b-pay-bill"
        return
    bill = flow.search.bills[0]
    flow.toggle_bill(bill["id"])
    yield f"{language}-04b-pay-bill"
    flow.edit_amount(bill["id"])
    flow.type_amount("999999")
    flow.confirm_amount()
    yield f"{language}-04ba-pay-amount"
    flow.type_amount("20")
    flow.confirm_amount()
    flow.checkout()
    yield from until(lambda: not flow.checking)
    yield f"{language}-04c-pay-confirm"
    outbox = model.outbox
    usual, outbox.max_unsent = outbox.max_unsent, 0
    try:
        model.start_payment()
    finally:
        outbox.max_unsent = usual
    yield f"{language}-04d-pay-outcome"
    model.retry_payment()
    # At once: the terminal needs a few seconds to finish, and the picture must show
    # the payment still under way even when rendering is slow.
    yield f"{language}-04e-paying"
    yield from until(lambda: model.screen != PAYING, PAYMENT_FRAMES)
    yield from until(lambda: model.receipt_state != "printing")
    yield f"{language}-04f-paid-confirmation"
    model.go_home()

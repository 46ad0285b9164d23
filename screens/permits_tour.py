"""The tour's part for "Permits and licences" (see screens/tour_support.py): the list,
a form with its errors beside the fields, the review, the fee declined and then paid
on the demo terminal, the confirmation; and Maria Lopez renewing her dog licence with
her demo card, asked only for what the city does not know."""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.flows.permit_texts import PERMIT_FORM, PERMIT_REVIEW
from kiosk.model import CONFIRMATION
from kiosk.payment_flow import PAY_CONFIRM, PAYING
from screens.tour_support import until

# The demo terminal takes about a second a step; waiting frames are 10 ms or more.
PAYMENT_FRAMES = 3000


def tour_permits(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["permits"]
    model.open_service("permits")
    yield from until(lambda: flow.forms_state != "loading")
    yield f"{language}-15a-permits"
    if not flow.forms:
        model.cancel_service()
        return
    flow.choose_form("dog_licence")
    yield from until(lambda: flow.form_state != "loading")
    if flow.form is None:
        model.cancel_service()
        return
    flow.answer("dog_name", "Luna")
    flow.answer("birth_year", "1900")
    flow.next()  # the year is out of range, the size and the certificate missing
    yield f"{language}-15b-permit-form-errors"
    model.toggle_large_text()
    yield f"{language}-15ba-permit-form-large-text"
    model.toggle_large_text()
    flow.answer("size", "small")
    flow.answer("birth_year", "2022")
    flow.answer("document:rabies_certificate", True)
    flow.next()
    yield f"{language}-15c-permit-review"
    if model.screen != PERMIT_REVIEW:
        model.cancel_service()
        return
    flow.submit()
    yield f"{language}-15d-permit-pay-confirm"
    yield from _pay(model, decline=True)
    yield f"{language}-15e-permit-unpaid"
    if model.screen == PERMIT_REVIEW:
        flow.submit()  # pay again, for the same application
        yield from _pay(model, decline=False)
        yield from until(lambda: model.receipt_state != "printing")
        yield f"{language}-15f-permit-confirmation"
    model.go_home()
    yield from _renewal(model, flow)


def _pay(model, *, decline: bool) -> Iterator[str]:
    if model.screen != PAY_CONFIRM:
        return
    terminal = model.demo_terminal
    if decline and terminal is not None:
        terminal.script("decline")
    model.start_payment()
    yield from until(lambda: model.screen not in (PAYING, PAY_CONFIRM), PAYMENT_FRAMES)
    if not decline:
        yield from until(lambda: model.screen == CONFIRMATION)


def _renewal(model, flow) -> Iterator[str]:
    """Maria Lopez's card: her dog licence, filled in from the city's record."""
    language = model.language
    cards = [label for label, _insert in model.demo_cards]
    maria = next((i for i, label in enumerate(cards) if label.startswith("Maria Lopez")), None)
    if maria is None:
        return
    model.demo_insert_card(maria)
    yield from until(lambda: model.session.identity is not None)
    model.open_service("permits")
    yield from until(lambda: flow.forms_state != "loading" and flow.renewals_state != "loading")
    yield f"{language}-15g-permits-renew"
    if flow.renewals():
        flow.choose_renewal(flow.renewals()[0][0].permit_number)
        yield from until(lambda: flow.form_state != "loading")
        yield f"{language}-15h-permit-renewal-form"
        if model.screen == PERMIT_FORM and flow.form is not None:
            flow.answer("document:rabies_certificate", True)
            flow.next()
            yield f"{language}-15i-permit-renewal-review"
    model.cancel_service()
    # Taking the card out ends the visit; the tour goes on in the same language.
    model.demo_remove_card()
    yield from until(lambda: model.session.identity is None)
    model.choose_language_and_start(language)

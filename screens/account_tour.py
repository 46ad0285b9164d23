"""The tour's part for "Create an eCitizen account" (see screens/tour_support.py).

Nadia Haddad's demo card has no account. Only the last language's pass creates hers,
so that every pass before it sees the same screens; every pass shows Maria Lopez, who
already has an account, being told so.
"""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.flows.account import ACCOUNT_NAME, ACCOUNT_START
from screens.tour_support import until


def tour_account(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["account"]
    model.open_service("create_account")
    yield f"{language}-21a-account-insert-card"
    if not _insert(model, "Nadia Haddad"):
        return
    yield from until(lambda: flow.state not in ("need_card", "checking"))
    yield f"{language}-21b-account-name"
    if model.screen == ACCOUNT_NAME:
        flow.confirm_name(True)
        flow.type_phone("555 123")
        flow.type_email("nadia.example.com")
        flow.create()
        yield f"{language}-21c-account-contact-errors"
        if language == model.languages[-1]:
            flow.type_phone("555 123 4567")
            flow.type_email("nadia@example.com")
            flow.create()
            yield from until(lambda: model.receipt_state != "printing")
            yield f"{language}-21d-account-confirmation"
    yield from _leave(model, language)
    if not _insert(model, "Maria Lopez"):
        return
    yield from until(lambda: model.session.identity is not None)
    model.open_service("create_account")
    yield from until(lambda: model.screen == ACCOUNT_START and flow.state != "checking")
    yield f"{language}-21e-account-exists"
    yield from _leave(model, language)


def _insert(model, name: str) -> bool:
    cards = [label for label, _insert in model.demo_cards]
    index = next((i for i, label in enumerate(cards) if label.startswith(name)), None)
    if index is not None:
        model.demo_insert_card(index)
    return index is not None


def _leave(model, language: str) -> Iterator[str]:
    """Card out (the visit ends), then a new visit in the tour's language."""
    model.demo_remove_card()
    yield from until(lambda: model.session.identity is None)
    model.choose_language_and_start(language)

"""What the resident reads while paying: one plain sentence per terminal stage and per
reason a payment did not go through. Translated by the screens (kiosk.i18n)."""

from __future__ import annotations

from drivers.payment import interface as codes
from drivers.payment.interface import PaymentStage
from kiosk.i18n import N_

STAGE_MESSAGES = {
    PaymentStage.CONNECTING: N_("Getting the card terminal ready…"),
    PaymentStage.TERMINAL_BUSY: N_("Getting the card terminal ready…"),
    PaymentStage.INSERT_CARD: N_("Insert, tap or swipe your card on the card terminal."),
    PaymentStage.ENTER_PIN: N_("Enter your PIN on the card terminal, then press the green key."),
    PaymentStage.WRONG_PIN: N_("The PIN was not right. Please enter it again."),
    PaymentStage.WATCH_TERMINAL: N_("Please follow the instructions on the card terminal."),
    PaymentStage.CONTACTING_BANK: N_("Asking your bank… This can take up to a minute."),
    PaymentStage.PLEASE_WAIT: N_("Please wait…"),
    PaymentStage.REMOVE_CARD: N_("Please take your card."),
    PaymentStage.CARD_PROBLEM: N_("There is a problem with the card. Please look at the terminal."),
    PaymentStage.CHECKING: N_(
        "We lost contact with the card terminal. We are checking whether your card was charged. "
        "Please wait."
    ),
    PaymentStage.APPROVED: N_("Payment approved."),
    PaymentStage.DECLINED: N_("The payment did not go through."),
    PaymentStage.ABORTED: N_("The payment was cancelled."),
}

REASON_MESSAGES = {
    codes.DECLINED_BY_BANK: N_(
        "Your bank did not approve this payment. You were not charged. You can try another card."
    ),
    "declined_by_issuer": N_(
        "Your bank did not approve this payment. You were not charged. You can try another card."
    ),
    codes.CUSTOMER_ABORT: N_("The payment was cancelled. You were not charged."),
    codes.CARD_NOT_READABLE: N_(
        "The card terminal could not read your card. You were not charged. Please try again."
    ),
    codes.CARD_EXPIRED: N_("This card has expired. You were not charged. Please use another card."),
    codes.CARD_NOT_ACCEPTED: N_(
        "This card cannot be used here. You were not charged. Please use another card."
    ),
    codes.INSUFFICIENT_FUNDS: N_(
        "There is not enough money available on this card. You were not charged."
    ),
    codes.WRONG_PIN: N_("The PIN was wrong too many times. You were not charged."),
    codes.AMOUNT_NOT_ALLOWED: N_(
        "This amount cannot be paid by card here. You were not charged. Please ask staff."
    ),
    codes.TERMINAL_BUSY: N_("The card terminal is busy. You were not charged. Please try again."),
    codes.TERMINAL_ERROR: N_(
        "The card terminal has a problem. You were not charged. Please try again or ask staff."
    ),
    codes.NO_CONNECTION: N_(
        "The card terminal could not reach the bank. You were not charged. Please try again."
    ),
    codes.ALREADY_REVERSED: N_("This payment was already refunded to your card."),
    "not_charged": N_(
        "We lost contact with the card terminal, but we checked: your card was not charged."
    ),
    "not_started": N_("The card terminal is not available. You were not charged."),
}
UNRESOLVED_MESSAGE = N_(
    "We could not check with the card terminal whether your card was charged. Your payment "
    "is recorded under the reference below, and it will never be charged twice. "
    "Please show this reference to staff."
)
DEFAULT_REASON = codes.TERMINAL_ERROR


def stage_message(stage: PaymentStage) -> str:
    return STAGE_MESSAGES[stage]


def reason_message(reason: str | None) -> str:
    return REASON_MESSAGES.get(reason or DEFAULT_REASON, REASON_MESSAGES[DEFAULT_REASON])

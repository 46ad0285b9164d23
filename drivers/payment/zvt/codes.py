"""ZVT code tables (PA00P015): command names, result codes, intermediate statuses.

Every result code maps to a *reason*: a stable key the kiosk core turns into a plain
sentence in the resident's language (kiosk/payment_messages.py), and to the
specification's own wording, which goes to the log for technicians.
"""

from __future__ import annotations

from drivers.payment.interface import (
    ALREADY_REVERSED,
    AMOUNT_NOT_ALLOWED,
    CARD_EXPIRED,
    CARD_NOT_ACCEPTED,
    CARD_NOT_READABLE,
    CUSTOMER_ABORT,
    DECLINED_BY_BANK,
    INSUFFICIENT_FUNDS,
    NO_CONNECTION,
    TERMINAL_BUSY,
    TERMINAL_ERROR,
    PaymentStage,
)

COMMAND_NAMES = {
    (0x06, 0x00): "Registration",
    (0x06, 0x01): "Authorization",
    (0x06, 0x02): "Log-Off",
    (0x05, 0x01): "Status Enquiry",
    (0x06, 0x0F): "Completion",
    (0x06, 0x1E): "Abort (terminal)",
    (0x06, 0x20): "Repeat Receipt",
    (0x06, 0x30): "Reversal",
    (0x06, 0x50): "End of Day",
    (0x06, 0xB0): "Abort (ECR)",
    (0x06, 0xD1): "Print Line",
    (0x06, 0xD3): "Print Text Block",
    (0x04, 0x0F): "Status Information",
    (0x04, 0xFF): "Intermediate Status",
    (0x80, 0x00): "Acknowledgement",
}

# code -> (reason, the specification's wording)
RESULT_CODES: dict[int, tuple[str, str]] = {
    0x00: ("", "success"),
    0x64: (CARD_NOT_READABLE, "card not readable"),
    0x65: (CARD_NOT_READABLE, "card data not present"),
    0x66: (TERMINAL_ERROR, "processing error"),
    0x67: (CARD_NOT_ACCEPTED, "function not permitted for ec and Maestro cards"),
    0x68: (CARD_NOT_ACCEPTED, "function not permitted for credit and tank cards"),
    0x6A: (TERMINAL_ERROR, "turnover file full"),
    0x6B: (TERMINAL_ERROR, "function deactivated (PT not registered)"),
    0x6C: (CUSTOMER_ABORT, "abort via timeout or abort key"),
    0x6E: (CARD_NOT_ACCEPTED, "card in blocked list"),
    0x6F: (CARD_NOT_ACCEPTED, "wrong currency"),
    0x71: (INSUFFICIENT_FUNDS, "credit not sufficient (chip card)"),
    0x72: (CARD_NOT_READABLE, "chip error"),
    0x73: (CARD_NOT_READABLE, "card data incorrect"),
    0x74: (TERMINAL_ERROR, "DUKPT engine exhausted"),
    0x75: (TERMINAL_ERROR, "text not authentic"),
    0x76: (CARD_NOT_ACCEPTED, "PAN not in white list"),
    0x77: (TERMINAL_ERROR, "end-of-day batch not possible"),
    0x78: (CARD_EXPIRED, "card expired"),
    0x79: (CARD_NOT_ACCEPTED, "card not yet valid"),
    0x7A: (CARD_NOT_ACCEPTED, "card unknown"),
    0x7B: (CARD_NOT_READABLE, "fallback to magnetic stripe for girocard not possible"),
    0x7C: (CARD_NOT_READABLE, "fallback to magnetic stripe not possible (non-girocard)"),
    0x7D: (NO_CONNECTION, "communication error"),
    0x7E: (CARD_NOT_READABLE, "fallback to magnetic stripe not possible, debit advice"),
    0x83: (TERMINAL_ERROR, "function not possible"),
    0x85: (TERMINAL_ERROR, "key missing"),
    0x89: (TERMINAL_ERROR, "PIN pad defective"),
    0x9A: (TERMINAL_ERROR, "ZVT protocol error"),
    0x9B: (NO_CONNECTION, "error from dial-up / communication fault"),
    0x9C: (TERMINAL_BUSY, "please wait"),
    0xA0: (TERMINAL_ERROR, "receiver not ready"),
    0xA1: (NO_CONNECTION, "remote station does not respond"),
    0xA3: (NO_CONNECTION, "no connection"),
    0xA4: (CARD_NOT_ACCEPTED, "submission of Geldkarte not possible"),
    0xA5: (TERMINAL_ERROR, "function not allowed due to PCI-DSS/P2PE rules"),
    0xB1: (TERMINAL_ERROR, "memory full"),
    0xB2: (TERMINAL_ERROR, "merchant journal full"),
    0xB4: (ALREADY_REVERSED, "already reversed"),
    0xB5: (TERMINAL_ERROR, "reversal not possible"),
    0xB7: (TERMINAL_ERROR, "pre-authorisation incorrect (amount too high) or amount wrong"),
    0xB8: (TERMINAL_ERROR, "error pre-authorisation"),
    0xBF: (TERMINAL_ERROR, "voltage supply too low"),
    0xC0: (TERMINAL_ERROR, "card locking mechanism defective"),
    0xC1: (TERMINAL_ERROR, "merchant card locked"),
    0xC2: (TERMINAL_ERROR, "diagnosis required"),
    0xC3: (AMOUNT_NOT_ALLOWED, "maximum amount exceeded"),
    0xC4: (CARD_NOT_ACCEPTED, "card profile invalid"),
    0xC5: (CARD_NOT_ACCEPTED, "payment method not supported"),
    0xC6: (CARD_NOT_ACCEPTED, "currency not applicable"),
    0xC8: (AMOUNT_NOT_ALLOWED, "amount too small"),
    0xC9: (AMOUNT_NOT_ALLOWED, "max. transaction amount too small"),
    0xCB: (AMOUNT_NOT_ALLOWED, "function only allowed in EURO"),
    0xCC: (TERMINAL_ERROR, "printer not ready"),
    0xCD: (TERMINAL_ERROR, "cashback not possible"),
    0xD2: (CARD_NOT_ACCEPTED, "function not permitted for service cards"),
    0xDC: (TERMINAL_BUSY, "card inserted"),
    0xDD: (CARD_NOT_READABLE, "error during card eject"),
    0xDE: (CARD_NOT_READABLE, "error during card insertion"),
    0xE0: (TERMINAL_BUSY, "remote maintenance activated"),
    0xE2: (CARD_NOT_READABLE, "card reader does not answer / card reader defective"),
    0xE3: (TERMINAL_ERROR, "shutter closed"),
    0xE4: (TERMINAL_ERROR, "terminal activation required"),
    0xE7: (TERMINAL_ERROR, "min. one goods group not found"),
    0xE8: (TERMINAL_ERROR, "no goods groups table loaded"),
    0xE9: (CARD_NOT_ACCEPTED, "restriction code not permitted"),
    0xEA: (CARD_NOT_ACCEPTED, "card code not permitted"),
    0xEB: (TERMINAL_ERROR, "function not executable (PIN algorithm unknown)"),
    0xEC: (TERMINAL_ERROR, "PIN processing not possible"),
    0xED: (TERMINAL_ERROR, "PIN pad defective"),
    0xF0: (TERMINAL_ERROR, "open end-of-day batch present"),
    0xF1: (TERMINAL_ERROR, "ec-cash/Maestro offline error"),
    0xF5: (TERMINAL_ERROR, "OPT error"),
    0xF6: (TERMINAL_ERROR, "OPT data not available"),
    0xFA: (TERMINAL_ERROR, "error transmitting offline transactions (clearing error)"),
    0xFB: (TERMINAL_ERROR, "turnover data set defective"),
    0xFC: (TERMINAL_ERROR, "necessary device not present or defective"),
    0xFD: (TERMINAL_ERROR, "baud rate not supported"),
    0xFE: (TERMINAL_ERROR, "register unknown"),
    0xFF: (TERMINAL_ERROR, "system error"),
}
# 01 to 63 are the card issuer's or network operator's own refusal codes.
_ISSUER_CODES = range(0x01, 0x64)


def result_reason(code: int) -> str:
    """The resident-facing reason key for a result code ("" for success)."""
    if code in RESULT_CODES:
        return RESULT_CODES[code][0]
    if code in _ISSUER_CODES:
        return DECLINED_BY_BANK
    return TERMINAL_ERROR


def result_text(code: int) -> str:
    """The specification's wording of a result code, for logs and the decode tool."""
    if code in RESULT_CODES:
        return RESULT_CODES[code][1]
    if code in _ISSUER_CODES:
        return f"refused by the card issuer or network operator (code {code})"
    return "unknown result code"


# Intermediate status (04 FF) -> (stage shown to the resident, specification wording)
INTERMEDIATE_STATUS: dict[int, tuple[PaymentStage, str]] = {
    0x00: (PaymentStage.WATCH_TERMINAL, "PT is waiting for amount confirmation"),
    0x01: (PaymentStage.ENTER_PIN, "please watch PIN pad"),
    0x02: (PaymentStage.ENTER_PIN, "please watch PIN pad"),
    0x03: (PaymentStage.CARD_PROBLEM, "not accepted"),
    0x04: (PaymentStage.CONTACTING_BANK, "PT is waiting for response from FEP"),
    0x05: (PaymentStage.PLEASE_WAIT, "PT is sending auto-reversal"),
    0x06: (PaymentStage.PLEASE_WAIT, "PT is sending post-bookings"),
    0x07: (PaymentStage.CARD_PROBLEM, "card not admitted"),
    0x08: (PaymentStage.CARD_PROBLEM, "card unknown / undefined"),
    0x09: (PaymentStage.CARD_PROBLEM, "expired card"),
    0x0A: (PaymentStage.INSERT_CARD, "insert card"),
    0x0B: (PaymentStage.REMOVE_CARD, "please remove card"),
    0x0C: (PaymentStage.CARD_PROBLEM, "card not readable"),
    0x0D: (PaymentStage.CARD_PROBLEM, "processing error"),
    0x0E: (PaymentStage.PLEASE_WAIT, "please wait"),
    0x0F: (PaymentStage.PLEASE_WAIT, "PT is commencing an automatic end-of-day batch"),
    0x10: (PaymentStage.CARD_PROBLEM, "invalid card"),
    0x11: (PaymentStage.WATCH_TERMINAL, "balance display"),
    0x12: (PaymentStage.CARD_PROBLEM, "system malfunction"),
    0x13: (PaymentStage.CARD_PROBLEM, "payment not possible"),
    0x14: (PaymentStage.CARD_PROBLEM, "credit not sufficient"),
    0x15: (PaymentStage.WRONG_PIN, "incorrect PIN"),
    0x16: (PaymentStage.CARD_PROBLEM, "limit not sufficient"),
    0x17: (PaymentStage.PLEASE_WAIT, "please wait"),
    0x18: (PaymentStage.CARD_PROBLEM, "PIN try limit exceeded"),
    0x19: (PaymentStage.CARD_PROBLEM, "card data incorrect"),
    0x1A: (PaymentStage.PLEASE_WAIT, "service mode"),
    0x1B: (PaymentStage.APPROVED, "approved, please fill up"),
    0x1C: (PaymentStage.APPROVED, "approved, please take goods"),
    0x1D: (PaymentStage.DECLINED, "declined"),
    0x26: (PaymentStage.WATCH_TERMINAL, "PT is waiting for input of the mobile number"),
    0x27: (PaymentStage.WATCH_TERMINAL, "PT is waiting for repeated input of the mobile number"),
    0x28: (PaymentStage.WATCH_TERMINAL, "currency selection, please wait"),
    0x29: (PaymentStage.WATCH_TERMINAL, "language selection, please wait"),
    0x2A: (PaymentStage.INSERT_CARD, "for loading please insert card"),
    0x2B: (PaymentStage.PLEASE_WAIT, "emergency transaction, please wait"),
    0x2C: (PaymentStage.PLEASE_WAIT, "application selection, please wait"),
    0x41: (PaymentStage.REMOVE_CARD, "please watch PIN pad, please remove card"),
    0x4C: (PaymentStage.REMOVE_CARD, "card not readable, please remove card"),
    0xD2: (PaymentStage.CONTACTING_BANK, "connecting dial-up"),
    0xFF: (PaymentStage.PLEASE_WAIT, "no appropriate ZVT status code matches"),
}


def intermediate_stage(code: int) -> PaymentStage:
    return INTERMEDIATE_STATUS.get(code, (PaymentStage.PLEASE_WAIT, ""))[0]


def intermediate_text(code: int) -> str:
    return INTERMEDIATE_STATUS.get(code, (None, "unknown intermediate status"))[1]


CARD_TYPES = {
    5: "girocard",
    6: "Mastercard",
    8: "American Express",
    10: "Visa",
    11: "Visa Electron",
    12: "Diners",
    13: "V PAY",
    14: "JCB",
    46: "Maestro",
}

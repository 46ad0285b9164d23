"""Builders for the APDUs both sides send. The kiosk uses the ECR ones; the terminal
simulator (drivers/payment/zvt/simulator.py) uses the terminal ones."""

from __future__ import annotations

from drivers.payment.zvt.apdu import Apdu, ll_prefix, tlv_container, to_bcd

# ECR config byte 0xBA: the ECR prints receipts, wants intermediate statuses, and
# controls payment and administration (PA00P015, registration).
CONFIG_BYTE = 0xBA
# Service byte bit 0: the terminal's service menu is locked (no function key for it),
# so nobody at the kiosk can start a transaction the kiosk does not know about.
SERVICE_MENU_LOCKED = 0x01
# Receipt types in a print text block (TLV 1F07).
MERCHANT_RECEIPT, CUSTOMER_RECEIPT, ADMIN_RECEIPT = 1, 2, 3


def _password(password: int) -> bytes:
    return to_bcd(password, 3)


# ECR -> terminal -------------------------------------------------------------


def registration(password: int, currency: int) -> Apdu:
    data = _password(password) + bytes([CONFIG_BYTE]) + to_bcd(currency, 2)
    return Apdu(0x06, 0x00, data + bytes([0x03, SERVICE_MENU_LOCKED]))


def authorization(amount_cents: int, currency: int) -> Apdu:
    return Apdu(0x06, 0x01, b"\x04" + to_bcd(amount_cents, 6) + b"\x49" + to_bcd(currency, 2))


def status_enquiry(password: int) -> Apdu:
    return Apdu(0x05, 0x01, _password(password))


def repeat_receipt(password: int) -> Apdu:
    return Apdu(0x06, 0x20, _password(password))


def reversal(password: int, receipt_number: int, amount_cents: int) -> Apdu:
    data = _password(password) + b"\x87" + to_bcd(receipt_number, 2)
    return Apdu(0x06, 0x30, data + b"\x04" + to_bcd(amount_cents, 6))


def end_of_day(password: int) -> Apdu:
    return Apdu(0x06, 0x50, _password(password))


def log_off() -> Apdu:
    return Apdu(0x06, 0x02)


def abort() -> Apdu:
    return Apdu(0x06, 0xB0)


# Either side -----------------------------------------------------------------


def positive_ack() -> Apdu:
    return Apdu(0x80, 0x00)


def negative_ack(code: int) -> Apdu:
    return Apdu(0x84, code)


# Terminal -> ECR -------------------------------------------------------------


def intermediate_status(code: int) -> Apdu:
    return Apdu(0x04, 0xFF, bytes([code]))


def status_information(
    *,
    result_code: int,
    amount_cents: int | None = None,
    currency: int | None = None,
    trace: int | None = None,
    receipt_number: int | None = None,
    terminal_id: str | None = None,
    pan_nibbles: str | None = None,
    card_type: int | None = None,
    card_name: str | None = None,
    time_hhmmss: str | None = None,
    date_mmdd: str | None = None,
) -> Apdu:
    """04 0F. ``pan_nibbles`` is the PAN as ZVT writes it: digits, E for masked ones."""
    data = bytearray(b"\x27" + bytes([result_code]))
    if amount_cents is not None:
        data += b"\x04" + to_bcd(amount_cents, 6)
    if currency is not None:
        data += b"\x49" + to_bcd(currency, 2)
    if trace is not None:
        data += b"\x0b" + to_bcd(trace, 3)
    if time_hhmmss:
        data += b"\x0c" + bytes.fromhex(time_hhmmss)
    if date_mmdd:
        data += b"\x0d" + bytes.fromhex(date_mmdd)
    if terminal_id is not None:
        data += b"\x29" + bytes.fromhex(terminal_id)
    if receipt_number is not None:
        data += b"\x87" + to_bcd(receipt_number, 2)
    if pan_nibbles:
        padded = pan_nibbles + "F" * (len(pan_nibbles) % 2)
        raw = bytes.fromhex(padded)
        data += b"\x22" + ll_prefix(len(raw), 2) + raw
    if card_type is not None:
        data += b"\x8a" + bytes([card_type])
    if card_name:
        name = card_name.encode("latin-1")
        data += b"\x8b" + ll_prefix(len(name), 2) + name
    return Apdu(0x04, 0x0F, bytes(data))


def print_line(text: str, attribute: int = 0) -> Apdu:
    return Apdu(0x06, 0xD1, bytes([attribute]) + text.encode("latin-1", "replace"))


def print_text_block(lines: list[str], receipt_type: int = CUSTOMER_RECEIPT) -> Apdu:
    texts = [(0x07, line.encode("latin-1", "replace")) for line in lines]
    return Apdu(0x06, 0xD3, tlv_container([(0x25, [*texts, (0x1F07, bytes([receipt_type]))])]))


def completion(*, status_byte: int | None = None, terminal_id: str | None = None) -> Apdu:
    data = bytearray()
    if status_byte is not None:
        data += b"\x19" + bytes([status_byte])
    if terminal_id is not None:
        data += b"\x29" + bytes.fromhex(terminal_id)
    return Apdu(0x06, 0x0F, bytes(data))


def terminal_abort(result_code: int) -> Apdu:
    return Apdu(0x06, 0x1E, bytes([result_code]))

"""Card-number masking shared by drivers, receipts and the journal.

A full card number (PAN) must never be stored, logged or printed by the kiosk.
"""

from __future__ import annotations

MASK_CHARS = frozenset("*Xx")
MAX_VISIBLE_PAN_DIGITS = 4


def is_masked_pan(pan: str) -> bool:
    """True when ``pan`` shows at most 4 digits and otherwise only mask characters.

    Deliberately strict: a BIN prefix plus last 4 (6 + 4 digits) is still rejected,
    and anything but ASCII digits and '*', 'X', 'x' is rejected, so exotic digits or
    separators cannot smuggle a number through. Drivers convert the terminal's own
    masking (ZVT's 'E' nibbles) to '*' before building a result.
    """
    if not pan or any(not (ch in MASK_CHARS or ch in "0123456789") for ch in pan):
        return False
    return sum(ch.isdigit() for ch in pan) <= MAX_VISIBLE_PAN_DIGITS


def mask_pan(pan: str) -> str:
    """Mask a PAN to its last 4 digits, keeping its length (as receipts show it)."""
    digits = "".join(ch for ch in pan if ch.isdigit())
    visible = digits[-MAX_VISIBLE_PAN_DIGITS:]
    return "*" * (len(digits) - len(visible)) + visible

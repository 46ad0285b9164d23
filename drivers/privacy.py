"""Helpers that keep raw identifiers and card numbers out of reprs, logs, storage and paper.

A full card number (PAN) must never be stored, logged or printed by the kiosk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

# Below this length, even the last 4 characters are most of the value.
_MIN_LENGTH_TO_SHOW_TAIL = 8


def mask_tail(value: str, visible: int = 4) -> str:
    """``"****1234"``-style mask. A fixed number of stars so the length does not leak."""
    if len(value) < _MIN_LENGTH_TO_SHOW_TAIL:
        return "****"
    return "****" + value[-visible:]


class RedactedMapping(Mapping[str, str]):
    """Read-only, hashable mapping whose repr names the keys but never the values."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<redacted: {', '.join(sorted(self._data))}>"


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

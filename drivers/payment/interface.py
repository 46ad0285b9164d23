"""What a card-payment terminal driver offers the kiosk core.

The terminal is PCI-approved and handles the card; the kiosk only ever receives a
masked PAN. Contract for ``pay``: an exception means nothing was sent to the
terminal and nothing was charged. Once the sale may have reached the terminal,
every ending is a :class:`PaymentResult`, with outcome UNKNOWN when the driver cannot
tell whether the card was charged (the core then runs the recovery flow).
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from drivers.base import Driver

MASK_CHARS = frozenset("*Xx")
MAX_VISIBLE_PAN_DIGITS = 4


class PaymentStage(enum.Enum):
    CONNECTING = "connecting"
    INSERT_CARD = "insert_card"
    ENTER_PIN = "enter_pin"
    PLEASE_WAIT = "please_wait"
    APPROVED = "approved"
    DECLINED = "declined"
    ABORTED = "aborted"


class PaymentOutcome(enum.Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    ABORTED = "aborted"
    UNKNOWN = "unknown"


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


@dataclass(frozen=True)
class PaymentResult:
    """How a payment ended. ``masked_pan`` is "" when no card was read.

    A driver that receives an unmasked PAN from a terminal must drop it (leave
    ``masked_pan`` empty) rather than fail: the card may already be charged.
    """

    outcome: PaymentOutcome
    amount_cents: int
    reference: str
    receipt_number: int | None = None
    masked_pan: str = ""
    card_type: str = ""
    terminal_id: str = ""
    trace: int | None = None
    reason: str = ""
    # Terminal-printed text is out of our control, so it stays out of repr.
    receipt_lines: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.masked_pan and not is_masked_pan(self.masked_pan):
            # The message must not echo the PAN it refuses.
            raise ValueError("masked_pan must show at most 4 digits")
        if self.amount_cents < 0:
            raise ValueError("amount_cents must not be negative")
        object.__setattr__(self, "receipt_lines", tuple(self.receipt_lines))


StageCallback = Callable[[PaymentStage], None]


class PaymentTerminalDriver(Driver):
    kind: ClassVar[str] = "payment"

    @abstractmethod
    def pay(self, amount_cents: int, reference: str, on_stage: StageCallback) -> PaymentResult:
        """Take a payment; blocks until it ends, so call it from a worker thread.

        ``on_stage`` is called on that thread as the terminal progresses. Raises
        ValueError for amount_cents <= 0 and RuntimeError when the terminal is
        offline or already busy (in both cases nothing was charged).
        """

    @abstractmethod
    def cancel(self) -> None:
        """Ask the payment in flight to stop; callable from any thread.

        If the card was not yet charged, ``pay`` returns ABORTED with reason
        "customer_abort"; otherwise it completes normally. No-op when idle.
        """

    @abstractmethod
    def status(self) -> str:
        """One of "idle", "busy" or "offline"."""

    @abstractmethod
    def end_of_day(self) -> dict[str, Any]:
        """Close the terminal's batch and return its totals."""

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
from drivers.privacy import is_masked_pan

# Why a payment did not go through: PaymentResult.reason, one of these; each has a
# sentence for the resident in kiosk/payment_messages.py.
DECLINED_BY_BANK = "declined_by_bank"
CUSTOMER_ABORT = "customer_abort"
CARD_NOT_READABLE = "card_not_readable"
CARD_EXPIRED = "card_expired"
CARD_NOT_ACCEPTED = "card_not_accepted"
INSUFFICIENT_FUNDS = "insufficient_funds"
WRONG_PIN = "wrong_pin"
AMOUNT_NOT_ALLOWED = "amount_not_allowed"
TERMINAL_BUSY = "terminal_busy"
TERMINAL_ERROR = "terminal_error"
NO_CONNECTION = "no_connection"

ALREADY_REVERSED = "already_reversed"


class PaymentStage(enum.Enum):
    """What the resident should see now; each has a sentence in kiosk/payment_messages."""

    CONNECTING = "connecting"
    # The terminal answered "please wait" before taking the sale: nothing started yet.
    TERMINAL_BUSY = "terminal_busy"
    INSERT_CARD = "insert_card"
    ENTER_PIN = "enter_pin"
    WRONG_PIN = "wrong_pin"
    WATCH_TERMINAL = "watch_terminal"
    CONTACTING_BANK = "contacting_bank"
    PLEASE_WAIT = "please_wait"
    REMOVE_CARD = "remove_card"
    CARD_PROBLEM = "card_problem"
    CHECKING = "checking"  # the outcome was lost; asking the terminal what happened
    APPROVED = "approved"
    DECLINED = "declined"
    ABORTED = "aborted"


class Checkpoint(enum.Enum):
    """Moments of a sale the core must make durable before the driver goes on."""

    # The terminal acknowledged the command: from now on the card may be charged.
    ACCEPTED = "accepted"
    # The terminal reported how the sale ended. The driver acknowledges the report
    # only after the recorder returns, so the outcome is on disk first; if the
    # recorder raises, the report is left unacknowledged and ``pay`` ends UNKNOWN.
    RESULT = "result"


class PaymentOutcome(enum.Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    ABORTED = "aborted"
    UNKNOWN = "unknown"


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
CheckpointRecorder = Callable[[Checkpoint, "PaymentResult | None"], None]


class PaymentTerminalDriver(Driver):
    kind: ClassVar[str] = "payment"
    # The terminal's own ID once known; the journal keeps receipt numbers per terminal.
    terminal_id: str = ""

    @abstractmethod
    def pay(
        self,
        amount_cents: int,
        reference: str,
        on_stage: StageCallback,
        on_checkpoint: CheckpointRecorder | None = None,
    ) -> PaymentResult:
        """Take a payment; blocks until it ends, so call it from a worker thread.

        ``on_stage`` and ``on_checkpoint`` are called on that thread as the terminal
        progresses. Raises ValueError for amount_cents <= 0 and RuntimeError when the
        terminal is offline or already busy (in both cases nothing was charged).
        """

    @abstractmethod
    def last_transaction(self, on_stage: StageCallback | None = None) -> PaymentResult | None:
        """The terminal's last booked transaction, for an outcome that was lost.

        Waits until the terminal is idle, then asks it to repeat its last receipt
        (ZVT: 05 01, then 06 20). Never starts a charge. None when the terminal has
        booked nothing yet. Raises RuntimeError when the terminal cannot be reached.
        """

    @abstractmethod
    def reverse(
        self,
        receipt_number: int,
        amount_cents: int,
        reference: str,
        on_checkpoint: CheckpointRecorder | None = None,
    ) -> PaymentResult:
        """Reverse a charge of this batch by its receipt number (ZVT 06 30).

        APPROVED means the charge was reversed; DECLINED that the terminal refused
        (already reversed, batch closed...); UNKNOWN that the answer was lost.
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

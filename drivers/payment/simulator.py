"""A payment terminal that needs no hardware, walking the stages a real one shows."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from drivers.payment.interface import (
    Checkpoint,
    CheckpointRecorder,
    PaymentOutcome,
    PaymentResult,
    PaymentStage,
    PaymentTerminalDriver,
    StageCallback,
)

logger = logging.getLogger(__name__)

TERMINAL_ID = "SIM00001"
MASKED_PAN = "************0042"
CARD_TYPE = "Simulated Debit"

# Until the terminal says "please wait" the card has not been charged, so a cancel
# during these stages is still honoured.
_CANCELLABLE_STAGES = (PaymentStage.CONNECTING, PaymentStage.INSERT_CARD, PaymentStage.ENTER_PIN)


class SimulatedTerminal(PaymentTerminalDriver):
    """Approves every payment except amounts listed in ``decline_amounts``.

    In-process and protocol-free, for tests of the core; demo kiosks use the ZVT
    terminal simulator through the real ZVT driver instead."""

    name = "simulator"
    terminal_id = TERMINAL_ID

    def __init__(
        self, step_delay_s: float = 0.05, decline_amounts: frozenset[int] = frozenset()
    ) -> None:
        self._step_delay_s = step_delay_s
        self._decline_amounts = frozenset(decline_amounts)
        self._started = False
        # _busy and _cancel_requested change together under _state_lock, so a cancel
        # racing with the end of one payment can never leak into the next.
        self._state_lock = threading.Lock()
        self._busy = False
        self._cancel_requested = threading.Event()
        self._totals_lock = threading.Lock()
        self._receipt_number = 0
        self._trace = 0
        self._batch_count = 0
        self._batch_total_cents = 0
        self._booked: dict[int, PaymentResult] = {}
        self._reversed: set[int] = set()
        self._last: PaymentResult | None = None

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        return True

    def start(self) -> None:
        self._started = True

    def stop(self) -> None:
        self._started = False
        self.cancel()

    def status(self) -> str:
        if not self._started:
            return "offline"
        return "busy" if self._busy else "idle"

    def cancel(self) -> None:
        with self._state_lock:
            if self._busy:
                self._cancel_requested.set()

    def pay(
        self,
        amount_cents: int,
        reference: str,
        on_stage: StageCallback,
        on_checkpoint: CheckpointRecorder | None = None,
    ) -> PaymentResult:
        if amount_cents <= 0:
            raise ValueError(f"amount_cents must be positive, got {amount_cents}")
        with self._state_lock:
            if not self._started:
                raise RuntimeError("payment terminal is offline")
            if self._busy:
                raise RuntimeError("a payment is already in flight; only one per terminal")
            self._busy = True
        try:
            if on_checkpoint is not None:
                on_checkpoint(Checkpoint.ACCEPTED, None)
            result = self._run_sale(amount_cents, reference, on_stage)
            if on_checkpoint is not None:
                try:
                    on_checkpoint(Checkpoint.RESULT, result)
                except Exception:
                    # As the interface says: an unrecorded result ends the sale UNKNOWN.
                    logger.exception("recording the result failed")
                    return PaymentResult(
                        PaymentOutcome.UNKNOWN, amount_cents, reference, reason="not_recorded"
                    )
            return result
        finally:
            with self._state_lock:
                self._busy = False
                self._cancel_requested.clear()

    def last_transaction(self, on_stage: StageCallback | None = None) -> PaymentResult | None:
        if not self._started:
            raise RuntimeError("payment terminal is offline")
        with self._totals_lock:
            return self._last

    def reverse(
        self,
        receipt_number: int,
        amount_cents: int,
        reference: str,
        on_checkpoint: CheckpointRecorder | None = None,
    ) -> PaymentResult:
        with self._totals_lock:
            original = self._booked.get(receipt_number)
            if original is None:
                return PaymentResult(
                    PaymentOutcome.DECLINED, amount_cents, reference, reason="terminal_error"
                )
            if receipt_number in self._reversed:
                return PaymentResult(PaymentOutcome.APPROVED, amount_cents, reference)
            self._reversed.add(receipt_number)
            self._receipt_number += 1
            self._trace += 1
            self._batch_total_cents -= original.amount_cents
            result = PaymentResult(
                PaymentOutcome.APPROVED,
                original.amount_cents,
                reference,
                receipt_number=self._receipt_number,
                terminal_id=TERMINAL_ID,
                trace=self._trace,
            )
            self._last = result
            return result

    def end_of_day(self) -> dict[str, Any]:
        if self.status() != "idle":
            raise RuntimeError(f"end of day needs an idle terminal, it is {self.status()}")
        with self._totals_lock:
            totals = {
                "terminal_id": TERMINAL_ID,
                "transactions": self._batch_count,
                "total_cents": self._batch_total_cents,
            }
            self._batch_count = 0
            self._batch_total_cents = 0
        return totals

    def _run_sale(
        self, amount_cents: int, reference: str, on_stage: StageCallback
    ) -> PaymentResult:
        for stage in _CANCELLABLE_STAGES:
            _report(on_stage, stage)
            if self._cancel_requested.wait(self._step_delay_s):
                _report(on_stage, PaymentStage.ABORTED)
                return PaymentResult(
                    PaymentOutcome.ABORTED, amount_cents, reference, reason="customer_abort"
                )
        _report(on_stage, PaymentStage.PLEASE_WAIT)
        # The host is deciding: a real terminal ignores cancel from here on.
        time.sleep(self._step_delay_s)
        approved = amount_cents not in self._decline_amounts
        result = self._result(amount_cents, reference, approved)
        _report(on_stage, PaymentStage.APPROVED if approved else PaymentStage.DECLINED)
        return result

    def _result(self, amount_cents: int, reference: str, approved: bool) -> PaymentResult:
        with self._totals_lock:
            self._receipt_number += 1
            self._trace += 1
            if approved:
                self._batch_count += 1
                self._batch_total_cents += amount_cents
            receipt_number, trace = self._receipt_number, self._trace
        verdict = "APPROVED" if approved else "DECLINED"
        result = PaymentResult(
            outcome=PaymentOutcome.APPROVED if approved else PaymentOutcome.DECLINED,
            amount_cents=amount_cents,
            reference=reference,
            receipt_number=receipt_number,
            masked_pan=MASKED_PAN,
            card_type=CARD_TYPE,
            terminal_id=TERMINAL_ID,
            trace=trace,
            reason="" if approved else "declined_by_issuer",
            receipt_lines=(
                "SIMULATED TERMINAL - NOT A REAL PAYMENT",
                f"Terminal-ID {TERMINAL_ID}   Trace {trace:06d}",
                f"Receipt {receipt_number:04d}",
                f"{CARD_TYPE} {MASKED_PAN}",
                f"AMOUNT EUR {amount_cents // 100}.{amount_cents % 100:02d}",
                verdict,
            ),
        )
        if approved:
            with self._totals_lock:
                self._booked[receipt_number] = result
                self._last = result
        return result


def _report(on_stage: StageCallback, stage: PaymentStage) -> None:
    # A broken display callback must not abort a payment that may be charging.
    try:
        on_stage(stage)
    except Exception:
        logger.exception("payment stage callback failed on %s", stage.name)

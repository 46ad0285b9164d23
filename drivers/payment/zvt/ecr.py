"""The kiosk's side (ECR) of ZVT: the ``zvt`` payment terminal driver.

One operation at a time, each a command followed by the terminal's messages until
its completion (06 0F) or abort (06 1E):

    kiosk  06 01 amount                    terminal
           <- 80 00 00                     (command taken: Checkpoint.ACCEPTED)
           <- 04 FF status ...  -> 80 00 00   (stages for the screen)
           <- 04 0F result      -> 80 00 00   (after Checkpoint.RESULT is on disk)
           <- 06 D1 / 06 D3 receipt lines -> 80 00 00
           <- 06 0F completion  -> 80 00 00

Whenever the sale may have reached the terminal and its result did not come back
(the line dropped, the terminal went silent or rebooted), ``pay`` returns UNKNOWN:
the core then calls ``last_transaction`` and never sends 06 01 again for that sale.
Frames are logged by name and length only, never their bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from drivers.payment.interface import (
    ALREADY_REVERSED,
    Checkpoint,
    CheckpointRecorder,
    PaymentOutcome,
    PaymentResult,
    PaymentStage,
    PaymentTerminalDriver,
    StageCallback,
)
from drivers.payment.zvt import messages
from drivers.payment.zvt.apdu import Apdu, ApduError, Parsed, decode_apdu, parse
from drivers.payment.zvt.codes import (
    NO_CONNECTION,
    TERMINAL_BUSY,
    intermediate_stage,
    intermediate_text,
    result_reason,
    result_text,
)
from drivers.payment.zvt.transport import Link, LinkError, LinkTimeouts, WireTap, open_link

log = logging.getLogger(__name__)

LINE_SETTINGS = ("8N1", "8N2", "8E1", "7E1")
ABORT_CODE_CUSTOMER = 0x6C
# Terminal status (BMP 19 of a status enquiry's completion): 00 is ready.
STATUS_READY = 0x00
STATUS_NOT_REGISTERED = 0x6B
BUSY_CODE = 0x9C
# The answer to a repeat receipt when the terminal has no transaction to repeat.
NOTHING_TO_REPEAT = 0x83


class OptionError(ValueError):
    def __init__(self, option: str, problem: str):
        self.option = option
        super().__init__(problem)


@dataclass(frozen=True)
class ZvtSettings:
    port: str
    baudrate: int = 9600
    line: str = "8N2"
    password: int = 0
    currency: int = 978  # ISO 4217 numeric (978 EUR, 840 USD)
    timeouts: LinkTimeouts = LinkTimeouts()
    # How long the terminal may take to answer a command with 80 00 00.
    reply_timeout_s: float = 5.0
    # Silence allowed while the terminal runs a sale: ZVT's T4 of 180 s covers a
    # resident looking for their card and a slow bank.
    status_timeout_s: float = 180.0
    # How long recovery waits for a terminal that reports itself busy.
    idle_wait_s: float = 60.0

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> ZvtSettings:
        """Build from string options (config keys without ``payment_``); every error
        names its option."""
        port = options.get("port", "").strip()
        if not port:
            raise OptionError("port", "is required (a device path, or socket://host:port)")
        values: dict[str, Any] = {"port": port}
        numbers = {"baudrate": (1200, 921_600), "password": (0, 999_999), "currency": (1, 999)}
        for name, (low, high) in numbers.items():
            if name in options and options[name].strip():
                try:
                    number = int(options[name])
                except ValueError:
                    problem = f"must be a whole number, got {options[name]!r}"
                    raise OptionError(name, problem) from None
                if not low <= number <= high:
                    raise OptionError(name, f"must be between {low} and {high}, got {number}")
                values[name] = number
        if options.get("line", "").strip():
            line = options["line"].strip().upper()
            if line not in LINE_SETTINGS:
                raise OptionError("line", f"must be one of {', '.join(LINE_SETTINGS)}")
            values["line"] = line
        for name in ("reply_timeout_s", "status_timeout_s", "idle_wait_s"):
            if options.get(name, "").strip():
                try:
                    seconds = float(options[name])
                except ValueError:
                    problem = f"must be a number of seconds, got {options[name]!r}"
                    raise OptionError(name, problem) from None
                if not 0.05 <= seconds <= 3600:
                    raise OptionError(name, "must be between 0.05 and 3600 seconds")
                values[name] = seconds
        return cls(**values)


class TerminalSilent(Exception):
    """The terminal did not answer in time."""


class ZvtTerminal(PaymentTerminalDriver):
    name = "zvt"

    def __init__(self, settings: ZvtSettings, *, tap: WireTap | None = None):
        self.settings = settings
        self._tap = tap
        self._link: Link | None = None
        # One ZVT operation at a time: the terminal is master until it completes.
        self._operation = threading.Lock()
        self._cancel = threading.Event()
        self.terminal_id = ""

    # Driver lifecycle ---------------------------------------------------------

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        settings = ZvtSettings.from_options(options)
        if settings.port.startswith("socket://"):
            address = urlparse(settings.port)
            try:
                with socket.create_connection((address.hostname, address.port), timeout=1):
                    return True
            except OSError:
                return False
        return os.path.exists(settings.port)

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> ZvtTerminal:
        return cls(ZvtSettings.from_options(options))

    def start(self) -> None:
        with self._operation:
            self._open()
            self._register()

    def stop(self) -> None:
        self._cancel.set()
        # A sale in flight keeps the lock; closing the port under it ends it UNKNOWN.
        if self._operation.acquire(timeout=1.0):
            try:
                if self._link is not None:
                    self._command(messages.log_off())
            except (LinkError, TerminalSilent, ApduError):
                pass
            finally:
                self._operation.release()
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def status(self) -> str:
        if self._link is None:
            return "offline"
        return "busy" if self._operation.locked() else "idle"

    def cancel(self) -> None:
        if self._operation.locked():
            self._cancel.set()

    # Operations ---------------------------------------------------------------

    def pay(
        self,
        amount_cents: int,
        reference: str,
        on_stage: StageCallback,
        on_checkpoint: CheckpointRecorder | None = None,
    ) -> PaymentResult:
        if amount_cents <= 0:
            raise ValueError(f"amount_cents must be positive, got {amount_cents}")
        with self._exclusive():
            _report(on_stage, PaymentStage.CONNECTING)
            sale = _Operation(amount_cents, reference, on_stage, on_checkpoint)
            return self._run(messages.authorization(amount_cents, self.settings.currency), sale)

    def reverse(
        self,
        receipt_number: int,
        amount_cents: int,
        reference: str,
        on_checkpoint: CheckpointRecorder | None = None,
    ) -> PaymentResult:
        command = messages.reversal(self.settings.password, receipt_number, amount_cents)
        with self._exclusive():
            operation = _Operation(amount_cents, reference, None, on_checkpoint)
            result = self._run(command, operation, cancellable=False)
        if result.outcome is PaymentOutcome.DECLINED and result.reason == ALREADY_REVERSED:
            return replace(result, outcome=PaymentOutcome.APPROVED)
        return result

    def last_transaction(self, on_stage: StageCallback | None = None) -> PaymentResult | None:
        with self._exclusive(reopen=True):
            if on_stage is not None:
                _report(on_stage, PaymentStage.CHECKING)
            self._wait_until_idle()
            operation = _Operation(0, "repeat-receipt", None, None)
            result = self._run(
                messages.repeat_receipt(self.settings.password), operation, cancellable=False
            )
        if result.outcome is PaymentOutcome.APPROVED:
            return result
        if operation.abort_code == NOTHING_TO_REPEAT:
            return None  # nothing booked yet
        # Refused (busy...) or aborted for another reason: that says nothing about
        # whether the lost sale was charged, so it must not read as "nothing booked".
        raise RuntimeError(f"the terminal did not repeat its last receipt ({result.reason})")

    def end_of_day(self) -> dict[str, Any]:
        with self._exclusive():
            operation = _Operation(0, "end-of-day", None, None)
            result = self._run(
                messages.end_of_day(self.settings.password), operation, cancellable=False
            )
        if result.outcome is not PaymentOutcome.APPROVED:
            raise RuntimeError(f"end of day failed: {result.reason or result.outcome.value}")
        return {
            "terminal_id": result.terminal_id or self.terminal_id,
            "total_cents": result.amount_cents,
            "receipt_lines": list(result.receipt_lines),
        }

    # Internals ----------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self, *, reopen: bool = False):
        if not self._operation.acquire(blocking=False):
            raise RuntimeError("the terminal is busy; only one operation at a time")
        self._cancel.clear()
        try:
            if self._link is None:
                if not reopen:
                    raise RuntimeError("the payment terminal is offline")
                self._open()
                self._register()
            yield
        finally:
            self._cancel.clear()
            self._operation.release()

    def _open(self) -> None:
        s = self.settings
        try:
            self._link = open_link(s.port, s.baudrate, s.line, s.timeouts, tap=self._tap)
        except LinkError as error:
            raise RuntimeError(str(error)) from None

    def _drop_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def _register(self) -> None:
        command = messages.registration(self.settings.password, self.settings.currency)
        deadline = time.monotonic() + self.settings.idle_wait_s
        try:
            while (reply := self._command(command)).cls == 0x84:
                if reply.ins != BUSY_CODE or time.monotonic() > deadline:
                    # An unregistered terminal must not be used: close it, like a failure.
                    self._drop_link()
                    raise RuntimeError(f"registration refused: {result_text(reply.ins)}")
                # Still finishing something, such as the sale of a kiosk that died
                # (a kiosk restarting): registering is harmless to repeat.
                log.info("registration: the terminal says please wait")
                self._pause_before_asking_again()
            completion = self._await_end()
        except (LinkError, TerminalSilent, ApduError) as error:
            self._drop_link()
            raise RuntimeError(f"registration failed: {error}") from None
        self.terminal_id = completion.get("terminal_id", self.terminal_id) or self.terminal_id
        log.info("registered with terminal %s", self.terminal_id or "(no id)")

    def _command(self, command: Apdu) -> Apdu:
        """Send a command; the terminal's first answer (80 00 00 or 84 xx)."""
        assert self._link is not None
        log.debug("-> %s", command)
        self._link.send(command.encode())
        while True:
            raw = self._link.receive(self.settings.reply_timeout_s)
            if raw is None:
                raise TerminalSilent(f"no answer to {command.name}")
            reply = decode_apdu(raw)
            if reply.cls in (0x80, 0x84):
                return reply
            # Anything else is a leftover of an earlier operation: confirm and go on.
            self._acknowledge()

    def _acknowledge(self) -> None:
        assert self._link is not None
        self._link.send(messages.positive_ack().encode())

    def _await_end(self) -> Parsed:
        """Messages up to the completion of a short command (registration, enquiry)."""
        assert self._link is not None
        while True:
            raw = self._link.receive(self.settings.reply_timeout_s)
            if raw is None:
                raise TerminalSilent("no completion")
            message = parse(decode_apdu(raw))
            self._acknowledge()
            if message.apdu.command in ((0x06, 0x0F), (0x06, 0x1E)):
                return message

    def _wait_until_idle(self, stop: Callable[[], bool] | None = None) -> bool:
        """Poll the terminal's status until it is ready (True), or ``stop`` says to
        give up (False). Raises RuntimeError if it stays busy past ``idle_wait_s``."""
        deadline = time.monotonic() + self.settings.idle_wait_s
        while True:
            if stop is not None and stop():
                return False
            try:
                reply = self._command(messages.status_enquiry(self.settings.password))
                end = self._await_end() if reply.cls == 0x80 else None
            except (LinkError, TerminalSilent, ApduError) as error:
                # The line may have dropped with the sale: open it again and ask again.
                log.info("status enquiry failed (%s); reopening the line", error)
                self._drop_link()
                if time.monotonic() > deadline:
                    raise RuntimeError("the terminal does not answer") from None
                self._pause_before_asking_again()
                try:
                    self._open()
                except RuntimeError:
                    continue
                continue
            status = _terminal_status(reply, end)
            if status == STATUS_READY:
                return True
            if status == STATUS_NOT_REGISTERED:
                self._register()  # it rebooted, and forgot us
                continue
            if time.monotonic() > deadline:
                raise RuntimeError("the terminal stayed busy")
            self._pause_before_asking_again()

    def _pause_before_asking_again(self) -> None:
        time.sleep(self.settings.timeouts.poll_s * 4)

    def _run(self, command: Apdu, op: _Operation, *, cancellable: bool = True) -> PaymentResult:
        """Send ``command`` and follow the terminal until it completes."""
        reply = self._send_command(command, op)
        if isinstance(reply, PaymentResult):
            return reply
        if reply.cls == 0x84 and reply.ins == STATUS_NOT_REGISTERED:
            # The terminal rebooted since we registered: nothing was started, so
            # register again and send the same command once more.
            log.info("%s: the terminal forgot our registration; registering again", command.name)
            try:
                self._register()
                reply = self._command(command)
            except (LinkError, TerminalSilent, ApduError, RuntimeError) as error:
                log.warning("%s after registering again: %s; outcome unknown", command.name, error)
                return op.unknown(NO_CONNECTION)
        if reply.cls == 0x84 and reply.ins == BUSY_CODE:
            reply = self._send_when_idle(command, op, cancellable)
            if isinstance(reply, PaymentResult):
                return reply
        if reply.cls == 0x84:
            log.warning("%s refused by the terminal: %s", command.name, result_text(reply.ins))
            return op.refused(reply.ins)
        op.checkpoint(Checkpoint.ACCEPTED, None)
        abort_sent = False
        while True:
            # Cancel counts only until the terminal has reported a result.
            watch_cancel = cancellable and not abort_sent and op.result is None
            if watch_cancel and self._cancel.is_set():
                abort_sent = self._send_abort()
                watch_cancel = False
            try:
                raw = self._link.receive(
                    self.settings.status_timeout_s,
                    stop=self._cancel.is_set if watch_cancel else None,
                )
            except LinkError as error:
                log.warning("%s: line lost (%s)", command.name, error)
                self._drop_link()
                return op.finish_unknown(NO_CONNECTION)
            if raw is None:
                if watch_cancel and self._cancel.is_set():
                    continue
                log.warning(
                    "%s: terminal silent for %.0f s", command.name, self.settings.status_timeout_s
                )
                self._drop_link()
                return op.finish_unknown(NO_CONNECTION)
            try:
                message = parse(decode_apdu(raw))
            except ApduError as error:
                log.warning("%s: malformed APDU from the terminal: %s", command.name, error)
                self._send_quietly(messages.negative_ack(0x9A))
                continue
            code = message.apdu.command
            if message.apdu.cls in (0x80, 0x84):
                continue  # the answer to our abort
            if code == (0x04, 0xFF):
                status = message.get("intermediate_status") or {}
                number = int(status.get("code", "FF"), 16)
                log.info("terminal: %s", intermediate_text(number))
                op.stage(intermediate_stage(number))
            elif code == (0x04, 0x0F):
                try:
                    op.record(message, self.terminal_id)
                except Exception:
                    log.exception("recording the terminal's result failed; left unacknowledged")
                    return op.finish_unknown(NO_CONNECTION)
            elif code in ((0x06, 0xD1), (0x06, 0xD3)):
                op.add_lines(message)
            elif code == (0x06, 0x1E):
                abort = message.get("result_code") or {}
                number = int(abort.get("code", "FF"), 16)
                log.info("%s aborted by the terminal: %s", command.name, result_text(number))
                try:
                    op.aborted(number)
                except Exception:
                    log.exception("recording the abort failed")
                self._send_quietly(messages.positive_ack())
                return op.final()
            elif code == (0x06, 0x0F):
                self._send_quietly(messages.positive_ack())
                return op.final()
            else:
                log.info("%s: ignoring %s", command.name, message.apdu)
            try:
                self._acknowledge()
            except LinkError as error:
                log.warning("%s: line lost while acknowledging (%s)", command.name, error)
                self._drop_link()
                return op.finish_unknown(NO_CONNECTION)

    def _send_command(self, command: Apdu, op: _Operation) -> Apdu | PaymentResult:
        """The terminal's first answer, or UNKNOWN: the command may have reached it."""
        try:
            return self._command(command)
        except (LinkError, TerminalSilent, ApduError) as error:
            log.warning("%s: no acknowledgement (%s); outcome unknown", command.name, error)
            self._drop_link_if_broken(error)
            return op.unknown(NO_CONNECTION)

    def _send_when_idle(
        self, command: Apdu, op: _Operation, cancellable: bool
    ) -> Apdu | PaymentResult:
        # "Please wait": the terminal is finishing something else, most often a sale
        # whose kiosk died before confirming its messages, and started nothing of
        # ours. A resident would only be told to try again, so wait and send again.
        log.info("%s: the terminal says please wait; waiting until it is idle", command.name)
        op.stage(PaymentStage.TERMINAL_BUSY)
        try:
            if not self._wait_until_idle(stop=self._cancel.is_set if cancellable else None):
                log.info("%s: cancelled while the terminal was busy", command.name)
                return op.cancelled_before_start()
        except RuntimeError as error:
            log.warning("%s: %s", command.name, error)
            return op.refused(BUSY_CODE)
        return self._send_command(command, op)

    def _send_abort(self) -> bool:
        log.info("asking the terminal to abort the sale")
        self._send_quietly(messages.abort())
        return True

    def _send_quietly(self, apdu: Apdu) -> None:
        try:
            if self._link is not None:
                self._link.send(apdu.encode())
        except LinkError as error:
            log.info("could not send %s: %s", apdu.name, error)

    def _drop_link_if_broken(self, error: Exception) -> None:
        if isinstance(error, LinkError):
            self._drop_link()


class _Operation:
    """What one command has produced so far; turns it into a PaymentResult."""

    def __init__(self, amount_cents, reference, on_stage, on_checkpoint):
        self.amount_cents = amount_cents
        self.reference = reference
        self._on_stage = on_stage
        self._on_checkpoint = on_checkpoint
        self.result: PaymentResult | None = None
        self.abort_code: int | None = None
        self.lines: list[str] = []
        self._customer_lines: list[str] = []

    def stage(self, stage: PaymentStage) -> None:
        if self._on_stage is not None:
            _report(self._on_stage, stage)

    def checkpoint(self, point: Checkpoint, result: PaymentResult | None) -> None:
        if self._on_checkpoint is not None:
            self._on_checkpoint(point, result)

    def record(self, message: Parsed, terminal_id: str) -> None:
        code = int((message.get("result_code") or {}).get("code", "FF"), 16)
        card = message.get("card_type") or {}
        approved = code == 0x00
        outcome = PaymentOutcome.APPROVED if approved else _failed_outcome(code)
        if message.get("pan_unmasked"):
            log.error("the terminal sent an unmasked card number; it was dropped")
        result = PaymentResult(
            outcome=outcome,
            amount_cents=message.get("amount", self.amount_cents),
            reference=self.reference,
            receipt_number=message.get("receipt_number"),
            masked_pan="" if message.get("pan_unmasked") else message.get("masked_pan", ""),
            card_type=message.get("card_name") or card.get("name", ""),
            terminal_id=message.get("terminal_id", terminal_id) or "",
            trace=message.get("trace"),
            reason=result_reason(code),
        )
        if self.result is not None and self.result.receipt_number == result.receipt_number:
            return  # the terminal repeated a report whose ACK it missed
        self.checkpoint(Checkpoint.RESULT, result)
        self.result = result
        self.stage(PaymentStage.APPROVED if approved else _stage_for(outcome))

    def aborted(self, code: int) -> None:
        self.abort_code = code
        if self.result is not None:
            return
        outcome = _failed_outcome(code)
        result = PaymentResult(
            outcome, self.amount_cents, self.reference, reason=result_reason(code)
        )
        self.checkpoint(Checkpoint.RESULT, result)
        self.result = result
        self.stage(_stage_for(outcome))

    def refused(self, code: int) -> PaymentResult:
        # 84 xx: the command itself was refused, so nothing was started.
        reason = TERMINAL_BUSY if code in (0x9C, 0x83) else result_reason(code)
        result = PaymentResult(
            PaymentOutcome.DECLINED, self.amount_cents, self.reference, reason=reason
        )
        self.stage(PaymentStage.DECLINED)
        return result

    def cancelled_before_start(self) -> PaymentResult:
        reason = result_reason(ABORT_CODE_CUSTOMER)
        result = PaymentResult(
            PaymentOutcome.ABORTED, self.amount_cents, self.reference, reason=reason
        )
        self.stage(PaymentStage.ABORTED)
        return result

    def add_lines(self, message: Parsed) -> None:
        lines = message.text_lines()
        receipt_type = message.tlv(0x1F07)
        if receipt_type and receipt_type[0].value[:1] == bytes([messages.CUSTOMER_RECEIPT]):
            self._customer_lines.extend(lines)
        else:
            self.lines.extend(lines)

    def unknown(self, reason: str) -> PaymentResult:
        return PaymentResult(
            PaymentOutcome.UNKNOWN, self.amount_cents, self.reference, reason=reason
        )

    def finish_unknown(self, reason: str) -> PaymentResult:
        # A result already on record is known, even if the receipt never came.
        return self.final() if self.result is not None else self.unknown(reason)

    def final(self) -> PaymentResult:
        if self.result is None:
            return self.unknown(NO_CONNECTION)
        lines = self._customer_lines or self.lines
        return replace(self.result, receipt_lines=tuple(lines))


def _terminal_status(reply: Apdu, end: Parsed | None) -> int:
    """A status enquiry's answer: 84 9C (busy), or a completion carrying the status
    byte (BMP 19), or an abort carrying a result code such as 6B (not registered)."""
    if end is None:
        return reply.ins if reply.cls == 0x84 else BUSY_CODE
    if end.apdu.command == (0x06, 0x1E):
        return int((end.get("result_code") or {}).get("code", "FF"), 16)
    return end.get("status_byte", STATUS_READY)


def _failed_outcome(code: int) -> PaymentOutcome:
    return PaymentOutcome.ABORTED if code == ABORT_CODE_CUSTOMER else PaymentOutcome.DECLINED


def _stage_for(outcome: PaymentOutcome) -> PaymentStage:
    return PaymentStage.ABORTED if outcome is PaymentOutcome.ABORTED else PaymentStage.DECLINED


def _report(on_stage: StageCallback, stage: PaymentStage) -> None:
    # A broken display callback must not abort a payment that may be charging.
    try:
        on_stage(stage)
    except Exception:
        log.exception("payment stage callback failed on %s", stage.name)

"""End-to-end ZVT scenarios: the real ZvtTerminal against the real TerminalSimulator.

Every serial test runs over a real socat pty pair (the kiosk on ``kiosk_end``, the
simulated terminal on ``terminal_end``); the TCP tests use the simulator's TCP port
through pyserial's ``socket://`` URL. Nothing here waits on the clock to decide an
outcome: the simulator's script and the driver's short timeouts do, and events order
the threads. No test asserts on elapsed time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import serial
from socat_pair import SocatPair

from drivers.payment.interface import (
    Checkpoint,
    PaymentOutcome,
    PaymentResult,
    PaymentStage,
)
from drivers.payment.zvt import messages, simulator
from drivers.payment.zvt.apdu import Apdu
from drivers.payment.zvt.ecr import ZvtSettings, ZvtTerminal
from drivers.payment.zvt.simulator import (
    TERMINAL_ID,
    SimulatorSettings,
    TerminalSimulator,
)
from drivers.payment.zvt.transport import NAK, LinkTimeouts, encode_frame

S = PaymentStage
O = PaymentOutcome  # noqa: E741
WAIT_S = 10  # only a guard against a hung thread; no outcome depends on it
MASKED_PAN = "************4242"  # the simulator's EEEEEEEEEEEE4242

DRIVER_TIMEOUTS = {
    "status_timeout_s": 1.5,
    "reply_timeout_s": 2,
    "idle_wait_s": 5,
    "timeouts": LinkTimeouts(ack_timeout_s=0.5, byte_timeout_s=0.5),
}
APPROVED_STAGES = [S.CONNECTING, S.INSERT_CARD, S.ENTER_PIN, S.CONTACTING_BANK, S.APPROVED]
DECLINED_STAGES = [S.CONNECTING, S.INSERT_CARD, S.ENTER_PIN, S.CONTACTING_BANK, S.DECLINED]
ABORTED_STAGES = [S.CONNECTING, S.INSERT_CARD, S.ENTER_PIN, S.ABORTED]
UNTIL_BANK = [S.CONNECTING, S.INSERT_CARD, S.ENTER_PIN, S.CONTACTING_BANK]


# Rig ----------------------------------------------------------------------------


class Rig:
    """One simulated terminal, one driver, and a tap on everything the driver sends."""

    def __init__(self, sim: TerminalSimulator, port: str, *, framed: bool, pair=None):
        self.sim = sim
        self.pair: SocatPair | None = pair
        self.framed = framed
        self.wire: list[tuple[str, bytes]] = []
        self.tx_listeners: list[Callable[[], None]] = []
        self.driver = ZvtTerminal(ZvtSettings(port=port, **DRIVER_TIMEOUTS), tap=self._tap)

    def _tap(self, direction: str, data: bytes) -> None:
        # The driver calls its tap after a write has been flushed (drained).
        self.wire.append((direction, bytes(data)))
        if direction == "tx":
            for listener in list(self.tx_listeners):
                listener()

    def on_wire(self, apdu: Apdu) -> bytes:
        raw = apdu.encode()
        return encode_frame(raw) if self.framed else raw

    def sent(self, apdu: Apdu) -> int:
        """How many times the driver transmitted ``apdu`` (retransmissions included)."""
        wanted = self.on_wire(apdu)
        return sum(1 for direction, data in self.wire if direction == "tx" and data == wanted)

    def acks_sent(self) -> int:
        return self.sent(messages.positive_ack())

    def tx_count(self) -> int:
        return sum(1 for direction, _ in self.wire if direction == "tx")

    def pay(self, amount_cents: int, reference: str = "bill-1") -> tuple[PaymentResult, Recorder]:
        recorder = Recorder(self)
        result = self.driver.pay(amount_cents, reference, recorder.stage, recorder.checkpoint)
        recorder.acks_total = self.acks_sent() - recorder.acks_before
        return result, recorder

    def authorizations(self) -> int:
        return self.sim.commands.count("Authorization")


class Recorder:
    """Stages and checkpoints of one operation, and what the wire and the terminal's
    ledger looked like at the moment the RESULT checkpoint was recorded."""

    def __init__(self, rig: Rig):
        self._rig = rig
        self.stages: list[PaymentStage] = []
        self.checkpoints: list[tuple[Checkpoint, PaymentResult | None]] = []
        self.acks_before = rig.acks_sent()
        self.acks_at_result: int | None = None
        self.sales_at_result: int | None = None
        self.acks_total: int | None = None

    def stage(self, stage: PaymentStage) -> None:
        self.stages.append(stage)

    def checkpoint(self, point: Checkpoint, result: PaymentResult | None) -> None:
        self.checkpoints.append((point, result))
        if point is Checkpoint.RESULT:
            # 80 00 00 frames the driver had sent in this operation so far: the one for
            # the 04 0F must not be among them yet.
            self.acks_at_result = self._rig.acks_sent() - self.acks_before
            self.sales_at_result = len(self._rig.sim.ledger.sales())

    @property
    def points(self) -> list[Checkpoint]:
        return [point for point, _ in self.checkpoints]

    @property
    def result(self) -> PaymentResult | None:
        results = [result for point, result in self.checkpoints if point is Checkpoint.RESULT]
        assert len(results) == 1, f"expected one RESULT checkpoint, got {self.points}"
        return results[0]


@pytest.fixture
def make_rig(tmp_path) -> Iterator[Callable[..., Rig]]:
    """``make_rig(settings=..., simulator_class=..., tcp=False)``: a started terminal
    simulator and a started driver; all stopped (socat killed) at teardown."""
    stack = contextlib.ExitStack()
    count = 0

    def make(
        *,
        settings: SimulatorSettings | None = None,
        simulator_class: type[TerminalSimulator] = TerminalSimulator,
        tcp: bool = False,
    ) -> Rig:
        nonlocal count
        count += 1
        if tcp:
            sim = simulator_class(tcp_port=0, settings=settings)
            stack.callback(sim.stop)
            sim.start()
            rig = Rig(sim, f"socket://127.0.0.1:{sim.tcp_port}", framed=False)
        else:
            directory = tmp_path / f"line{count}"
            directory.mkdir()
            pair = SocatPair(directory)
            stack.callback(pair.kill)
            pair.start()
            sim = simulator_class(serial_path=pair.terminal_end, settings=settings)
            stack.callback(sim.stop)
            sim.start()
            rig = Rig(sim, pair.kiosk_end, framed=True, pair=pair)
        stack.callback(rig.driver.stop)
        rig.driver.start()
        return rig

    with stack:
        yield make


@pytest.fixture
def rig(make_rig) -> Rig:
    return make_rig()


def in_background(target: Callable[[], object]) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = target()
        except BaseException as error:  # handed to the test thread
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def finish(thread: threading.Thread, box: dict):
    thread.join(WAIT_S)
    assert not thread.is_alive(), "the operation did not end"
    if "error" in box:
        raise box["error"]
    return box["result"]


def driver_logs(caplog, text: str) -> list[logging.LogRecord]:
    """Log records containing ``text`` written on the test's own thread (the driver),
    not on the simulator's thread (which shares the transport's logger)."""
    return [
        record
        for record in caplog.records
        if record.threadName == threading.current_thread().name and text in record.getMessage()
    ]


def terminal_logs(caplog, text: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.threadName == "zvt-terminal" and text in record.getMessage()
    ]


def assert_approved_sale(rig: Rig, result: PaymentResult, rec: Recorder, amount: int) -> None:
    entry = rig.sim.ledger.last()
    assert entry is not None and entry["kind"] == "sale"
    assert result.outcome is O.APPROVED
    assert result.amount_cents == amount == entry["amount_cents"]
    assert result.receipt_number == entry["receipt_number"]
    assert result.trace == entry["trace"]
    assert result.masked_pan == MASKED_PAN
    assert result.card_type == "Mastercard"
    assert result.terminal_id == TERMINAL_ID
    assert result.reason == ""
    assert f"AMOUNT {amount // 100}.{amount % 100:02d}" in result.receipt_lines
    assert rec.stages == APPROVED_STAGES
    assert rec.points == [Checkpoint.ACCEPTED, Checkpoint.RESULT]
    assert rec.checkpoints[0][1] is None
    assert rec.result == replace(result, receipt_lines=())


def assert_recovered_charge(rig: Rig, last: PaymentResult | None, amount: int, baseline: int):
    """What the core's recovery decides on: a newer receipt with the same amount."""
    entry = rig.sim.ledger.last()
    assert last is not None
    assert last.outcome is O.APPROVED
    assert last.amount_cents == amount
    assert last.receipt_number is not None and last.receipt_number > baseline
    assert last.receipt_number == entry["receipt_number"]
    assert last.masked_pan == MASKED_PAN


# Sales ------------------------------------------------------------------------


def test_approved_sale(rig: Rig):
    result, rec = rig.pay(1234, "bill-approve")

    assert_approved_sale(rig, result, rec, 1234)
    assert result.reference == "bill-approve"
    assert [sale["amount_cents"] for sale in rig.sim.ledger.sales()] == [1234]
    # The result was on record while the terminal still waited for its 80 00 00:
    # three intermediate statuses had been acknowledged, the 04 0F not yet.
    assert rec.acks_at_result == 3
    assert rec.sales_at_result == 1  # the terminal had charged before reporting
    # 3 statuses, the 04 0F, the receipt, the completion.
    assert rec.acks_total == 6
    assert rig.sim.commands == ["Registration", "Authorization"]
    assert rig.driver.status() == "idle"


def test_declined_sale(rig: Rig):
    rig.sim.script("decline")
    result, rec = rig.pay(500)

    assert result.outcome is O.DECLINED
    assert result.reason == "declined_by_bank"
    assert result.amount_cents == 500
    assert result.receipt_number is None
    assert result.masked_pan == ""
    assert rec.stages == DECLINED_STAGES
    assert rec.points == [Checkpoint.ACCEPTED, Checkpoint.RESULT]
    assert rec.result == replace(result, receipt_lines=())
    assert rec.acks_at_result == 3  # before the 04 0F's acknowledgement
    assert rec.acks_total == 5  # 3 statuses, the 04 0F, the 06 1E
    assert rig.sim.ledger.sales() == []


@pytest.mark.parametrize("scenario", ["abort", "timeout"])
def test_terminal_aborts_with_6c(rig: Rig, scenario: str):
    """The customer presses Stop, or never comes: the terminal ends the sale with 6C."""
    rig.sim.script(scenario)
    result, rec = rig.pay(700)

    assert result.outcome is O.ABORTED
    assert result.reason == "customer_abort"
    assert result.amount_cents == 700
    assert result.receipt_number is None
    assert result.masked_pan == ""
    assert rec.stages == ABORTED_STAGES
    assert rec.points == [Checkpoint.ACCEPTED, Checkpoint.RESULT]
    assert rec.result == replace(result, receipt_lines=())
    assert rec.acks_at_result == 2  # the two statuses; the 06 1E not yet
    assert rec.acks_total == 3
    assert rig.sim.ledger.sales() == []


def _pay_until(rig: Rig, stage: PaymentStage, amount: int):
    """Pay on a worker thread; returns the recorder, an event set at ``stage``, and the
    thread with its result box."""
    recorder = Recorder(rig)
    reached = threading.Event()

    def on_stage(current: PaymentStage) -> None:
        recorder.stage(current)
        if current is stage:
            reached.set()

    thread, box = in_background(
        lambda: rig.driver.pay(amount, "bill-bg", on_stage, recorder.checkpoint)
    )
    return recorder, reached, thread, box


def test_cancel_from_the_kiosk_while_waiting_for_the_card(make_rig):
    rig = make_rig(settings=SimulatorSettings(step_delay_s=0.3))
    rec, at_insert_card, thread, box = _pay_until(rig, S.INSERT_CARD, 900)
    assert at_insert_card.wait(WAIT_S)
    canceller = threading.Thread(target=rig.driver.cancel)
    canceller.start()
    canceller.join(WAIT_S)
    result = finish(thread, box)

    assert result.outcome is O.ABORTED
    assert result.reason == "customer_abort"
    assert result.amount_cents == 900
    assert result.receipt_number is None
    assert rec.stages[:2] == [S.CONNECTING, S.INSERT_CARD]
    assert rec.stages[-1] is S.ABORTED
    assert S.CONTACTING_BANK not in rec.stages and S.APPROVED not in rec.stages
    assert rec.points == [Checkpoint.ACCEPTED, Checkpoint.RESULT]
    assert rec.result.outcome is O.ABORTED
    assert rig.sent(messages.abort()) >= 1  # the driver asked with 06 B0
    assert rig.sim.ledger.sales() == []
    assert rig.driver.status() == "idle"


def test_cancel_the_terminal_no_longer_honours_ends_with_its_result(make_rig):
    """Once the terminal is at the bank it goes on: the sale completes normally."""
    rig = make_rig(settings=SimulatorSettings(step_delay_s=0.3))
    rec, at_bank, thread, box = _pay_until(rig, S.CONTACTING_BANK, 950)
    assert at_bank.wait(WAIT_S)
    rig.driver.cancel()
    result = finish(thread, box)

    assert rig.sent(messages.abort()) >= 1
    assert_approved_sale(rig, result, rec, 950)
    assert len(rig.sim.ledger.sales()) == 1


def test_cancel_when_idle_is_a_no_op(rig: Rig):
    rig.driver.cancel()
    result, rec = rig.pay(100)
    assert_approved_sale(rig, result, rec, 100)
    assert rig.sent(messages.abort()) == 0


def test_a_failing_stage_callback_does_not_stop_the_sale(rig: Rig):
    def broken(stage: PaymentStage) -> None:
        raise RuntimeError("display gone")

    result = rig.driver.pay(321, "bill-x", broken)
    assert result.outcome is O.APPROVED
    assert result.amount_cents == 321
    assert len(rig.sim.ledger.sales()) == 1


# Line faults --------------------------------------------------------------------


@pytest.mark.parametrize(
    "faults",
    [{"noise"}, {"corrupt"}, {"nak"}, {"split"}, {"slow"}, set(simulator.FAULTS)],
    ids=["noise", "corrupt", "nak", "split", "slow", "all"],
)
def test_line_faults_still_charge_exactly_once(rig: Rig, faults: set[str], caplog):
    caplog.set_level(logging.INFO, logger="drivers.payment.zvt")
    rig.sim.faults.update(faults)
    result, rec = rig.pay(4321)

    assert_approved_sale(rig, result, rec, 4321)
    assert len(rig.sim.ledger.sales()) == 1
    assert rig.authorizations() == 1
    if "nak" in faults:
        # Each kiosk frame was refused once and sent again.
        assert rig.sent(messages.authorization(4321, 978)) == 2
        assert driver_logs(caplog, "NAKed on try 1")
    if "corrupt" in faults:
        # The driver NAKed the broken first tries and the terminal sent them again.
        assert driver_logs(caplog, "bad frame (crc)")
        assert terminal_logs(caplog, "NAKed on try 1")
        assert sum(1 for d, data in rig.wire if d == "tx" and data == bytes([NAK])) >= 7
    rig.sim.faults.clear()
    again, rec = rig.pay(55)  # the line is still in step afterwards
    assert_approved_sale(rig, again, rec, 55)


# Lost outcomes ----------------------------------------------------------------


@pytest.mark.parametrize("earlier_sale", [False, True], ids=["first_sale", "after_a_sale"])
def test_silent_before_charging_is_unknown_and_recovery_finds_nothing(rig: Rig, earlier_sale: bool):
    baseline = rig.pay(1000)[0].receipt_number if earlier_sale else 0
    sales_before = len(rig.sim.ledger.sales())
    rig.sim.script("silent")
    result, rec = rig.pay(2500)

    assert result.outcome is O.UNKNOWN
    assert result.amount_cents == 2500
    assert result.receipt_number is None
    assert result.reason == "no_connection"
    assert rec.stages == [S.CONNECTING]
    assert rec.points == [Checkpoint.ACCEPTED]  # the card may have been charged
    assert len(rig.sim.ledger.sales()) == sales_before
    # The line was given up: a new sale is refused before anything is sent.
    assert rig.driver.status() == "offline"
    sent = rig.tx_count()
    with pytest.raises(RuntimeError):
        rig.driver.pay(2500, "bill-again", lambda stage: None)
    assert rig.tx_count() == sent

    rig.sim.silent.clear()
    stages: list[PaymentStage] = []
    last = rig.driver.last_transaction(stages.append)

    assert stages[0] is S.CHECKING
    if earlier_sale:
        assert last is not None and last.receipt_number == baseline  # nothing newer
        assert last.amount_cents == 1000
    else:
        assert last is None  # the terminal has booked nothing
    assert len(rig.sim.ledger.sales()) == sales_before
    assert rig.authorizations() == (2 if earlier_sale else 1)  # 06 01 never sent again
    assert rig.sim.commands[-2:] == ["Status Enquiry", "Repeat Receipt"]


@pytest.mark.parametrize("tcp", [False, True], ids=["serial", "tcp"])
def test_silent_after_charge_is_unknown_and_recovery_finds_the_charge(make_rig, tcp: bool):
    rig = make_rig(tcp=tcp)
    baseline = rig.pay(1000)[0].receipt_number
    rig.sim.script("silent_after_charge")
    result, rec = rig.pay(2500)

    assert result.outcome is O.UNKNOWN
    assert result.amount_cents == 2500
    assert result.receipt_number is None
    assert rec.stages == UNTIL_BANK
    assert rec.points == [Checkpoint.ACCEPTED]
    assert len(rig.sim.ledger.sales()) == 2  # charged, though the kiosk never heard

    rig.sim.silent.clear()
    stages: list[PaymentStage] = []
    last = rig.driver.last_transaction(stages.append)

    assert stages[0] is S.CHECKING
    assert_recovered_charge(rig, last, 2500, baseline)
    assert rig.authorizations() == 2
    assert len(rig.sim.ledger.sales()) == 2


def test_drop_after_charge_with_eio_then_recovery_after_replug(rig: Rig, caplog):
    """socat killed mid-sale: the kiosk's reads fail with EIO (a USB adapter pulled)."""
    caplog.set_level(logging.INFO, logger="drivers.payment.zvt")
    assert rig.pair is not None
    baseline = rig.pay(1000)[0].receipt_number
    acks_before = rig.acks_sent()
    # Unplug while the driver waits for the terminal's next message, that is once its
    # 80 00 00 for the third status (04 FF 04) has been written and drained. (Killing
    # socat while that write is still draining is the separate test below.)
    third_ack_out = threading.Event()
    rig.tx_listeners.append(lambda: rig.acks_sent() - acks_before >= 3 and third_ack_out.set())
    dropped = threading.Event()

    def unplug() -> None:
        third_ack_out.wait(WAIT_S)
        rig.pair.kill()
        dropped.set()

    rig.sim.on_dropped = unplug
    rig.sim.script("drop_after_charge")
    result, rec = rig.pay(2500)

    assert dropped.wait(WAIT_S)  # socat is gone (the simulator's thread killed it)
    assert result.outcome is O.UNKNOWN
    assert result.amount_cents == 2500
    assert result.reason == "no_connection"
    assert rec.points == [Checkpoint.ACCEPTED]
    assert rec.stages == UNTIL_BANK
    assert driver_logs(caplog, "line lost")  # a read error, not a timeout
    assert not driver_logs(caplog, "terminal silent")
    assert rig.driver.status() == "offline"
    # While unplugged the terminal cannot be reached, and nothing is guessed.
    with pytest.raises(RuntimeError):
        rig.driver.last_transaction()

    rig.pair.start()  # plugged back in
    last = rig.driver.last_transaction()

    assert_recovered_charge(rig, last, 2500, baseline)
    assert len(rig.sim.ledger.sales()) == 2
    assert rig.authorizations() == 2


def test_line_dying_while_a_write_drains_ends_unknown(rig: Rig, monkeypatch):
    """The USB adapter is pulled right after the driver wrote its 80 00 00 and before
    the write drained. pyserial's flush() is termios.tcdrain, which then raises
    termios.error (EIO) -- not an OSError -- and the driver must still end the sale
    UNKNOWN rather than raise (an exception from pay means "nothing was charged")."""
    assert rig.pair is not None
    baseline = rig.pay(1000)[0].receipt_number
    real_flush = serial.Serial.flush
    unplug_at_next_flush = threading.Event()

    def flush(port: serial.Serial) -> None:
        if port.port == rig.pair.kiosk_end and unplug_at_next_flush.is_set():
            unplug_at_next_flush.clear()
            rig.pair.kill()  # the bytes are written; now the line dies
        real_flush(port)

    monkeypatch.setattr(serial.Serial, "flush", flush)
    rec = Recorder(rig)

    def on_stage(stage: PaymentStage) -> None:
        rec.stage(stage)
        if stage is S.CONTACTING_BANK:
            unplug_at_next_flush.set()  # the driver acknowledges 04 FF 04 next

    result = rig.driver.pay(2500, "bill-drain", on_stage, rec.checkpoint)

    assert not unplug_at_next_flush.is_set()  # the line did die mid-write
    assert result.outcome is O.UNKNOWN
    assert result.amount_cents == 2500
    assert rec.points == [Checkpoint.ACCEPTED]
    assert rig.driver.status() == "offline"

    rig.pair.start()
    last = rig.driver.last_transaction()

    # Whether the terminal went on to charge depends on how far the bytes got; the
    # recovery must agree with the terminal's ledger either way.
    entry = rig.sim.ledger.last()
    assert last is not None and last.receipt_number == entry["receipt_number"]
    assert (entry["receipt_number"] > baseline) == (len(rig.sim.ledger.sales()) == 2)
    assert rig.authorizations() == 2


def test_drop_after_charge_as_a_silent_uart_then_recovery(rig: Rig, caplog):
    """A real unplugged UART raises nothing: it just goes quiet."""
    caplog.set_level(logging.INFO, logger="drivers.payment.zvt")
    baseline = rig.pay(1000)[0].receipt_number
    rig.sim.script("drop_after_charge")  # no on_dropped: socat stays up, the line is mute
    result, rec = rig.pay(2500)

    assert result.outcome is O.UNKNOWN
    assert result.amount_cents == 2500
    assert rec.points == [Checkpoint.ACCEPTED]
    assert rec.stages == UNTIL_BANK
    assert driver_logs(caplog, "terminal silent")
    assert len(rig.sim.ledger.sales()) == 2
    # Still unplugged: recovery says it cannot reach the terminal rather than guess.
    with pytest.raises(RuntimeError):
        rig.driver.last_transaction()

    rig.sim.silent.clear()  # plugged back in
    last = rig.driver.last_transaction()

    assert_recovered_charge(rig, last, 2500, baseline)
    assert rig.authorizations() == 2


def test_reboot_after_charge_recovery_registers_again(rig: Rig):
    baseline = rig.pay(1000)[0].receipt_number
    rig.sim.script("reboot_after_charge")
    result, rec = rig.pay(2500)

    assert result.outcome is O.UNKNOWN
    assert result.amount_cents == 2500
    assert rec.points == [Checkpoint.ACCEPTED]
    assert rec.stages == UNTIL_BANK
    assert not rig.sim.registered  # the terminal forgot the kiosk
    commands_before = len(rig.sim.commands)

    last = rig.driver.last_transaction()

    assert rig.sim.registered
    assert "Registration" in rig.sim.commands[commands_before:]
    assert_recovered_charge(rig, last, 2500, baseline)
    assert len(rig.sim.ledger.sales()) == 2
    assert rig.authorizations() == 2
    # The terminal is usable again.
    again, rec = rig.pay(300)
    assert_approved_sale(rig, again, rec, 300)


def test_failing_result_recorder_leaves_the_result_unacknowledged(make_rig):
    """The interface: if recording RESULT raises, the 04 0F stays unacknowledged and
    pay ends UNKNOWN; recovery then finds the charge."""
    rig = make_rig(settings=SimulatorSettings(ack_wait_s=0.5))
    baseline = rig.pay(1000)[0].receipt_number
    points: list[Checkpoint] = []
    acks_at_result: list[int] = []
    acks_before = rig.acks_sent()

    def recorder(point: Checkpoint, result: PaymentResult | None) -> None:
        points.append(point)
        if point is Checkpoint.RESULT:
            acks_at_result.append(rig.acks_sent() - acks_before)
            raise OSError("disk full")

    result = rig.driver.pay(2500, "bill-disk", lambda stage: None, recorder)

    assert result.outcome is O.UNKNOWN
    assert points == [Checkpoint.ACCEPTED, Checkpoint.RESULT]
    assert acks_at_result == [3]
    assert rig.acks_sent() - acks_before == 3  # the 04 0F was never acknowledged
    last = rig.driver.last_transaction()
    assert_recovered_charge(rig, last, 2500, baseline)
    assert rig.authorizations() == 2


class BusyOnRepeatReceipt(TerminalSimulator):
    """Refuses the first Repeat Receipt with 84 9C ("please wait"), as a terminal does
    that has just begun something else (an automatic end-of-day batch, say)."""

    refusals = 1

    def _repeat_receipt(self, command: Apdu) -> None:
        if self.refusals:
            self.refusals -= 1
            self._send(messages.negative_ack(0x9C))
            return
        super()._repeat_receipt(command)


def test_a_refused_repeat_receipt_is_not_reported_as_nothing_booked(make_rig):
    """last_transaction's None means "the terminal has booked nothing", and the core
    then records the sale as not charged. A terminal that refused to repeat its
    receipt has said no such thing: the driver must raise (the sale stays open) or
    ask again, never answer None while the charge is on the terminal."""
    rig = make_rig(simulator_class=BusyOnRepeatReceipt)
    baseline = rig.pay(1000)[0].receipt_number
    rig.sim.script("silent_after_charge")
    assert rig.pay(2500)[0].outcome is O.UNKNOWN
    rig.sim.silent.clear()

    try:
        last = rig.driver.last_transaction()
    except RuntimeError:  # "could not tell" is safe: the core asks again later
        last = rig.driver.last_transaction()

    assert last is not None, "a refused Repeat Receipt was reported as 'nothing booked'"
    assert_recovered_charge(rig, last, 2500, baseline)


def test_a_sale_waits_for_a_terminal_still_finishing_a_dead_kiosks_sale(make_rig):
    """A kiosk killed mid-sale leaves the terminal waiting for confirmations nobody
    sends. The restarted kiosk's next sale meets 84 9C ("please wait"), which starts
    nothing: the driver waits until the terminal is idle and sends the sale again,
    rather than telling the resident that the payment failed."""
    rig = make_rig(settings=SimulatorSettings(ack_wait_s=3))

    def dies_at_result(point: Checkpoint, result: PaymentResult | None) -> None:
        if point is Checkpoint.RESULT:
            raise OSError("killed")  # so the 04 0F and what follows go unconfirmed

    assert (
        rig.driver.pay(1000, "bill-dead", lambda stage: None, dies_at_result).outcome is O.UNKNOWN
    )
    result, rec = rig.pay(2500, "bill-next")

    # TERMINAL_BUSY shows that the sale really met the busy terminal.
    assert rec.stages == [S.CONNECTING, S.TERMINAL_BUSY, *APPROVED_STAGES[1:]]
    assert result.outcome is O.APPROVED and result.amount_cents == 2500
    assert [sale["amount_cents"] for sale in rig.sim.ledger.sales()] == [1000, 2500]
    assert rig.authorizations() == 2  # the refused 06 01 never reached the sale logic


class BusyTerminal(TerminalSimulator):
    """Answers every command with 84 9C ("please wait") while ``busy`` is set, as a
    terminal does while it runs its own end-of-day batch."""

    busy_for_commands = 0  # busy from the start, for this many commands

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.busy = threading.Event()
        self.refusals = 0

    def _handle(self, command: Apdu) -> None:
        if self.busy.is_set() or self.refusals < self.busy_for_commands:
            self.refusals += 1
            self._send(messages.negative_ack(0x9C))
            return
        super()._handle(command)


class BusyAtStart(BusyTerminal):
    busy_for_commands = 3


def test_registration_waits_for_a_terminal_that_says_please_wait(make_rig):
    """A restarted kiosk registers while the terminal may still be finishing the sale
    of the kiosk that died: "please wait" is not a refusal to be registered."""
    rig = make_rig(simulator_class=BusyAtStart)  # starts the driver, so registers

    assert rig.sim.refusals == 3
    assert rig.sim.commands.count("Registration") == 4
    assert rig.driver.status() == "idle"
    assert rig.pay(800)[0].outcome is O.APPROVED


def test_cancel_while_the_terminal_says_please_wait_charges_nothing(make_rig):
    rig = make_rig(simulator_class=BusyTerminal)
    rig.sim.busy.set()
    rec, waiting, thread, box = _pay_until(rig, S.TERMINAL_BUSY, 1200)
    assert waiting.wait(WAIT_S)
    rig.driver.cancel()
    result = finish(thread, box)
    rig.sim.busy.clear()

    assert result.outcome is O.ABORTED and result.reason == "customer_abort"
    assert rec.stages == [S.CONNECTING, S.TERMINAL_BUSY, S.ABORTED]
    assert rec.points == []  # nothing was accepted, so nothing is at stake
    # The refused 06 01 was the only one: the cancelled sale was never sent again.
    assert rig.authorizations() == 1 and rig.sim.ledger.sales() == []
    # The terminal, free again, takes the next sale at once.
    assert rig.pay(800)[0].outcome is O.APPROVED


def test_a_terminal_that_stays_busy_declines_the_sale_as_busy(make_rig):
    rig = make_rig(simulator_class=BusyTerminal)
    rig.sim.busy.set()
    result, rec = rig.pay(1200)

    assert result.outcome is O.DECLINED and result.reason == "terminal_busy"
    assert rec.stages == [S.CONNECTING, S.TERMINAL_BUSY, S.DECLINED]
    assert rec.points == []
    assert rig.sim.refusals > 2  # the sale, then status enquiries until idle_wait_s
    assert rig.sim.ledger.sales() == []


# Reversal and end of day ----------------------------------------------------------


def test_reversal_by_receipt_number(rig: Rig):
    sale, _ = rig.pay(1800)
    rec = Recorder(rig)
    reversal = rig.driver.reverse(sale.receipt_number, 1800, "bill-1", rec.checkpoint)

    assert reversal.outcome is O.APPROVED
    assert reversal.amount_cents == 1800
    assert reversal.receipt_number is not None
    assert reversal.receipt_number > sale.receipt_number
    assert rec.points == [Checkpoint.ACCEPTED, Checkpoint.RESULT]
    assert rec.result == replace(reversal, receipt_lines=())
    assert "REVERSAL" in reversal.receipt_lines
    entry = rig.sim.ledger.entry(reversal.receipt_number)
    assert entry["kind"] == "reversal" and entry["reverses"] == sale.receipt_number
    [booked] = rig.sim.ledger.sales()
    assert booked["receipt_number"] == sale.receipt_number and booked["reversed"]

    # Reversing again: the terminal says "already reversed", which is what we wanted.
    again = rig.driver.reverse(sale.receipt_number, 1800, "bill-1")
    assert again.outcome is O.APPROVED
    assert rig.sim.ledger.last() == entry  # no second reversal booked
    assert rig.sim.ledger.entry(reversal.receipt_number + 1) is None


def test_reversal_of_an_unknown_receipt_is_declined(rig: Rig):
    rig.pay(1800)
    result = rig.driver.reverse(99, 1800, "bill-unknown")

    assert result.outcome is O.DECLINED
    assert result.receipt_number is None
    [sale] = rig.sim.ledger.sales()
    assert not sale["reversed"]
    assert rig.sim.ledger.last()["receipt_number"] == sale["receipt_number"]  # nothing booked


def test_end_of_day_totals_equal_net_sales(rig: Rig):
    kept, _ = rig.pay(1000)
    undone, _ = rig.pay(250)
    rig.pay(777)
    rig.sim.script("decline")
    rig.pay(5000)
    assert rig.driver.reverse(undone.receipt_number, 250, "bill-2").outcome is O.APPROVED

    totals = rig.driver.end_of_day()

    net = sum(sale["amount_cents"] for sale in rig.sim.ledger.sales() if not sale["reversed"])
    assert net == 1777
    assert totals["total_cents"] == net
    assert totals["terminal_id"] == TERMINAL_ID
    assert "TOTAL 17.77" in totals["receipt_lines"]
    # The batch is closed: its sales can no longer be reversed.
    late = rig.driver.reverse(kept.receipt_number, 1000, "bill-1")
    assert late.outcome is O.DECLINED
    assert not rig.sim.ledger.sales()[0]["reversed"]


# Concurrency, privacy, TCP ----------------------------------------------------------


def test_only_one_operation_at_a_time(rig: Rig):
    release = threading.Event()
    at_insert_card = threading.Event()
    rec = Recorder(rig)

    def on_stage(stage: PaymentStage) -> None:
        rec.stage(stage)
        if stage is S.INSERT_CARD:
            at_insert_card.set()
            release.wait(WAIT_S)  # hold the sale in flight while the test pokes at it

    thread, box = in_background(lambda: rig.driver.pay(1500, "bill-1", on_stage, rec.checkpoint))
    try:
        assert at_insert_card.wait(WAIT_S)
        assert rig.driver.status() == "busy"
        sent, commands = rig.tx_count(), list(rig.sim.commands)
        second: list[PaymentStage] = []
        with pytest.raises(RuntimeError):
            rig.driver.pay(1500, "bill-2", second.append)
        with pytest.raises(RuntimeError):
            rig.driver.last_transaction()
        with pytest.raises(RuntimeError):
            rig.driver.reverse(1, 1500, "bill-1")
        with pytest.raises(RuntimeError):
            rig.driver.end_of_day()
        assert second == []
        assert rig.tx_count() == sent  # nothing was sent for the refused calls
        assert rig.sim.commands == commands
    finally:
        release.set()
    result = finish(thread, box)

    assert_approved_sale(rig, result, rec, 1500)
    assert rig.authorizations() == 1
    assert len(rig.sim.ledger.sales()) == 1
    assert rig.driver.status() == "idle"


def test_an_unmasked_pan_from_the_terminal_is_dropped(rig: Rig, monkeypatch, caplog):
    full_pan = "5413339000004242"
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(simulator, "CARD_NIBBLES", full_pan)
    result, rec = rig.pay(1234)

    assert result.outcome is O.APPROVED  # the card is charged: never fail the sale
    assert result.amount_cents == 1234
    assert result.receipt_number == rig.sim.ledger.last()["receipt_number"]
    assert result.masked_pan == ""
    assert rec.result.masked_pan == ""  # not even in what the core records
    assert full_pan not in repr(result) and full_pan not in repr(rec.checkpoints)
    assert driver_logs(caplog, "unmasked card number")
    assert full_pan not in caplog.text
    assert len(rig.sim.ledger.sales()) == 1


def test_whole_sale_over_tcp(make_rig):
    rig = make_rig(tcp=True)
    assert rig.driver.terminal_id == TERMINAL_ID
    result, rec = rig.pay(2222)

    assert_approved_sale(rig, result, rec, 2222)
    assert rec.acks_at_result == 3
    assert rec.acks_total == 6
    rig.sim.script("decline")
    declined, rec = rig.pay(2000)
    assert declined.outcome is O.DECLINED and declined.reason == "declined_by_bank"
    assert rec.stages == DECLINED_STAGES
    assert [sale["amount_cents"] for sale in rig.sim.ledger.sales()] == [2222]
    assert rig.sim.commands == ["Registration", "Authorization", "Authorization"]

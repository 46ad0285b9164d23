"""A ZVT payment terminal (the PT side) for tests, benchmarks and demo kiosks.

It answers on the far end of a serial line (a socat pty pair, or a real null-modem
cable) with DLE framing, or on a TCP port with bare APDUs, and keeps a durable
ledger of what it charged, so a test can compare it with the portal's payments.

Each sale follows the next entry of its script (default "approve"):

approve, decline, abort (the customer presses Stop), timeout (the customer never
comes: the terminal gives up with 6C), silent (goes quiet after taking the command,
charging nothing), silent_after_charge, drop_after_charge (charges, then calls
``on_dropped`` so a test can kill socat, and stops talking), reboot_after_charge
(charges, then forgets the in-flight sale and its registration).

Line faults apply to everything the terminal sends while set: ``noise`` (junk before
each frame), ``corrupt`` (the first try of each frame has a bad byte), ``nak`` (the
first try of each kiosk frame is NAKed), ``split`` (frames written in small pieces)
and ``slow`` (byte by byte, with gaps below the kiosk's byte timeout).

Run it by hand: ``python -m drivers.payment.zvt.simulator --serial /dev/pts/5`` or
``--tcp 20007``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import logging
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import serial

from drivers.payment.zvt import messages
from drivers.payment.zvt.apdu import Apdu, ApduError, decode_apdu, parse
from drivers.payment.zvt.transport import (
    ETX,
    FramedLink,
    LinkError,
    LinkTimeouts,
    PlainLink,
)

log = logging.getLogger(__name__)

TERMINAL_ID = "52500017"
CARD_NIBBLES = "EEEEEEEEEEEE4242"  # what a terminal sends: masked digits as E
CARD_TYPE_ID = 6  # Mastercard
CARD_NAME = "Mastercard"
DECLINE_CODE = 0x05  # an issuer's refusal ("do not honour")
SALES = (
    "approve",
    "decline",
    "abort",
    "timeout",
    "silent",
    "silent_after_charge",
    "drop_after_charge",
    "reboot_after_charge",
)
FAULTS = frozenset({"noise", "corrupt", "nak", "split", "slow"})
_LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    receipt_number INTEGER PRIMARY KEY,
    trace INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'reversal')),
    reverses INTEGER,
    batch INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Ledger:
    """What the terminal charged and reversed; durable so it outlives a "reboot"."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_LEDGER_SCHEMA)
        self._lock = threading.Lock()

    def _next(self, name: str) -> int:
        row = self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = (row[0] if row else 0) + 1
        self._conn.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, value))
        return value

    def book(self, amount_cents: int, *, reverses: int | None = None) -> dict:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            receipt, trace, batch = self._next("receipt"), self._next("trace"), self.batch()
            self._conn.execute(
                "INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    receipt,
                    trace,
                    amount_cents,
                    "sale" if reverses is None else "reversal",
                    reverses,
                    batch,
                    datetime.datetime.now().isoformat(timespec="seconds"),
                ),
            )
            self._conn.execute("COMMIT")
        return self.entry(receipt)

    def batch(self) -> int:
        row = self._conn.execute("SELECT value FROM counters WHERE name = 'batch'").fetchone()
        return row[0] if row else 1

    def close_batch(self) -> int:
        with self._lock:
            rows = self._conn.execute(
                "SELECT kind, amount_cents FROM charges WHERE batch = ?", (self.batch(),)
            ).fetchall()
            self._conn.execute(
                "INSERT OR REPLACE INTO counters VALUES ('batch', ?)", (self.batch() + 1,)
            )
        return sum(amount if kind == "sale" else -amount for kind, amount in rows)

    def entry(self, receipt_number: int) -> dict | None:
        row = self._conn.execute(
            "SELECT receipt_number, trace, amount_cents, kind, reverses, batch FROM charges"
            " WHERE receipt_number = ?",
            (receipt_number,),
        ).fetchone()
        if row is None:
            return None
        keys = ("receipt_number", "trace", "amount_cents", "kind", "reverses", "batch")
        return dict(zip(keys, row, strict=True))

    def last(self) -> dict | None:
        row = self._conn.execute("SELECT max(receipt_number) FROM charges").fetchone()
        return self.entry(row[0]) if row and row[0] else None

    def reversed(self, receipt_number: int) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM charges WHERE reverses = ?", (receipt_number,)
        ).fetchone()
        return row is not None

    def sales(self) -> list[dict]:
        """Every sale, with ``reversed`` telling whether a reversal undid it."""
        rows = self._conn.execute(
            "SELECT receipt_number FROM charges WHERE kind = 'sale' ORDER BY receipt_number"
        ).fetchall()
        out = []
        for (receipt,) in rows:
            entry = self.entry(receipt)
            entry["reversed"] = self.reversed(receipt)
            out.append(entry)
        return out

    def close(self) -> None:
        self._conn.close()


class _TerminalLink(FramedLink):
    """The terminal's end of the serial line, with the faults a test asks for."""

    def __init__(self, port, timeouts, faults: set[str], rng: random.Random):
        super().__init__(port, timeouts)
        self.faults = faults
        self._rng = rng
        self._naked: set[bytes] = set()
        self._corrupted: set[bytes] = set()

    def _refuse(self, apdu: bytes) -> bool:
        if "nak" in self.faults and apdu not in self._naked:
            self._naked.add(apdu)
            return True
        self._naked.discard(apdu)
        return False

    def _write(self, data: bytes) -> None:
        if len(data) == 1:  # ACK or NAK
            return super()._write(data)
        if "noise" in self.faults:
            junk = bytes(self._rng.choice(b"\x00\x41\x55\xaa\xfe\x03\x02") for _ in range(5))
            super()._write(junk)
        if "corrupt" in self.faults and data not in self._corrupted:
            self._corrupted.add(data)
            broken = bytearray(data)
            broken[-3 if broken[-3] != ETX else -1] ^= 0x40
            data = bytes(broken)
        else:
            self._corrupted.discard(data)
        if "slow" in self.faults:
            for byte in data:
                super()._write(bytes([byte]))
                time.sleep(0.002)
        elif "split" in self.faults:
            for start in range(0, len(data), 3):
                super()._write(data[start : start + 3])
                time.sleep(0.001)
        else:
            super()._write(data)


class _SocketPort:
    """Just enough of a pyserial port over an accepted TCP connection for PlainLink."""

    def __init__(self, connection: socket.socket):
        self._connection = connection
        self.timeout = 0.05

    @property
    def in_waiting(self) -> int:
        return 0

    def read(self, size: int) -> bytes:
        self._connection.settimeout(self.timeout)
        try:
            data = self._connection.recv(max(size, 4096))
        except TimeoutError:
            return b""
        if not data:
            raise serial.SerialException("connection closed")
        return data

    def write(self, data: bytes) -> int:
        self._connection.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._connection.close()


@dataclass
class SimulatorSettings:
    step_delay_s: float = 0.0
    # Decline every sale of these amounts (demo kiosks decline 6.66 to show how).
    decline_amounts: frozenset[int] = frozenset()
    # How long the terminal waits for the kiosk's 80 00 00 before giving up.
    ack_wait_s: float = 5.0
    receipt_lines: int = 6


class _Rebooted(Exception):
    pass


@dataclass
class _State:
    registered: bool = False
    script: list[str] = field(default_factory=list)


class TerminalSimulator:
    """Serve one line; ``start`` runs it on a thread, ``stop`` ends it."""

    def __init__(
        self,
        *,
        serial_path: str | None = None,
        tcp_port: int | None = None,
        ledger: Ledger | None = None,
        settings: SimulatorSettings | None = None,
        seed: int = 7,
    ):
        if (serial_path is None) == (tcp_port is None):
            raise ValueError("give exactly one of serial_path and tcp_port")
        self.serial_path = serial_path
        self.ledger = ledger or Ledger()
        self.settings = settings or SimulatorSettings()
        self.faults: set[str] = set()
        self.on_dropped: Callable[[], None] | None = None
        self.commands: list[str] = []  # names of the commands received, in order
        self._state = _State()
        self._script_lock = threading.Lock()
        self._rng = random.Random(seed)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._link = None
        self._server: socket.socket | None = None
        if tcp_port is not None:
            self._server = socket.create_server(("127.0.0.1", tcp_port))
            self._server.settimeout(0.1)
        self.silent = threading.Event()  # set: the terminal answers nothing

    @property
    def tcp_port(self) -> int | None:
        return self._server.getsockname()[1] if self._server else None

    # Control ------------------------------------------------------------------

    def script(self, *sales: str) -> None:
        unknown = [sale for sale in sales if sale not in SALES]
        if unknown:
            raise ValueError(f"unknown sale scenario {unknown[0]!r}; known: {', '.join(SALES)}")
        with self._script_lock:
            self._state.script.extend(sales)

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="zvt-terminal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._server is not None:
            self._server.close()

    @property
    def registered(self) -> bool:
        return self._state.registered

    # Serving ------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                self._link = self._connect()
            except (OSError, serial.SerialException):
                time.sleep(0.05)
                continue
            if self._link is None:
                continue
            self.silent.clear()  # a new connection: whatever went quiet is back
            try:
                self._loop()
            except (LinkError, OSError, serial.SerialException) as error:
                log.info("terminal line closed: %s", error)
            finally:
                self._link.close()
                self._link = None
                time.sleep(0.02)

    def _connect(self):
        timeouts = LinkTimeouts(ack_timeout_s=1.0, byte_timeout_s=0.5, poll_s=0.02)
        if self._server is not None:
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                return None
            return PlainLink(_SocketPort(connection), timeouts)
        # ZVT's line default, as the kiosk side opens it (irrelevant on a pty, not on a cable).
        port = serial.Serial(self.serial_path, stopbits=serial.STOPBITS_TWO, timeout=0.02)
        return _TerminalLink(port, timeouts, self.faults, self._rng)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            raw = self._link.receive(0.1)
            if raw is None or self.silent.is_set():
                continue
            try:
                command = decode_apdu(raw)
            except ApduError:
                self._send(messages.negative_ack(0x9A))
                continue
            self.commands.append(command.name)
            try:
                self._handle(command)
            except _Rebooted:
                log.info("terminal rebooted")

    def _handle(self, command: Apdu) -> None:
        handlers = {
            (0x06, 0x00): self._register,
            (0x06, 0x02): self._log_off,
            (0x05, 0x01): self._status_enquiry,
            (0x06, 0x01): self._sale,
            (0x06, 0x20): self._repeat_receipt,
            (0x06, 0x30): self._reversal,
            (0x06, 0x50): self._end_of_day,
        }
        handler = handlers.get(command.command)
        if handler is None:
            if command.cls not in (0x80, 0x84):
                self._send(messages.negative_ack(0x83))
            return
        handler(command)

    def _send(self, apdu: Apdu) -> None:
        self._link.send(apdu.encode())

    def _message(self, apdu: Apdu, *, during_sale: bool = False) -> bool:
        """Send a terminal message and wait for the kiosk's 80 00 00.

        Returns False when the kiosk asked to abort instead (06 B0) during a sale."""
        self._send(apdu)
        deadline = time.monotonic() + self.settings.ack_wait_s
        while time.monotonic() < deadline:
            raw = self._link.receive(deadline - time.monotonic())
            if raw is None:
                break
            try:
                reply = decode_apdu(raw)
            except ApduError:
                continue
            if reply.command == (0x80, 0x00):
                return True
            if reply.command == (0x06, 0xB0) and during_sale:
                self._send(messages.positive_ack())
                return False
            if reply.cls not in (0x80, 0x84):
                self._send(messages.negative_ack(0x9C))  # busy: please wait
        return True  # a terminal goes on without the kiosk's confirmation

    def _completion(self) -> None:
        self._message(messages.completion(terminal_id=TERMINAL_ID))

    # Commands -----------------------------------------------------------------

    def _register(self, command: Apdu) -> None:
        parsed = parse(command)
        if parsed.get("config_byte") != f"{messages.CONFIG_BYTE:02X}":
            log.info("registration with config byte %s", parsed.get("config_byte"))
        self._state.registered = True
        self._send(messages.positive_ack())
        self._completion()

    def _log_off(self, command: Apdu) -> None:
        self._state.registered = False
        self._send(messages.positive_ack())

    def _status_enquiry(self, command: Apdu) -> None:
        self._send(messages.positive_ack())
        if not self._state.registered:
            self._message(messages.terminal_abort(0x6B))
            return
        self._message(messages.completion(status_byte=0x00, terminal_id=TERMINAL_ID))

    def _next_sale(self, amount_cents: int) -> str:
        with self._script_lock:
            if self._state.script:
                return self._state.script.pop(0)
        return "decline" if amount_cents in self.settings.decline_amounts else "approve"

    def _pause(self) -> None:
        if self.settings.step_delay_s:
            time.sleep(self.settings.step_delay_s)

    def _sale(self, command: Apdu) -> None:
        if not self._state.registered:
            self._send(messages.negative_ack(0x6B))
            return
        amount = parse(command).get("amount")
        if not amount:
            self._send(messages.negative_ack(0x83))
            return
        plan = self._next_sale(amount)
        self._send(messages.positive_ack())
        if plan == "silent":
            self.silent.set()
            return
        for status in (0x0A, 0x01):
            self._pause()
            if not self._message(messages.intermediate_status(status), during_sale=True):
                self._message(messages.terminal_abort(0x6C))
                return
        if plan in ("abort", "timeout"):
            self._pause()
            self._message(messages.terminal_abort(0x6C))
            return
        self._pause()
        if not self._message(messages.intermediate_status(0x04), during_sale=True):
            self._message(messages.terminal_abort(0x6C))
            return
        self._pause()
        if plan == "decline":
            self._message(messages.status_information(result_code=DECLINE_CODE))
            self._message(messages.terminal_abort(DECLINE_CODE))
            return
        entry = self.ledger.book(amount)  # the bank said yes: the card is charged
        if plan == "silent_after_charge":
            self.silent.set()
            return
        if plan == "drop_after_charge":
            self.silent.set()
            if self.on_dropped is not None:
                self.on_dropped()
            return
        if plan == "reboot_after_charge":
            self._state.registered = False
            raise _Rebooted()
        self._report(entry)

    def _report(self, entry: dict) -> None:
        """04 0F, the customer receipt and the completion for a booked entry."""
        now = datetime.datetime.now()
        self._message(
            messages.status_information(
                result_code=0x00,
                amount_cents=entry["amount_cents"],
                currency=978,
                trace=entry["trace"],
                receipt_number=entry["receipt_number"],
                terminal_id=TERMINAL_ID,
                pan_nibbles=CARD_NIBBLES,
                card_type=CARD_TYPE_ID,
                card_name=CARD_NAME,
                time_hhmmss=now.strftime("%H%M%S"),
                date_mmdd=now.strftime("%m%d"),
            )
        )
        self._message(messages.print_text_block(self._receipt(entry)))
        self._completion()

    def _receipt(self, entry: dict) -> list[str]:
        amount = entry["amount_cents"]
        title = "REVERSAL" if entry["kind"] == "reversal" else "SALE"
        lines = [
            "SIMULATED TERMINAL - NOT A REAL PAYMENT",
            f"{title}",
            f"Terminal-ID {TERMINAL_ID}   Trace {entry['trace']:06d}",
            f"Receipt {entry['receipt_number']:04d}",
            f"{CARD_NAME} ************4242",
            f"AMOUNT {amount // 100}.{amount % 100:02d}",
            "APPROVED",
        ]
        return lines[: max(self.settings.receipt_lines, 3)]

    def _repeat_receipt(self, command: Apdu) -> None:
        self._send(messages.positive_ack())
        entry = self.ledger.last()
        if entry is None:
            self._message(messages.terminal_abort(0x83))
            return
        self._report(entry)

    def _reversal(self, command: Apdu) -> None:
        parsed = parse(command)
        receipt = parsed.get("receipt_number")
        self._send(messages.positive_ack())
        original = self.ledger.entry(receipt) if receipt else None
        if original is None or original["kind"] != "sale":
            self._message(messages.terminal_abort(0xB5))
            return
        if self.ledger.reversed(receipt):
            self._message(messages.terminal_abort(0xB4))
            return
        if original["batch"] != self.ledger.batch():
            self._message(messages.terminal_abort(0xB5))  # that batch is closed
            return
        entry = self.ledger.book(original["amount_cents"], reverses=receipt)
        self._report(entry)

    def _end_of_day(self, command: Apdu) -> None:
        self._send(messages.positive_ack())
        total = self.ledger.close_batch()
        self._message(
            messages.status_information(
                result_code=0x00, amount_cents=max(total, 0), terminal_id=TERMINAL_ID
            )
        )
        self._message(
            messages.print_text_block(["END OF DAY", f"TOTAL {total // 100}.{total % 100:02d}"])
        )
        self._completion()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--serial", help="device path of the terminal's end of the line")
    where.add_argument("--tcp", type=int, help="TCP port to listen on, on loopback")
    parser.add_argument("--ledger", default=":memory:", help="SQLite file for the ledger")
    parser.add_argument("--step-delay", type=float, default=0.5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    simulator = TerminalSimulator(
        serial_path=args.serial,
        tcp_port=args.tcp,
        ledger=Ledger(args.ledger),
        settings=SimulatorSettings(step_delay_s=args.step_delay),
    )
    simulator.start()
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(1)
    simulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

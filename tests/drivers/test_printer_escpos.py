"""The python-escpos printer driver against the TCP printer simulator, a serial port (a
pty bridged to the simulator) and a file."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest
from escpos.printer import Dummy

from drivers.manager import CONNECTED, MISSING, DeviceEvent, DeviceManager
from drivers.printer.escpos_driver import (
    EscposPrinter,
    EscposSettings,
    backoff_delays,
)
from drivers.printer.interface import (
    PrinterError,
    PrinterStatus,
    PrintInterrupted,
    ReceiptDocument,
    ReceiptLine,
    render_escpos,
)
from drivers.printer.tcp_simulator import PrinterSimulator

REPO = Path(__file__).resolve().parents[2]
STATUS_QUERIES = {b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"}


def receipt(title: str = "CITY HALL") -> ReceiptDocument:
    return ReceiptDocument(
        lines=(
            ReceiptLine(title, bold=True, double=True, align="center"),
            ReceiptLine("Parking permit 2025"),
            ReceiptLine("Total 12.50", align="right"),
        ),
        qr_data="https://city.example/r/abc",
    )


def escpos_bytes(doc: ReceiptDocument, profile: str | None = None) -> bytes:
    """The bytes python-escpos produces for ``doc``, collected by its Dummy printer."""
    dummy = Dummy(profile=profile)
    render_escpos(doc, dummy)
    return dummy.output


@pytest.fixture
def sim() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as simulator:
        yield simulator


@pytest.fixture
def make_printer():
    """Builds and starts drivers (quick timeouts and backoff); stops them after the test."""
    printers: list[EscposPrinter] = []

    def make(simulator: PrinterSimulator | None = None, *, on_alert=None, **fields):
        if simulator is not None:
            host, port = simulator.address
            fields = {"transport": "network", "host": host, "port": port, **fields}
        fields = {"timeout_s": 2.0, "backoff_s": 0.01, **fields}
        printer = EscposPrinter(EscposSettings(**fields), on_alert=on_alert)
        printers.append(printer)
        printer.start()
        return printer

    yield make
    for printer in printers:
        printer.stop()


def only_queries(raw: bytes) -> bool:
    """Whether ``raw`` (a connection's bytes) holds nothing but DLE EOT status queries."""
    return len(raw) % 3 == 0 and all(
        raw[i : i + 3] in STATUS_QUERIES for i in range(0, len(raw), 3)
    )


# --- network: printing -------------------------------------------------------------------


def test_receipt_bytes_arrive_exactly(sim, make_printer):
    printer = make_printer(sim)

    printer.print_document(receipt())
    printer.print_document(receipt("SECOND"))

    assert sim.wait_for_jobs(2) == [escpos_bytes(receipt()), escpos_bytes(receipt("SECOND"))]
    [log] = sim.connections
    assert log.rejected == b""
    # Status before and after each job, never inside one.
    assert [query for query, _ in log.queries] == [b"\x10\x04\x01", b"\x10\x04\x04"] * 4


def test_a_profile_changes_the_bytes_as_it_does_for_python_escpos(sim, make_printer):
    printer = make_printer(sim, profile="POS-5890")

    printer.print_document(receipt())
    printer.stop()

    # The POS-5890 has no cutter: python-escpos leaves the cut out, so the simulator sees
    # the job end with the connection.
    sim.wait_for_connections(1)
    [job] = sim.jobs
    assert job == escpos_bytes(receipt(), profile="POS-5890")
    assert job != escpos_bytes(receipt()) and b"\x1dV" not in job


@pytest.mark.parametrize("state", list(PrinterStatus))
def test_each_simulator_state_maps_to_its_status(make_printer, state):
    with PrinterSimulator(state=state) as simulator:
        printer = make_printer(simulator)

        assert printer.status() is state


def test_status_follows_the_printer_on_one_connection(sim, make_printer):
    printer = make_printer(sim)

    seen = []
    for state in [*PrinterStatus, PrinterStatus.OK]:
        sim.set_state(state)
        seen.append(printer.status())

    assert seen == [*PrinterStatus, PrinterStatus.OK]
    assert len(sim.connections) == 1


def test_a_printer_that_never_answers_is_offline(sim, make_printer):
    sim.answer_status = False
    printer = make_printer(sim, timeout_s=0.2, reconnect_attempts=1)

    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterError) as caught:
        printer.print_document(receipt())

    assert caught.value.status is PrinterStatus.OFFLINE
    assert sim.captured == b""


@pytest.mark.parametrize("state", ["paper_out", "cover_open", "offline"])
def test_refuses_before_printing_and_sends_nothing(sim, make_printer, state):
    printer = make_printer(sim)
    sim.set_state(state)

    with pytest.raises(PrinterError) as caught:
        printer.print_document(receipt())

    assert caught.value.status is PrinterStatus(state)
    assert not isinstance(caught.value, PrintInterrupted)  # nothing sent: safe to retry
    printer.stop()
    [log] = sim.wait_for_connections(1)
    assert only_queries(log.raw)
    assert log.captured == log.rejected == b""
    assert sim.jobs == []


def test_paper_out_mid_job_raises_after_the_partial_job(sim, make_printer):
    printer = make_printer(sim)
    sim.paper_out_after(40)

    with pytest.raises(PrintInterrupted) as caught:
        printer.print_document(receipt())

    assert caught.value.status is PrinterStatus.PAPER_OUT
    assert "partly printed" in str(caught.value)
    expected = escpos_bytes(receipt())
    printer.stop()
    [log] = sim.wait_for_connections(1)
    assert log.captured == expected[:40]
    assert log.rejected == expected[40:]
    assert sim.jobs == [expected[:40]]


def test_paper_near_end_prints_and_alerts_once_per_roll(sim, make_printer):
    alerts: list[PrinterStatus] = []
    printer = make_printer(sim, on_alert=alerts.append)
    sim.set_state(PrinterStatus.PAPER_NEAR_END)

    printer.print_document(receipt())
    printer.print_document(receipt())
    assert alerts == [PrinterStatus.PAPER_NEAR_END]
    assert sim.wait_for_jobs(2) == [escpos_bytes(receipt())] * 2

    sim.set_state(PrinterStatus.OK)  # a new roll
    assert printer.status() is PrinterStatus.OK
    sim.set_state(PrinterStatus.PAPER_NEAR_END)
    assert printer.status() is PrinterStatus.PAPER_NEAR_END
    assert alerts == [PrinterStatus.PAPER_NEAR_END] * 2


def test_a_failing_alert_callback_does_not_stop_the_print(sim, make_printer):
    def broken(status: PrinterStatus) -> None:
        raise RuntimeError("the heartbeat is down")

    printer = make_printer(sim, on_alert=broken)
    sim.set_state(PrinterStatus.PAPER_NEAR_END)

    printer.print_document(receipt())

    assert sim.wait_for_jobs(1) == [escpos_bytes(receipt())]


# --- network: connections ---------------------------------------------------------------


def test_disconnect_mid_job_is_not_resent_and_the_next_print_reconnects(sim, make_printer):
    printer = make_printer(sim)
    sim.drop_after(25)

    with pytest.raises(PrintInterrupted) as caught:
        printer.print_document(receipt())
    assert caught.value.status is PrinterStatus.OFFLINE
    assert not printer.connected

    # The printer is away: the next job waits through the backoff, then gives up.
    sim.stop()
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterError) as caught:
        printer.print_document(receipt("SECOND"))
    assert caught.value.status is PrinterStatus.OFFLINE
    assert not isinstance(caught.value, PrintInterrupted)

    sim.start()
    printer.print_document(receipt("THIRD"))

    assert sim.wait_for_jobs(2) == [escpos_bytes(receipt())[:25], escpos_bytes(receipt("THIRD"))]
    first, second = sim.connections
    assert first.dropped and first.captured == escpos_bytes(receipt())[:25]
    assert second.captured == escpos_bytes(receipt("THIRD"))


def test_a_printer_restarted_between_jobs_is_reconnected_transparently(sim, make_printer):
    printer = make_printer(sim)
    printer.print_document(receipt())
    sim.wait_for_jobs(1)

    sim.stop()  # power cycle: the driver's idle connection is dead now
    sim.start()

    assert printer.status() is PrinterStatus.OK
    printer.print_document(receipt("AFTER RESTART"))
    assert sim.wait_for_jobs(2)[1] == escpos_bytes(receipt("AFTER RESTART"))


def test_reconnect_retries_until_the_printer_is_back(sim, make_printer):
    printer = make_printer(sim, backoff_s=0.05, reconnect_attempts=20)
    sim.stop()
    restarted = threading.Timer(0.1, sim.start)
    restarted.start()
    try:
        assert printer.reconnect()
    finally:
        restarted.join()

    assert printer.status() is PrinterStatus.OK


def test_reconnect_gives_up_after_the_attempts(sim, make_printer):
    printer = make_printer(sim, reconnect_attempts=3)
    sim.stop()

    assert not printer.reconnect()
    assert not printer.connected
    assert printer.status() is PrinterStatus.OFFLINE


def test_start_fails_when_the_printer_is_unreachable(sim):
    host, port = sim.address
    sim.stop()
    printer = EscposPrinter(EscposSettings("network", host=host, port=port))

    with pytest.raises(PrinterError) as caught:
        printer.start()

    assert caught.value.status is PrinterStatus.OFFLINE
    assert printer.status() is PrinterStatus.OFFLINE


def test_not_started_is_offline(sim):
    host, port = sim.address
    printer = EscposPrinter(EscposSettings("network", host=host, port=port))

    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterError):
        printer.print_document(receipt())
    assert sim.connections == []


def test_backoff_doubles_up_to_the_cap():
    assert backoff_delays(6, 0.25, 1.5) == [0.25, 0.5, 1.0, 1.5, 1.5]
    assert backoff_delays(1, 0.25, 4.0) == []


# --- device manager ---------------------------------------------------------------------


def printer_config(simulator: PrinterSimulator) -> dict[str, str]:
    host, port = simulator.address
    return {
        "printer": "escpos",
        "printer.transport": "network",
        "printer.host": host,
        "printer.port": str(port),
    }


def test_device_manager_finds_and_starts_the_escpos_printer(sim):
    events: list[DeviceEvent] = []
    manager = DeviceManager(printer_config(sim), events.append)
    try:
        manager.detect_once()
        printer = manager.get("printer")

        assert isinstance(printer, EscposPrinter)
        assert events == [DeviceEvent("printer", "escpos", CONNECTED)]
        printer.print_document(receipt())
        assert sim.wait_for_jobs(1) == [escpos_bytes(receipt())]
    finally:
        manager.stop()


def test_device_manager_reports_an_unreachable_printer_missing(sim):
    config = printer_config(sim)
    sim.stop()
    events: list[DeviceEvent] = []
    manager = DeviceManager(config, events.append)
    try:
        manager.detect_once()
    finally:
        manager.stop()

    assert manager.get("printer") is None
    assert events == [DeviceEvent("printer", "escpos", MISSING)]


# --- options and layout -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "columns", "paper_width"),
    [("TM-T88V", 42, 80), ("TM-T20II", 48, 80), ("POS-5890", 32, 58), ("ZJ-5870", 32, 58)],
)
def test_columns_and_paper_width_from_a_profile(profile, columns, paper_width):
    printer = EscposPrinter.from_options({"transport": "file", "path": "x", "profile": profile})

    assert (printer.columns, printer.paper_width) == (columns, paper_width)


@pytest.mark.parametrize(
    ("options", "columns", "paper_width"),
    [
        ({}, 48, 80),
        ({"paper_width": "58"}, 32, 58),
        ({"paper_width": "80"}, 48, 80),
        ({"columns": "40"}, 40, 80),
        ({"columns": "30", "paper_width": "58", "profile": "TM-T88V"}, 30, 58),
    ],
)
def test_columns_and_paper_width_from_the_options(options, columns, paper_width):
    printer = EscposPrinter.from_options({"transport": "file", "path": "x", **options})

    assert (printer.columns, printer.paper_width) == (columns, paper_width)


def test_options_for_each_transport():
    usb = EscposSettings.from_options(
        {"transport": "usb", "vendor_id": "0x04b8", "product_id": "0e15"}
    )
    serial = EscposSettings.from_options(
        {"transport": "serial", "port": "/dev/ttyUSB0", "baudrate": "38400"}
    )
    network = EscposSettings.from_options(
        {"transport": "network", "host": "10.0.0.9", "timeout": "1.5", "backoff": "0.5"}
    )

    assert (usb.vendor_id, usb.product_id) == (0x04B8, 0x0E15)
    assert usb.target == "usb 04b8:0e15"
    assert (serial.serial_port, serial.baudrate) == ("/dev/ttyUSB0", 38400)
    assert (network.host, network.port, network.timeout_s, network.backoff_s) == (
        "10.0.0.9",
        9100,
        1.5,
        0.5,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "transport must be one of"),
        ({"transport": "bluetooth"}, "transport must be one of"),
        ({"transport": "network"}, "needs host"),
        ({"transport": "network", "host": "h", "port": "nine"}, "option port is not valid"),
        ({"transport": "network", "host": "h", "port": "70000"}, "port must be 1..65535"),
        ({"transport": "serial"}, "needs port"),
        ({"transport": "usb", "vendor_id": "04b8"}, "needs vendor_id and product_id"),
        ({"transport": "usb", "vendor_id": "xyz", "product_id": "1"}, "vendor_id is not valid"),
        ({"transport": "file"}, "needs path"),
        ({"transport": "file", "path": "x", "paper_width": "76"}, "paper_width must be 58"),
        ({"transport": "file", "path": "x", "columns": "0"}, "columns must be"),
        ({"transport": "file", "path": "x", "reconnect_attempts": "0"}, "at least 1"),
        ({"transport": "file", "path": "x", "hostname": "h"}, "unknown escpos printer option"),
    ],
)
def test_bad_options_are_rejected_with_the_reason(options, message):
    with pytest.raises(ValueError, match=message):
        EscposSettings.from_options(options)


def test_an_unknown_profile_is_rejected():
    with pytest.raises(ValueError, match="unknown python-escpos printer profile 'TM-X'"):
        EscposPrinter.from_options({"transport": "file", "path": "x", "profile": "TM-X"})


# --- file transport ---------------------------------------------------------------------


def test_file_transport_writes_the_bytes(tmp_path, make_printer):
    path = tmp_path / "receipts.bin"
    assert EscposPrinter.detect({"transport": "file", "path": str(path)})
    printer = make_printer(transport="file", path=str(path))

    assert printer.status() is PrinterStatus.OK
    printer.print_document(receipt())
    printer.print_document(receipt("SECOND"))
    printer.stop()

    assert path.read_bytes() == escpos_bytes(receipt()) + escpos_bytes(receipt("SECOND"))


def test_file_transport_in_a_missing_directory_is_absent(tmp_path):
    options = {"transport": "file", "path": str(tmp_path / "nowhere" / "receipts.bin")}

    assert not EscposPrinter.detect(options)
    with pytest.raises(PrinterError) as caught:
        EscposPrinter.from_options(options).start()
    assert caught.value.status is PrinterStatus.OFFLINE


# --- serial transport: a pty wired to the TCP simulator ---------------------------------


@contextlib.contextmanager
def serial_port_to(simulator: PrinterSimulator) -> Iterator[str]:
    """A pseudo-terminal whose other end is a TCP connection to ``simulator``: what the
    driver writes to the serial device reaches the simulator, and its replies come back."""
    master, slave = os.openpty()
    tty.setraw(slave)
    connection = socket.create_connection(simulator.address, timeout=5)
    stopping = threading.Event()

    def to_printer() -> None:
        while not stopping.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    return
                connection.sendall(data)

    def from_printer() -> None:
        while data := connection.recv(4096):
            os.write(master, data)

    threads = [threading.Thread(target=to_printer), threading.Thread(target=from_printer)]
    for thread in threads:
        thread.start()
    try:
        yield os.ttyname(slave)
    finally:
        stopping.set()
        threads[0].join()
        connection.shutdown(socket.SHUT_RDWR)
        threads[1].join()
        connection.close()
        os.close(master)
        os.close(slave)


def test_serial_transport_prints_and_reads_the_status(sim, make_printer):
    with serial_port_to(sim) as device:
        assert EscposPrinter.detect({"transport": "serial", "port": device})
        printer = make_printer(transport="serial", serial_port=device, baudrate=38400)

        printer.print_document(receipt())
        sim.set_state(PrinterStatus.PAPER_NEAR_END)
        assert printer.status() is PrinterStatus.PAPER_NEAR_END
        sim.set_state(PrinterStatus.COVER_OPEN)
        assert printer.status() is PrinterStatus.COVER_OPEN
        printer.stop()

    assert sim.wait_for_jobs(1) == [escpos_bytes(receipt())]


# --- import cost ------------------------------------------------------------------------


def test_importing_the_printer_driver_does_not_import_python_escpos():
    code = "import sys, drivers.printer.escpos_driver\nsys.exit('escpos' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0

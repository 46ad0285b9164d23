"""The TCP printer simulator, driven through python-escpos's Network printer over real TCP."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, Network

from drivers.printer.interface import PrinterStatus, ReceiptDocument, ReceiptLine, render_escpos
from drivers.printer.tcp_simulator import PrinterSimulator

REPO = Path(__file__).resolve().parents[2]
OFFLINE_CAUSE = b"\x10\x04\x02"
ERROR_CAUSE = b"\x10\x04\x03"


def receipt(title: str = "CITY HALL") -> ReceiptDocument:
    return ReceiptDocument(
        lines=(
            ReceiptLine(title, bold=True, double=True, align="center"),
            ReceiptLine("Parking permit 2025"),
            ReceiptLine("Total 12.50", align="right"),
        ),
        qr_data="https://city.example/r/abc",
    )


def escpos_bytes(*docs: ReceiptDocument) -> list[bytes]:
    """What one python-escpos printer object sends for each of ``docs`` in turn, collected
    by its own Dummy printer. One object, because python-escpos remembers the code page it
    selected and does not select it again for the next document."""
    dummy = Dummy()
    sent = []
    for doc in docs:
        before = len(dummy.output)
        render_escpos(doc, dummy)
        sent.append(dummy.output[before:])
    return sent


@pytest.fixture
def sim():
    with PrinterSimulator() as simulator:
        yield simulator


@pytest.fixture
def network():
    """Builds python-escpos Network printers; closes them after the test."""
    printers: list[Network] = []

    def connect(simulator: PrinterSimulator, timeout: float = 5) -> Network:
        host, port = simulator.address
        printer = Network(host, port, timeout=timeout)
        printers.append(printer)
        return printer

    yield connect
    for printer in printers:
        printer.close()


def raw_client(simulator: PrinterSimulator) -> socket.socket:
    client = socket.create_connection(simulator.address, timeout=5)
    return client


def test_captures_exactly_what_python_escpos_sends(sim, network):
    printer = network(sim)

    render_escpos(receipt(), printer)
    printer.close()

    expected = escpos_bytes(receipt())[0]
    assert sim.wait_for_jobs(1) == [expected]
    assert sim.captured == expected
    [log] = sim.wait_for_connections(1)
    assert log.raw == log.captured == expected
    assert log.rejected == b"" and log.queries == [] and not log.dropped


def test_status_queries_mid_job_are_answered_but_not_captured(sim, network):
    printer = network(sim)

    render_escpos(ReceiptDocument(lines=[ReceiptLine("first half")], cut=False), printer)
    assert printer.paper_status() == 2
    assert printer.is_online()
    render_escpos(receipt(), printer)
    printer.close()

    expected = b"".join(
        escpos_bytes(ReceiptDocument(lines=[ReceiptLine("first half")], cut=False), receipt())
    )
    assert sim.wait_for_jobs(1) == [expected]
    [log] = sim.wait_for_connections(1)
    assert log.captured == expected
    assert log.queries == [(b"\x10\x04\x04", 0x12), (b"\x10\x04\x01", 0x12)]
    assert b"\x10\x04" in log.raw


@pytest.mark.parametrize(
    ("state", "online", "paper", "offline_cause", "error_cause"),
    [
        ("ok", True, 2, b"\x12", b"\x12"),
        ("paper_near_end", True, 1, b"\x12", b"\x12"),
        ("paper_out", False, 0, b"\x32", b"\x12"),
        ("cover_open", False, 2, b"\x16", b"\x12"),
        ("offline", False, 2, b"\x52", b"\x52"),
    ],
)
def test_each_state_through_python_escpos_status_api(
    network, state, online, paper, offline_cause, error_cause
):
    with PrinterSimulator(state=state) as simulator:
        printer = network(simulator)

        assert printer.is_online() is online
        assert printer.paper_status() == paper
        assert printer.query_status(OFFLINE_CAUSE) == offline_cause
        assert printer.query_status(ERROR_CAUSE) == error_cause
        assert simulator.state is PrinterStatus(state)


def test_state_changes_reach_an_open_connection(sim, network):
    printer = network(sim)
    assert printer.is_online()

    sim.set_state(PrinterStatus.COVER_OPEN)
    assert not printer.is_online()
    assert printer.query_status(OFFLINE_CAUSE) == b"\x16"

    sim.set_state("ok")
    assert printer.is_online()


def test_gs_r_paper_sensor_status(sim):
    # python-escpos 3.1 never sends GS r; other clients (and the later driver) may.
    replies = {}
    with raw_client(sim) as client:
        for state in PrinterStatus:
            sim.set_state(state)
            client.sendall(b"\x1dr\x01")
            replies[state] = client.recv(1)

    assert replies == {
        PrinterStatus.OK: b"\x00",
        PrinterStatus.PAPER_NEAR_END: b"\x03",
        PrinterStatus.PAPER_OUT: b"\x0f",
        PrinterStatus.COVER_OPEN: b"\x00",
        PrinterStatus.OFFLINE: b"\x00",
    }
    assert sim.wait_for_connections(1)[0].captured == b""


def test_paper_runs_out_mid_job(sim, network):
    printer = network(sim)
    sim.paper_out_after(40)

    render_escpos(receipt(), printer)
    assert printer.paper_status() == 0
    assert not printer.is_online()
    printer.close()

    expected = escpos_bytes(receipt())[0]
    [log] = sim.wait_for_connections(1)
    assert log.captured == expected[:40]
    assert log.rejected == expected[40:]
    assert sim.jobs == [expected[:40]]
    assert sim.state is PrinterStatus.PAPER_OUT


def test_dropped_connection_mid_job(sim, network):
    printer = network(sim)
    sim.drop_after(25)

    # The reset reaches the client during the job or, at the latest, at the status read.
    with pytest.raises(OSError):
        render_escpos(receipt(), printer)
        printer.is_online()

    [log] = sim.wait_for_connections(1)
    assert log.dropped
    first, second = escpos_bytes(receipt(), receipt())
    assert sim.jobs == [first[:25]]
    # python-escpos keeps the dead socket: it does not reconnect by itself...
    with pytest.raises(BrokenPipeError):
        printer.is_online()
    # ...but after close() the next command opens a new connection.
    printer.close()
    render_escpos(receipt(), printer)
    assert printer.is_online()
    assert sim.wait_for_jobs(2)[1] == second


def test_jobs_split_at_every_cut_form(sim):
    cuts = [b"\x1dV\x00", b"\x1dV\x01", b"\x1dVA\x03", b"\x1dVB\x00", b"\x1dV0", b"\x1dV1"]
    parts = [f"receipt {i}\n".encode() + cut for i, cut in enumerate(cuts)]
    with raw_client(sim) as client:
        client.sendall(b"".join(parts) + b"no cut yet\n")

    assert sim.wait_for_jobs(7) == [*parts, b"no cut yet\n"]


def test_cut_and_status_bytes_inside_a_payload_are_print_data(sim):
    # A QR payload that happens to contain GS V 0 and DLE EOT 4: no cut, but a real
    # printer still answers the DLE EOT, and so does the simulator.
    data = b"1P0" + b"ab\x1dV\x00cd\x10\x04\x04ef"
    store_qr = b"\x1d(k" + len(data).to_bytes(2, "little") + data
    with raw_client(sim) as client:
        client.sendall(b"\x1b@" + store_qr + b"\x1dV\x00")
        assert client.recv(1) == b"\x12"

    assert sim.wait_for_jobs(1) == [b"\x1b@" + store_qr + b"\x1dV\x00"]
    [log] = sim.wait_for_connections(1)
    assert log.queries == [(b"\x10\x04\x04", 0x12)]


def test_python_escpos_raises_timeout_when_printer_never_answers(sim, network):
    sim.answer_status = False
    printer = network(sim, timeout=0.2)

    with pytest.raises(TimeoutError):
        printer.is_online()

    printer.close()
    assert sim.wait_for_connections(1)[0].queries == [(b"\x10\x04\x01", None)]


def test_restart_keeps_the_port_and_python_escpos_needs_open(sim, network):
    address = sim.address
    sim.stop()
    printer = network(sim)

    with pytest.raises(DeviceNotFoundError):
        printer.is_online()
    # After a failed connect python-escpos holds device None: no retry, just an assert.
    with pytest.raises(AssertionError):
        printer.is_online()

    sim.start()
    assert sim.address == address
    printer.open()
    assert printer.is_online()


def test_cli_writes_each_job_to_the_capture_dir(tmp_path, network):
    (tmp_path / "job-0007.bin").write_bytes(b"from an earlier run")
    process = subprocess.Popen(
        [sys.executable, "-m", "drivers.printer.tcp_simulator", "--port", "0"]
        + ["--state", "paper_near_end", "--capture-dir", str(tmp_path)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(30, process.kill)
    watchdog.start()
    try:
        banner = process.stdout.readline()
        assert "listening on 127.0.0.1:" in banner, banner
        port = int(banner.split("127.0.0.1:")[1].split(",")[0])
        printer = Network("127.0.0.1", port, timeout=5)
        render_escpos(receipt("FIRST"), printer)
        render_escpos(receipt("SECOND"), printer)
        assert printer.paper_status() == 1
        printer.close()
        written = [process.stdout.readline(), process.stdout.readline()]
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=10)
    finally:
        watchdog.cancel()
        process.kill()

    assert process.returncode == 0
    assert all(line.startswith("job ") for line in written), written
    assert "stopped after 2 job(s)" in out
    first, second = escpos_bytes(receipt("FIRST"), receipt("SECOND"))
    assert (tmp_path / "job-0008.bin").read_bytes() == first
    assert (tmp_path / "job-0009.bin").read_bytes() == second
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "job-0007.bin",
        "job-0008.bin",
        "job-0009.bin",
    ]

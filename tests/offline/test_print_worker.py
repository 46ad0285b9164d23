"""The print worker against real printers: the in-process simulator, and the escpos
driver over real TCP to the printer simulator. Paper out, a roll ending mid-job, a
dropped link and a flapping printer never lose a receipt and never print one twice."""

from __future__ import annotations

import datetime

import pytest

from drivers.printer.escpos_driver import EscposPrinter, EscposSettings
from drivers.printer.interface import PrinterStatus
from drivers.printer.render import render
from drivers.printer.simulator import SimulatedPrinter
from drivers.printer.tcp_simulator import PrinterSimulator
from kiosk.printing import PrintSettings, PrintWorker
from kiosk.receipts import PaidBill, Receipt
from offline.alerts import PRINTER_PAPER_NEAR_END, Alerts
from offline.db import open_database
from offline.print_jobs import FAILED, PRINTED, QUEUED, UNCERTAIN, PrintJobs


def receipt(reference: str, language: str = "en") -> dict:
    return Receipt(
        city="City of Lindenfield",
        kiosk_id="lib-central-01",
        location="Central Library",
        when=datetime.datetime(2026, 11, 22, 10, 5),
        service="Pay a bill",
        reference=reference,
        tracking_url=f"https://portal.example/track/{reference}",
        bills=(PaidBill("W-1001", "Water bill", 4250),),
        details=(("Name", "María José Van den Brûle"),),
        language=language,
    ).to_dict()


class Bench:
    """A kiosk database, its print jobs, and a worker printing on ``printer``."""

    def __init__(self, tmp_path, cipher, printer, *, preview_dir=None):
        self.path = tmp_path / "kiosk.db"
        self.jobs = PrintJobs(open_database(self.path), cipher)
        self.alerts = Alerts(open_database(self.path))
        self.printer = printer
        self.outcomes = []
        self.statuses = []
        self.worker = PrintWorker(
            lambda: (PrintJobs(open_database(self.path), cipher), Alerts(open_database(self.path))),
            lambda: self.printer,
            PrintSettings(preview_dir=preview_dir),
            on_outcome=self.outcomes.append,
            on_status=self.statuses.append,
        )

    def add(self, reference: str, language: str = "en") -> int:
        with self.jobs.transaction():
            return self.jobs.add(reference, receipt(reference, language))

    def ask_again(self, job_id: int) -> int | None:
        with self.jobs.transaction():
            return self.jobs.ask_again(job_id)

    def state(self, job_id: int) -> str:
        return self.jobs.get(job_id).state

    def close(self):
        self.worker.stop()


@pytest.fixture
def sim():
    with PrinterSimulator() as simulator:
        yield simulator


@pytest.fixture
def network_bench(tmp_path, cipher, sim):
    host, port = sim.address
    printer = EscposPrinter(
        EscposSettings(transport="network", host=host, port=port, timeout_s=2.0, backoff_s=0.01)
    )
    printer.start()
    bench = Bench(tmp_path, cipher, printer)
    yield bench
    bench.close()
    printer.stop()


def printed_references(data: bytes, *references: str) -> dict[str, int]:
    """How many receipts of each reference are on the paper (one QR code each)."""
    return {
        reference: data.count(f"https://portal.example/track/{reference}".encode())
        for reference in references
    }


def test_a_receipt_prints_once_and_a_second_pass_prints_nothing(network_bench, sim):
    job = network_bench.add("K-AAAA-0001")
    [outcome] = network_bench.worker.run_once()
    assert (outcome.state, outcome.printer_status) == (PRINTED, PrinterStatus.OK)
    assert network_bench.worker.run_once() == []
    [paper] = sim.wait_for_jobs(1)
    assert b"K-AAAA-0001" in paper and network_bench.state(job) == PRINTED
    assert "María" not in paper.decode("latin-1")  # only via the code page, never UTF-8
    assert "Mar\xa0a" not in render(paper).lines  # the name is legible on paper
    assert any("Van den Br" in line for line in render(paper).lines)


def test_paper_out_before_printing_sends_nothing_and_waits_for_a_person(network_bench, sim):
    sim.set_state(PrinterStatus.PAPER_OUT)
    job = network_bench.add("K-AAAA-0002")
    [outcome] = network_bench.worker.run_once()
    assert (outcome.state, outcome.printer_status) == (FAILED, PrinterStatus.PAPER_OUT)
    assert sim.captured == b"" and network_bench.state(job) == FAILED
    sim.set_state(PrinterStatus.OK)
    assert network_bench.worker.run_once() == []  # nobody asked: the resident may be gone
    assert network_bench.ask_again(job) == job  # never printed: the same job, not a copy
    [outcome] = network_bench.worker.run_once()
    assert outcome.state == PRINTED
    [paper] = sim.wait_for_jobs(1)
    assert b"COPY" not in paper


def test_paper_out_mid_job_then_a_reprint_never_duplicates_a_finished_receipt(network_bench, sim):
    first = network_bench.add("K-AAAA-0003")
    network_bench.worker.run_once()
    sim.wait_for_jobs(1)
    sim.paper_out_after(150)
    second = network_bench.add("K-AAAA-0004")
    [cut_off] = network_bench.worker.run_once()
    assert cut_off.state == UNCERTAIN and network_bench.state(second) == UNCERTAIN
    sim.set_state(PrinterStatus.OK)  # a new roll
    assert network_bench.worker.run_once() == []  # half a receipt is never resent by itself

    copy = network_bench.ask_again(second)
    assert copy not in (first, second)
    [outcome] = network_bench.worker.run_once()
    assert outcome.state == PRINTED and outcome.job_id == copy
    assert network_bench.ask_again(first) != first  # asking for the first makes a copy too
    network_bench.worker.run_once()

    counts = printed_references(sim.captured, "K-AAAA-0003", "K-AAAA-0004")
    # 0003: the original and the copy asked for. 0004: only the copy got as far as its
    # QR code; the original stopped with the paper. Nothing was printed by a retry.
    assert counts == {"K-AAAA-0003": 2, "K-AAAA-0004": 1}
    assert sim.captured.count(b"K-AAAA-0004") >= 2  # the cut-off start is on paper too
    copies = [job for job in sim.jobs if b"COPY" in job]
    assert len(copies) == 2
    assert [network_bench.state(job) for job in (first, second)] == [PRINTED, UNCERTAIN]


def test_a_link_dropped_mid_job_is_uncertain_and_the_next_receipt_reconnects(network_bench, sim):
    sim.drop_after(120)
    dropped = network_bench.add("K-AAAA-0005")
    [outcome] = network_bench.worker.run_once()
    assert outcome.state == UNCERTAIN and network_bench.state(dropped) == UNCERTAIN
    following = network_bench.add("K-AAAA-0006")
    [outcome] = network_bench.worker.run_once()
    assert outcome.state == PRINTED and network_bench.state(following) == PRINTED
    assert len(sim.connections) >= 2


def test_a_flapping_printer_is_reconnected_and_nothing_is_lost(network_bench, sim):
    sim.stop()  # switched off, or its cable pulled
    job = network_bench.add("K-AAAA-0007")
    [outcome] = network_bench.worker.run_once()
    assert (outcome.state, outcome.printer_status) == (FAILED, PrinterStatus.OFFLINE)
    sim.start()  # back on the same port
    network_bench.ask_again(job)
    [outcome] = network_bench.worker.run_once()
    assert outcome.state == PRINTED
    assert printed_references(sim.captured, "K-AAAA-0007") == {"K-AAAA-0007": 1}


def test_paper_near_end_prints_and_alerts_a_technician_once_per_roll(network_bench, sim):
    sim.set_state(PrinterStatus.PAPER_NEAR_END)
    for number in range(3):
        network_bench.add(f"K-AAAA-001{number}")
    outcomes = network_bench.worker.run_once()
    assert [outcome.state for outcome in outcomes] == [PRINTED] * 3
    alerts = [alert.kind for alert in network_bench.alerts.active()]
    assert alerts == [PRINTER_PAPER_NEAR_END]
    assert PrinterStatus.PAPER_NEAR_END in network_bench.statuses

    network_bench.alerts.acknowledge(PRINTER_PAPER_NEAR_END)  # a technician brought paper
    sim.set_state(PrinterStatus.OK)
    network_bench.add("K-AAAA-0020")
    network_bench.worker.run_once()
    assert network_bench.alerts.active() == []
    sim.set_state(PrinterStatus.PAPER_NEAR_END)  # the new roll runs low in its turn
    network_bench.add("K-AAAA-0021")
    network_bench.worker.run_once()
    assert [alert.kind for alert in network_bench.alerts.active()] == [PRINTER_PAPER_NEAR_END]


def test_a_crash_mid_print_is_never_reprinted_by_itself(tmp_path, cipher):
    printer = SimulatedPrinter()
    printer.start()
    bench = Bench(tmp_path, cipher, printer)
    job = bench.add("K-AAAA-0030")
    with bench.jobs.transaction():
        bench.jobs.start(job)  # the kiosk dies with the job in the printer
    waiting = bench.add("K-AAAA-0031")
    with bench.jobs.transaction():
        bench.jobs.recover()  # what the runtime does at start-up
    assert bench.worker.run_once() == [] and printer.jobs == []
    assert (bench.state(job), bench.state(waiting)) == (UNCERTAIN, FAILED)
    bench.close()


def test_arabic_and_chinese_receipts_print_through_the_worker(network_bench, sim):
    for number, language in enumerate(("ar", "zh_Hans")):
        network_bench.add(f"K-BBBB-000{number}", language)
    outcomes = network_bench.worker.run_once()
    assert [outcome.state for outcome in outcomes] == [PRINTED, PRINTED]
    for paper in sim.wait_for_jobs(2):
        assert b"\x1dv0" in paper  # labels as raster pictures: no code page has them
        assert "María".encode() not in paper


def test_demo_previews_are_pictures_of_the_paper_and_only_the_latest_are_kept(tmp_path, cipher):
    printer = SimulatedPrinter()
    printer.start()
    bench = Bench(tmp_path, cipher, printer, preview_dir=tmp_path / "previews")
    for number in range(7):
        bench.add(f"K-CCCC-000{number}")
    outcomes = bench.worker.run_once()
    assert all(outcome.preview is not None for outcome in outcomes)
    kept = sorted(path.name for path in (tmp_path / "previews").glob("*.png"))
    assert kept == [f"receipt-{outcome.job_id}.png" for outcome in outcomes[-5:]]
    assert outcomes[-1].preview.stat().st_size > 1000
    bench.close()


def test_without_a_printer_the_job_fails_and_waits(tmp_path, cipher):
    bench = Bench(tmp_path, cipher, None)
    job = bench.add("K-DDDD-0001")
    [outcome] = bench.worker.run_once()
    assert (outcome.state, outcome.printer_status) == (FAILED, PrinterStatus.OFFLINE)
    assert bench.jobs.get(job).last_error == "no printer connected"
    assert bench.jobs.due() == [] and bench.state(job) != QUEUED
    bench.close()

import pytest

from drivers.printer.interface import (
    PrinterError,
    PrinterStatus,
    ReceiptDocument,
    ReceiptLine,
)
from drivers.printer.simulator import SimulatedPrinter

ESC_INIT = b"\x1b@"
BOLD_ON = b"\x1bE\x01"
BOLD_OFF = b"\x1bE\x00"
QR_COMMAND = b"\x1d(k"
CUT = b"\x1dV"


@pytest.fixture
def printer():
    printer = SimulatedPrinter()
    printer.start()
    yield printer
    printer.stop()


def receipt(qr_data=None):
    return ReceiptDocument(
        lines=(
            ReceiptLine("CITY HALL", bold=True, double=True, align="center"),
            ReceiptLine("Parking permit 2025"),
            ReceiptLine("Total 12.50", align="right"),
        ),
        qr_data=qr_data,
    )


def test_job_is_real_escpos(printer):
    printer.print_document(receipt(qr_data="https://city.example/r/abc"))

    [job] = printer.jobs
    assert job.startswith(ESC_INIT)
    assert b"CITY HALL" in job and b"Parking permit 2025" in job
    assert BOLD_ON in job
    assert BOLD_OFF in job[job.index(BOLD_ON) :]
    assert QR_COMMAND in job
    assert b"https://city.example/r/abc" in job
    assert job.rindex(CUT) > job.index(b"Total 12.50")


def test_no_qr_command_without_qr_data(printer):
    printer.print_document(receipt())

    assert QR_COMMAND not in printer.jobs[0]


def test_no_cut_when_not_asked(printer):
    printer.print_document(ReceiptDocument(lines=[ReceiptLine("tear here")], cut=False))

    assert CUT not in printer.jobs[0]


def test_paper_out_raises_and_records_nothing(printer):
    printer.set_status(PrinterStatus.PAPER_OUT)

    with pytest.raises(PrinterError) as caught:
        printer.print_document(receipt())

    assert caught.value.status is PrinterStatus.PAPER_OUT
    assert printer.jobs == []


def test_paper_near_end_still_prints(printer):
    printer.set_status(PrinterStatus.PAPER_NEAR_END)

    printer.print_document(receipt())

    assert len(printer.jobs) == 1


def test_offline_until_started():
    printer = SimulatedPrinter()

    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterError):
        printer.print_document(receipt())


@pytest.mark.parametrize(
    ("status", "can_print"),
    [
        (PrinterStatus.OK, True),
        (PrinterStatus.PAPER_NEAR_END, True),
        (PrinterStatus.PAPER_OUT, False),
        (PrinterStatus.COVER_OPEN, False),
        (PrinterStatus.OFFLINE, False),
    ],
)
def test_can_print(status, can_print):
    assert status.can_print is can_print


def test_receipt_line_rejects_unknown_alignment():
    with pytest.raises(ValueError, match="align"):
        ReceiptLine("x", align="middle")

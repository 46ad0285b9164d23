"""A receipt printer that needs no hardware but produces the real ESC/POS bytes."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from drivers.printer.interface import (
    PrinterError,
    PrinterStatus,
    ReceiptDocument,
    ReceiptPrinterDriver,
    render_escpos,
)


class SimulatedPrinter(ReceiptPrinterDriver):
    """Keeps each printed job's bytes in ``jobs``; ``set_status`` fakes paper and cover.

    Like a real printer it is OFFLINE until started.
    """

    name = "simulator"

    def __init__(self, status: PrinterStatus = PrinterStatus.OK) -> None:
        self._status = status
        self._started = False
        self._lock = threading.Lock()
        self.jobs: list[bytes] = []

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        return True

    def start(self) -> None:
        self._started = True

    def stop(self) -> None:
        self._started = False

    def status(self) -> PrinterStatus:
        return self._status if self._started else PrinterStatus.OFFLINE

    def set_status(self, status: PrinterStatus) -> None:
        self._status = status

    def print_document(self, doc: ReceiptDocument) -> PrinterStatus:
        with self._lock:
            status = self.status()
            if not status.can_print:
                raise PrinterError(status)
            from escpos.printer import Dummy  # here: importing python-escpos takes 0.2 s

            printer = Dummy()
            render_escpos(doc, printer)
            self.jobs.append(printer.output)
            return self.status()

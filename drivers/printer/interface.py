"""What a receipt printer driver offers, and the one ESC/POS renderer all transports share.

A receipt is described once as a :class:`ReceiptDocument`; :func:`render_escpos`
turns it into commands on any python-escpos printer object, so USB, serial and
network printers (and the simulator) print exactly the same bytes.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from drivers.base import Driver

ALIGNMENTS = ("left", "center", "right")


class PrinterStatus(enum.Enum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"

    @property
    def can_print(self) -> bool:
        # Near-end still has paper left; the kiosk reports it but keeps printing.
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END)


@dataclass(frozen=True)
class ReceiptLine:
    """One printed line. ``trailing`` goes to the line's far end (an amount beside its
    label); ``align`` is physical: an RTL template mirrors its own alignments."""

    text: str
    bold: bool = False
    double: bool = False
    align: str = "left"
    trailing: str = ""

    def __post_init__(self) -> None:
        if self.align not in ALIGNMENTS:
            raise ValueError(f"align must be one of {ALIGNMENTS}, got {self.align!r}")


@dataclass(frozen=True)
class ReceiptDocument:
    lines: tuple[ReceiptLine, ...]
    qr_data: str | None = None
    cut: bool = True
    # Characters per line in the printer's font A: where ``trailing`` text is placed.
    columns: int = 48
    # Arabic, Hebrew...: a line's far end, where ``trailing`` goes, is on the left.
    right_to_left: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))


class PrinterError(Exception):
    """The printer could not print; ``status`` says why."""

    def __init__(self, status: PrinterStatus, message: str = "") -> None:
        super().__init__(message or f"printer cannot print: {status.value}")
        self.status = status


class PrintInterrupted(PrinterError):
    """The job was sent, in part or in full, and then the printer failed: the receipt may
    be partly (or even wholly) on paper. Never retry it by itself; a person decides.

    A plain :class:`PrinterError` means nothing of the job was sent: safe to retry.
    """


class ReceiptPrinterDriver(Driver):
    kind: ClassVar[str] = "printer"
    # Characters per line in font A, which receipts are laid out for (48: 80 mm paper).
    columns: int = 48

    @abstractmethod
    def status(self) -> PrinterStatus:
        """The printer's current state, as fresh as the transport allows."""

    @abstractmethod
    def print_document(self, doc: ReceiptDocument) -> PrinterStatus:
        """Print one receipt and return the printer's status after it (paper near
        end, say); raises PrinterError when it cannot (nothing was sent) and
        PrintInterrupted when it failed after sending some of it."""


def render_escpos(doc: ReceiptDocument, printer: Any) -> None:
    """Write ``doc`` to a python-escpos printer object (``escpos.escpos.Escpos``).

    Lines its code pages can print go as text; the others (Arabic, Chinese...) as
    raster images, see :mod:`drivers.printer.raster`.
    """
    # Initialise first: a previous job may have been cut off mid-way, leaving bold,
    # double size or alignment switched on.
    printer.hw("INIT")
    # INIT also resets the printer to code page 0, but python-escpos remembers the page
    # it selected last and would not select it again: forget it, or the second receipt
    # on the same printer prints "ñ" where "€" was meant.
    printer.magic.encoding = None
    from drivers.printer import raster  # here: it imports Pillow, only needed to print

    encodable = raster.text_encodable(printer)
    pictured: list[ReceiptLine] = []
    for line in doc.lines:
        if not raster.prints_as_text(line, encodable):
            pictured.append(line)
            continue
        raster.print_lines(pictured, doc, printer)
        pictured = []
        printer.set(
            align=line.align,
            bold=line.bold,
            normal_textsize=not line.double,
            double_width=line.double,
            double_height=line.double,
        )
        printer.textln(raster.without_controls(line_text(line, doc)))
    raster.print_lines(pictured, doc, printer)
    printer.set(align="left", bold=False, normal_textsize=True)
    if doc.qr_data:
        # Alignment instead of qr(center=True): python-escpos cannot centre native QR.
        printer.set(align="center")
        printer.qr(doc.qr_data, native=True, size=6)
        printer.set(align="left")
    if doc.cut:
        printer.cut()


def line_text(line: ReceiptLine, doc: ReceiptDocument) -> str:
    """The line as the printer's text mode shows it, with ``trailing`` spaced to the end."""
    if not line.trailing:
        return line.text
    width = doc.columns // 2 if line.double else doc.columns
    gap = " " * max(width - len(line.text) - len(line.trailing), 1)
    if doc.right_to_left:
        return f"{line.trailing}{gap}{line.text}"
    return f"{line.text}{gap}{line.trailing}"

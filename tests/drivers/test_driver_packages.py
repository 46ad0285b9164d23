import subprocess
import sys
from pathlib import Path

from drivers.card.pcsc import PcscCardReader
from drivers.manager import default_registry
from drivers.payment.zvt.ecr import ZvtTerminal
from drivers.printer.escpos_driver import EscposPrinter

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_drivers_and_offline_never_import_kivy():
    code = (
        "import sys, drivers.manager, offline.db, offline.outbox, offline.cache\n"
        "sys.exit('kivy' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0


def test_the_zvt_payment_driver_is_registered():
    assert default_registry()[("payment", "zvt")] is ZvtTerminal


def test_the_pcsc_card_driver_is_registered():
    assert default_registry()[("card", "pcsc")] is PcscCardReader


def test_the_escpos_printer_driver_is_registered():
    assert default_registry()[("printer", "escpos")] is EscposPrinter


def test_importing_the_drivers_does_not_import_the_printer_library():
    # python-escpos takes about 0.2 s to import: only a printer that prints pays for it.
    code = "import sys, drivers.manager\nsys.exit('escpos' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0

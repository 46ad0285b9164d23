"""The kiosk core configured with the real ESC/POS driver finds and uses the printer."""

from __future__ import annotations

from drivers.printer.escpos_driver import EscposPrinter
from drivers.printer.interface import PrinterStatus, ReceiptDocument, ReceiptLine
from drivers.printer.tcp_simulator import PrinterSimulator
from kiosk.config import load_config
from kiosk.runtime import build_runtime


def test_a_kiosk_configured_for_an_escpos_network_printer_prints_on_it(tmp_path):
    with PrinterSimulator() as printer:
        host, port = printer.address
        config = load_config(None, demo=True).with_values(
            storage__data_dir=tmp_path,
            speech__engine="none",
            devices__printer="escpos",
            devices__printer_transport="network",
            devices__printer_host=host,
            devices__printer_port=str(port),
        )
        runtime = build_runtime(config, call_soon=lambda function: function(), start_sync=False)
        try:
            driver = runtime.devices.get("printer")
            assert isinstance(driver, EscposPrinter)
            assert driver.status() is PrinterStatus.OK
            driver.print_document(ReceiptDocument([ReceiptLine("Gracias")]))
            printer.wait_for_jobs(1)
            assert b"Gracias" in printer.jobs[-1]
        finally:
            runtime.close()

"""Place for the real receipt printer drivers (a later issue builds them).

They will be ``drivers.printer.interface.ReceiptPrinterDriver`` subclasses on top of
python-escpos transports (USB, Serial, Network on TCP 9100), each printing through the
shared ``drivers.printer.interface.render_escpos`` so every transport sends the same
bytes. They must map ``paper_status()`` to PrinterStatus, reconnect after an unplug,
avoid double printing when a flapping printer meets a retry, and print text the
codepages lack as a raster image. See /work/shared/docs/hardware.md ("Thermal printer").

Nothing is defined here yet on purpose: importing a driver that pretends to work would
be worse than the ValueError the device manager raises for an unknown driver name.
"""

"""Real ESC/POS receipt printers through python-escpos: USB, serial, network or file.

Configuration (``printer.<option>`` keys in the kiosk's device config)::

    printer = escpos
    printer.transport = network        # usb | serial | network | file
    printer.host = 192.168.1.50        # network; printer.port defaults to 9100
    printer.profile = TM-T88V          # optional python-escpos capabilities profile

    usb:     vendor_id, product_id (hex: 04b8 or 0x04b8)
    serial:  port (/dev/ttyUSB0), baudrate (default 9600)
    file:    path (a device file such as /dev/usb/lp0, or a capture file)
    layout:  columns, or paper_width (58 | 80 mm), or a profile
    timing:  timeout (s), reconnect_attempts, backoff, backoff_max (s)

How it behaves:

* Status comes from the real-time queries DLE EOT 1 (online), 4 (paper sensors) and,
  when the printer is offline, 2 (why: cover open or paper end). A printer that does
  not answer, or a broken connection, is OFFLINE. The file transport has no way back
  from the printer: it is OK whenever the file opens.
* ``print_document`` asks for the status first and refuses with :class:`PrinterError`
  when the printer cannot print, so nothing is sent. It then sends the receipt
  (:func:`render_escpos`, the same bytes on every transport) and asks again: paper
  that ran out, or a cover opened, during the job raises PrintInterrupted. (A real
  printer answers DLE EOT at once, perhaps before it has printed all it has buffered,
  so paper running out near the end of a job may only show at the next status.)
* Before a job, a dead connection (a printer power-cycled since the last job, a flapping
  network) is reopened with exponential backoff. Once the first byte of a job is sent the
  job is never sent again by this driver: a connection lost mid-job raises
  PrintInterrupted(OFFLINE), a PrinterError, and the receipt may be partly printed.
  Whether to reprint is the caller's decision (``offline.print_jobs``: a plain
  PrinterError is ``fail``, PrintInterrupted is ``interrupted``); the next call
  reconnects.
* Paper near its end still prints, and ``on_alert(PAPER_NEAR_END)`` is called once, for
  a technician; again only after the printer has been seen OK (a new roll).

python-escpos is imported by a driver that needs it (a profile, ``start``), never when
this module is imported: it takes about 0.2 s.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.printer.interface import (
    PrinterError,
    PrinterStatus,
    PrintInterrupted,
    ReceiptDocument,
    ReceiptPrinterDriver,
    render_escpos,
)

logger = logging.getLogger(__name__)

TRANSPORTS = ("usb", "serial", "network", "file")
PAPER_WIDTHS_MM = (58, 80)
PAPER_COLUMNS = {58: 32, 80: 48}
"""Characters per line in font A (12 dots wide) at 203 dpi: 384 and 576 printable dots."""

DEFAULT_NETWORK_PORT = 9100
DEFAULT_BAUDRATE = 9600

# Real-time status queries and the bits of their one-byte replies (Epson ESC/POS).
STATUS_PRINTER = b"\x10\x04\x01"  # DLE EOT 1
STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"  # DLE EOT 2
STATUS_PAPER = b"\x10\x04\x04"  # DLE EOT 4
_PRINTER_OFFLINE = 0x08  # DLE EOT 1, bit 3
_CAUSE_COVER_OPEN = 0x04  # DLE EOT 2, bit 2
_CAUSE_PAPER_END = 0x20  # DLE EOT 2, bit 5: printing stopped by paper end
_PAPER_NEAR_END = 0x0C  # DLE EOT 4, bits 2-3: the near-end sensor
_PAPER_ROLL_END = 0x60  # DLE EOT 4, bits 5-6: the roll-end sensor

_OPTION_KEYS = frozenset(
    {
        "transport",
        "host",
        "port",
        "baudrate",
        "vendor_id",
        "product_id",
        "path",
        "profile",
        "columns",
        "paper_width",
        "timeout",
        "reconnect_attempts",
        "backoff",
        "backoff_max",
    }
)

AlertCallback = Callable[[PrinterStatus], None]


class PrinterOptionError(ValueError):
    """A bad printer option; ``option`` names it, so a config check can name its key."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class EscposSettings:
    """Where the printer is and how patient to be with it; validated on creation."""

    transport: str
    host: str = ""  # network
    port: int = DEFAULT_NETWORK_PORT  # network
    serial_port: str = ""  # serial: the device, option "port"
    baudrate: int = DEFAULT_BAUDRATE  # serial
    vendor_id: int | None = None  # usb
    product_id: int | None = None  # usb
    path: str = ""  # file
    profile: str | None = None  # python-escpos capabilities profile, e.g. "TM-T88V"
    columns: int | None = None
    paper_width: int | None = None  # mm: 58 or 80
    timeout_s: float = 3.0  # connect, send and each status reply
    reconnect_attempts: int = 3  # connection attempts before a job; status() tries once
    backoff_s: float = 0.25  # wait before the second attempt, doubling after each
    backoff_max_s: float = 4.0

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise PrinterOptionError(
                "transport",
                f"printer transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}",
            )
        needs = {
            "network": ("host", self.host),
            "serial": ("port", self.serial_port),
            "file": ("path", self.path),
        }
        if self.transport in needs:
            option, value = needs[self.transport]
            if not value:
                raise PrinterOptionError(
                    option, f"the {self.transport} printer transport needs {option}"
                )
        if self.transport == "usb" and (self.vendor_id is None or self.product_id is None):
            raise PrinterOptionError(
                "vendor_id", "the usb printer transport needs vendor_id and product_id"
            )
        if not 1 <= self.port <= 65535:
            raise PrinterOptionError("port", f"printer port must be 1..65535, got {self.port}")
        if self.baudrate < 1:
            raise PrinterOptionError(
                "baudrate", f"printer baudrate must be positive, got {self.baudrate}"
            )
        if self.columns is not None and not 1 <= self.columns <= 255:
            raise PrinterOptionError(
                "columns", f"printer columns must be 1..255, got {self.columns}"
            )
        if self.paper_width is not None and self.paper_width not in PAPER_WIDTHS_MM:
            raise PrinterOptionError(
                "paper_width", f"printer paper_width must be 58 or 80 (mm), got {self.paper_width}"
            )
        if not self.timeout_s > 0:
            raise PrinterOptionError(
                "timeout", f"printer timeout must be positive, got {self.timeout_s}"
            )
        if self.reconnect_attempts < 1:
            raise PrinterOptionError(
                "reconnect_attempts",
                f"printer reconnect_attempts must be at least 1, got {self.reconnect_attempts}",
            )
        if self.backoff_s < 0 or self.backoff_max_s < 0:
            raise PrinterOptionError(
                "backoff", "printer backoff and backoff_max must not be negative"
            )

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> EscposSettings:
        """Parse the ``printer.<option>`` strings of a kiosk config (prefix removed)."""
        unknown = sorted(set(options) - _OPTION_KEYS)
        if unknown:
            raise PrinterOptionError(
                unknown[0],
                f"unknown escpos printer option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_OPTION_KEYS))}",
            )
        transport = options.get("transport", "").strip()
        fields: dict[str, Any] = {"transport": transport}
        if "host" in options:
            fields["host"] = options["host"].strip()
        if "port" in options:
            if transport == "serial":
                fields["serial_port"] = options["port"].strip()
            else:
                fields["port"] = _parse(options, "port", int)
        for key, field, parse in (
            ("baudrate", "baudrate", int),
            ("vendor_id", "vendor_id", _hex),
            ("product_id", "product_id", _hex),
            ("columns", "columns", int),
            ("paper_width", "paper_width", int),
            ("timeout", "timeout_s", float),
            ("reconnect_attempts", "reconnect_attempts", int),
            ("backoff", "backoff_s", float),
            ("backoff_max", "backoff_max_s", float),
        ):
            if key in options:
                fields[field] = _parse(options, key, parse)
        if "path" in options:
            fields["path"] = options["path"].strip()
        if options.get("profile", "").strip():
            fields["profile"] = options["profile"].strip()
        return cls(**fields)

    @property
    def target(self) -> str:
        """Where the printer is, for log lines and error messages."""
        if self.transport == "network":
            return f"network {self.host}:{self.port}"
        if self.transport == "serial":
            return f"serial {self.serial_port} at {self.baudrate} baud"
        if self.transport == "usb":
            return f"usb {self.vendor_id:04x}:{self.product_id:04x}"
        return f"file {self.path}"


def _hex(value: str) -> int:
    return int(value, 16)  # accepts "04b8" and "0x04b8"


def _parse(options: Mapping[str, str], key: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(options[key].strip())
    except ValueError:
        raise PrinterOptionError(
            key, f"escpos printer option {key} is not valid: {options[key]!r}"
        ) from None


def backoff_delays(attempts: int, first_s: float, max_s: float) -> list[float]:
    """The waits between ``attempts`` connection attempts: ``first_s``, doubling, capped."""
    return [min(max_s, first_s * 2**i) for i in range(max(0, attempts - 1))]


def profile_layout(profile: str) -> tuple[int, int | None]:
    """(columns in font A, paper width in mm or None) from a python-escpos profile."""
    from escpos.capabilities import CAPABILITIES

    profiles = CAPABILITIES["profiles"]
    if profile not in profiles:
        raise ValueError(
            f"unknown python-escpos printer profile {profile!r}; "
            f"known: {', '.join(sorted(profiles))}"
        )
    data = profiles[profile]
    columns = int(data["fonts"]["0"]["columns"])
    # The profiles give the printable width (72 mm on 80 mm paper, 48 on 58 mm), or Unknown.
    printable_mm = data.get("media", {}).get("width", {}).get("mm")
    if not isinstance(printable_mm, int | float):
        return columns, None
    return columns, 58 if printable_mm <= 60 else 80


class EscposPrinter(ReceiptPrinterDriver):
    """A receipt printer spoken to through one python-escpos printer object.

    Thread-safe: status queries and jobs are serialised, so a heartbeat asking for the
    status never mixes its queries into a receipt. ``on_alert`` is called with the lock
    held: keep it short (hand the alert over to another thread).
    """

    name = "escpos"

    def __init__(self, settings: EscposSettings, *, on_alert: AlertCallback | None = None):
        self.settings = settings
        self.on_alert = on_alert
        profile_columns, profile_paper = (
            profile_layout(settings.profile) if settings.profile else (None, None)
        )
        self.paper_width: int = settings.paper_width or profile_paper or 80
        """Paper width in mm: the option, else the profile's, else 80."""
        self.columns: int = settings.columns or profile_columns or PAPER_COLUMNS[self.paper_width]
        """Characters per line: the option, else the profile's font A, else by paper width."""
        self._lock = threading.RLock()
        self._printer: Any = None  # the python-escpos object, built by start()
        self._started = False
        self._connected = False
        self._alerted = False

    # -- Driver --

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        return _present(EscposSettings.from_options(options))

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> EscposPrinter:
        return cls(EscposSettings.from_options(options))

    def start(self) -> None:
        """Open the connection; PrinterError(OFFLINE) when it cannot be opened."""
        with self._lock:
            if self._started:
                return
            if not self._connect(1):
                raise PrinterError(
                    PrinterStatus.OFFLINE, f"cannot open the printer ({self.settings.target})"
                )
            self._started = True

    def stop(self) -> None:
        with self._lock:
            self._started = False
            self._disconnect()

    # -- ReceiptPrinterDriver --

    def status(self) -> PrinterStatus:
        """Asks the printer now; reopens a dead connection once, without waiting."""
        with self._lock:
            if not self._started:
                return PrinterStatus.OFFLINE
            status = self._status(attempts=1)
            self._note(status)
            return status

    def print_document(self, doc: ReceiptDocument) -> PrinterStatus:
        """Print ``doc`` once. PrinterError: refused, nothing sent. PrintInterrupted (a
        PrinterError too): failed after sending, may be on paper. Never sent twice."""
        with self._lock:
            if not self._started:
                raise PrinterError(PrinterStatus.OFFLINE, "the printer driver is not started")
            before = self._status(attempts=self.settings.reconnect_attempts)
            self._note(before)
            if not before.can_print:
                raise PrinterError(before)
            try:
                render_escpos(doc, self._printer)
            except _transport_errors() as error:
                self._disconnect()
                raise PrintInterrupted(
                    PrinterStatus.OFFLINE,
                    f"the connection to the printer broke during the job ({error}); "
                    "the receipt may be partly printed",
                ) from error
            except BaseException:
                # Whatever broke the job left a command half-sent: start afresh next time.
                self._disconnect()
                raise
            after = self._status_now()
            self._note(after)
            if not after.can_print:
                raise PrintInterrupted(
                    after,
                    f"the printer reported {after.value} after the job; "
                    "the receipt may be partly printed",
                )
            return after

    # -- connection --

    def reconnect(self, attempts: int | None = None) -> bool:
        """Close and reopen the connection, waiting with exponential backoff between
        attempts (``settings.reconnect_attempts`` by default). Sends no print data."""
        with self._lock:
            self._disconnect()
            return self._connect(attempts or self.settings.reconnect_attempts)

    @property
    def connected(self) -> bool:
        """Whether a connection is open (it may still turn out to be dead)."""
        return self._connected

    def _connect(self, attempts: int) -> bool:
        if self._printer is None:
            self._printer = _make_printer(self.settings)
        delays = backoff_delays(attempts, self.settings.backoff_s, self.settings.backoff_max_s)
        for attempt in range(attempts):
            if attempt:
                time.sleep(delays[attempt - 1])
            try:
                self._printer.open()
            except _transport_errors() as error:
                logger.info(
                    "printer %s: connection attempt %d/%d failed: %s",
                    self.settings.target,
                    attempt + 1,
                    attempts,
                    error,
                )
                continue
            self._connected = True
            return True
        logger.warning("printer %s: cannot connect", self.settings.target)
        return False

    def _disconnect(self) -> None:
        self._connected = False
        if self._printer is None:
            return
        try:
            self._printer.close()
        except Exception:  # a broken connection may fail to close; it is gone either way
            logger.debug("printer %s: close failed", self.settings.target, exc_info=True)
        # python-escpos leaves None after a failed open; False makes the state "closed".
        self._printer.device = False

    # -- status --

    def _status(self, attempts: int) -> PrinterStatus:
        """Status before any job byte is sent, so reconnecting is safe."""
        if self._connected:
            try:
                return self._query()
            except _transport_errors() as error:
                # Most often a printer restarted since the last job: a stale connection.
                logger.info("printer %s: connection lost (%s)", self.settings.target, error)
                self._disconnect()
        if not self._connect(attempts):
            return PrinterStatus.OFFLINE
        return self._status_now()

    def _status_now(self) -> PrinterStatus:
        """Status on the open connection, without reconnecting."""
        try:
            return self._query()
        except _transport_errors() as error:
            logger.info("printer %s: no status (%s)", self.settings.target, error)
            self._disconnect()
            return PrinterStatus.OFFLINE

    def _query(self) -> PrinterStatus:
        if self.settings.transport == "file":
            return PrinterStatus.OK  # nothing comes back from a file
        printer_state = self._ask(STATUS_PRINTER)
        paper = self._ask(STATUS_PAPER)
        if paper & _PAPER_ROLL_END == _PAPER_ROLL_END:
            return PrinterStatus.PAPER_OUT
        if printer_state & _PRINTER_OFFLINE:
            cause = self._ask(STATUS_OFFLINE_CAUSE)
            if cause & _CAUSE_COVER_OPEN:
                return PrinterStatus.COVER_OPEN
            if cause & _CAUSE_PAPER_END:
                return PrinterStatus.PAPER_OUT
            return PrinterStatus.OFFLINE
        if paper & _PAPER_NEAR_END == _PAPER_NEAR_END:
            return PrinterStatus.PAPER_NEAR_END
        return PrinterStatus.OK

    def _ask(self, query: bytes) -> int:
        """Send one DLE EOT query and return the reply byte."""
        if self.settings.transport == "serial":
            # python-escpos reads 16 bytes from a serial port, so it always waits for the
            # whole timeout; one byte is all a DLE EOT reply has.
            self._printer._raw(query)
            reply = self._printer.device.read(1)
        else:
            reply = self._printer.query_status(query)
        if not reply:
            if self.settings.transport == "network":
                raise ConnectionResetError("the printer closed the connection")
            raise TimeoutError(f"no reply to the status query {query.hex(' ')}")
        return reply[-1]  # the last byte: the freshest, should anything stale precede it

    def _note(self, status: PrinterStatus) -> None:
        if status is PrinterStatus.OK:
            self._alerted = False
        elif status is PrinterStatus.PAPER_NEAR_END and not self._alerted:
            self._alerted = True
            logger.warning("printer %s: paper near its end", self.settings.target)
            if self.on_alert is not None:
                try:
                    self.on_alert(status)
                except Exception:
                    logger.exception("printer alert callback failed")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What a broken or silent connection raises. OSError covers sockets, pyserial's
    SerialException and pyusb's USBError; python-escpos asserts it has a device."""
    from escpos.exceptions import DeviceNotFoundError

    return (OSError, AssertionError, DeviceNotFoundError)


def _make_printer(settings: EscposSettings) -> Any:
    """The python-escpos printer object for ``settings`` (not connected yet)."""
    profile = settings.profile
    if settings.transport == "network":
        from escpos.printer import Network

        return Network(settings.host, settings.port, timeout=settings.timeout_s, profile=profile)
    if settings.transport == "serial":
        from escpos.printer import Serial

        return Serial(
            devfile=settings.serial_port,
            baudrate=settings.baudrate,
            timeout=settings.timeout_s,
            profile=profile,
        )
    if settings.transport == "usb":
        from escpos.printer import usb

        if not usb.is_usable():
            raise RuntimeError("the usb printer transport needs pyusb (and libusb) installed")
        return usb.Usb(
            settings.vendor_id,
            settings.product_id,
            timeout=int(settings.timeout_s * 1000),  # milliseconds for pyusb
            profile=profile,
        )
    from escpos.printer import File

    return File(devfile=settings.path, profile=profile)


def _present(settings: EscposSettings) -> bool:
    """Whether the printer can be reached now, without sending it anything."""
    if settings.transport == "network":
        try:
            probe = socket.create_connection(
                (settings.host, settings.port), timeout=min(settings.timeout_s, 2.0)
            )
        except OSError:
            return False
        probe.close()
        return True
    if settings.transport == "serial":
        return os.path.exists(settings.serial_port)
    if settings.transport == "file":
        path = Path(settings.path)
        return path.exists() or path.parent.is_dir()
    try:
        import usb.core
    except ImportError:
        logger.warning("the usb printer transport needs pyusb installed")
        return False
    try:
        found = usb.core.find(idVendor=settings.vendor_id, idProduct=settings.product_id)
    except usb.core.NoBackendError:
        logger.warning("the usb printer transport needs libusb installed")
        return False
    return found is not None

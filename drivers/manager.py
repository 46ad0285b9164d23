"""Finds the configured devices, starts their drivers and reports what is connected.

Configuration is a flat string mapping, as read from a kiosk's config file::

    {"card": "simulator", "payment": "zvt", "payment.port": "/dev/ttyUSB0"}

A bare key names the driver for that kind; ``"<kind>.<option>"`` keys are passed,
without the prefix, to that driver's ``detect`` and ``from_options``. A kind that is
not configured is not managed (e.g. a kiosk without a printer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.base import KINDS, Driver
from drivers.card.pcsc import PcscCardReader
from drivers.card.simulator import SimulatedCardReader
from drivers.payment.simulator import SimulatedTerminal
from drivers.payment.zvt.ecr import ZvtTerminal
from drivers.printer.escpos_driver import EscposPrinter
from drivers.printer.simulator import SimulatedPrinter

logger = logging.getLogger(__name__)

CONNECTED = "connected"
MISSING = "missing"

Registry = Mapping[tuple[str, str], type[Driver]]


@dataclass(frozen=True)
class DeviceEvent:
    kind: str
    driver_name: str
    state: str  # CONNECTED or MISSING


def default_registry() -> dict[tuple[str, str], type[Driver]]:
    """A fresh registry of the drivers that exist, so callers may extend their copy."""
    drivers: list[type[Driver]] = [
        SimulatedCardReader,
        PcscCardReader,
        SimulatedTerminal,
        ZvtTerminal,
        SimulatedPrinter,
        EscposPrinter,
    ]
    return {(driver.kind, driver.name): driver for driver in drivers}


class DeviceManager:
    """Owns every driver's lifecycle.

    ``on_event`` is called on the detection thread (or the caller of ``detect_once``),
    once per change: a kind is reported "missing" once until it connects.
    """

    def __init__(
        self,
        config: Mapping[str, str],
        on_event: Callable[[DeviceEvent], None],
        *,
        registry: Registry | None = None,
        interval_s: float = 2.0,
        prepare: Callable[[Driver], None] | None = None,
    ) -> None:
        self._registry = default_registry() if registry is None else dict(registry)
        # Runs before a driver starts, so subscribers miss none of its first events
        # (a card already in the reader is read as soon as the driver starts).
        self._prepare = prepare
        self._classes, self._options = _parse_config(config, self._registry)
        self._on_event = on_event
        self._interval_s = interval_s
        self._live: dict[str, Driver] = {}
        self._reported: dict[str, str] = {}
        self._pass_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, kind: str) -> Driver | None:
        return self._live.get(kind)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the background detection loop (one pass right away)."""
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="device-manager", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the loop and every live driver; detection stays off until ``start``."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            # Keep the reference either way, so ``running`` tells the truth.
            if self._thread.is_alive():
                logger.warning("device detection is still busy after %.1f s", timeout_s)
        with self._pass_lock:
            for kind, driver in list(self._live.items()):
                _stop_quietly(kind, driver)
            self._live.clear()
            self._reported.clear()

    def detect_once(self) -> None:
        """One detection pass over every configured kind that is not connected yet."""
        with self._pass_lock:
            for kind, driver_class in self._classes.items():
                if kind in self._live or self._stopping.is_set():
                    continue
                driver = self._try_connect(kind, driver_class)
                if driver is not None:
                    self._live[kind] = driver
                self._report(kind, driver_class.name, MISSING if driver is None else CONNECTED)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.detect_once()
            self._stopping.wait(self._interval_s)

    def _try_connect(self, kind: str, driver_class: type[Driver]) -> Driver | None:
        options = self._options[kind]
        # A failing driver must not take the detection of the other devices down.
        try:
            if not driver_class.detect(options):
                return None
            driver = driver_class.from_options(options)
            if self._prepare is not None:
                self._prepare(driver)
        except Exception:
            logger.exception("the %s driver %r failed to detect", kind, driver_class.name)
            return None
        try:
            driver.start()
        except Exception:
            logger.exception("the %s driver %r failed to start", kind, driver_class.name)
            _stop_quietly(kind, driver)
            return None
        logger.info("%s driver %r connected", kind, driver_class.name)
        return driver

    def _report(self, kind: str, driver_name: str, state: str) -> None:
        if self._reported.get(kind) == state:
            return
        self._reported[kind] = state
        try:
            self._on_event(DeviceEvent(kind, driver_name, state))
        except Exception:
            logger.exception("device event callback failed")


def _stop_quietly(kind: str, driver: Driver) -> None:
    try:
        driver.stop()
    except Exception:
        logger.exception("stopping the %s driver failed", kind)


def _parse_config(
    config: Mapping[str, str], registry: Registry
) -> tuple[dict[str, type[Driver]], dict[str, dict[str, str]]]:
    classes: dict[str, type[Driver]] = {}
    options: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for key, value in config.items():
        kind, _, option = key.partition(".")
        if kind not in KINDS:
            raise ValueError(f"unknown device kind {kind!r} in {key!r}; expected one of {KINDS}")
        if option:
            options[kind][option] = value
            continue
        if (kind, value) not in registry:
            valid = sorted(name for known_kind, name in registry if known_kind == kind)
            raise ValueError(
                f"unknown {kind} driver {value!r}; valid {kind} drivers: {', '.join(valid)}"
            )
        classes[kind] = registry[(kind, value)]
    return classes, options

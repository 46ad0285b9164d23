import threading

import pytest

from drivers.base import Driver
from drivers.card.simulator import SimulatedCardReader
from drivers.manager import DeviceEvent, DeviceManager, default_registry
from drivers.payment.simulator import SimulatedTerminal
from drivers.printer.interface import PrinterStatus
from drivers.printer.simulator import SimulatedPrinter

ALL_SIMULATORS = {"card": "simulator", "payment": "simulator", "printer": "simulator"}


class FlakyPrinter(Driver):
    """A printer that is plugged in only when the test says so."""

    kind = "printer"
    name = "flaky"
    plugged_in = False
    seen_options: dict = {}

    @classmethod
    def detect(cls, options):
        cls.seen_options = dict(options)
        return cls.plugged_in

    def start(self):
        pass

    def stop(self):
        pass


@pytest.fixture
def events():
    return []


@pytest.fixture
def manager(events):
    manager = DeviceManager(ALL_SIMULATORS, events.append)
    yield manager
    manager.stop()


def test_detect_once_connects_all_simulators(manager, events):
    manager.detect_once()

    assert sorted(events, key=lambda e: e.kind) == [
        DeviceEvent("card", "simulator", "connected"),
        DeviceEvent("payment", "simulator", "connected"),
        DeviceEvent("printer", "simulator", "connected"),
    ]
    assert isinstance(manager.get("card"), SimulatedCardReader)
    assert isinstance(manager.get("payment"), SimulatedTerminal)
    assert isinstance(manager.get("printer"), SimulatedPrinter)
    assert manager.get("payment").status() == "idle"


def test_connected_devices_are_not_reported_again(manager, events):
    manager.detect_once()
    manager.detect_once()

    assert len(events) == 3


def test_missing_device_is_reported_once_then_connects():
    events = []
    FlakyPrinter.plugged_in = False
    registry = {**default_registry(), ("printer", "flaky"): FlakyPrinter}
    config = {"printer": "flaky", "printer.host": "10.0.0.5"}
    manager = DeviceManager(config, events.append, registry=registry)

    manager.detect_once()
    manager.detect_once()
    assert events == [DeviceEvent("printer", "flaky", "missing")]
    assert manager.get("printer") is None
    assert FlakyPrinter.seen_options == {"host": "10.0.0.5"}

    FlakyPrinter.plugged_in = True
    manager.detect_once()
    assert events[-1] == DeviceEvent("printer", "flaky", "connected")
    assert isinstance(manager.get("printer"), FlakyPrinter)
    manager.stop()


def test_unconfigured_kind_is_not_managed(events):
    manager = DeviceManager({"card": "simulator"}, events.append)

    manager.detect_once()

    assert [e.kind for e in events] == ["card"]
    assert manager.get("printer") is None
    manager.stop()


def test_unknown_driver_name_names_kind_and_valid_names():
    with pytest.raises(ValueError) as caught:
        DeviceManager({**ALL_SIMULATORS, "payment": "ingenico"}, lambda e: None)

    message = str(caught.value)
    assert "payment" in message and "ingenico" in message and "simulator" in message


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="scanner"):
        DeviceManager({"scanner": "simulator"}, lambda e: None)


def test_loop_connects_and_stops_promptly():
    connected = threading.Event()

    def on_event(event):
        if event.state == "connected":
            connected.set()

    # An hour between passes: stop() can only return with the thread ended if the
    # loop's wait is interruptible.
    manager = DeviceManager({"printer": "simulator"}, on_event, interval_s=3600)
    manager.start()
    assert connected.wait(10)
    assert manager.running

    manager.stop()

    assert not manager.running
    assert manager.get("printer") is None


def test_stop_stops_drivers(manager):
    manager.detect_once()
    printer = manager.get("printer")

    manager.stop()

    assert printer.status() is PrinterStatus.OFFLINE


def test_prepare_runs_before_the_driver_starts_so_no_first_event_is_missed():
    seen = []

    def prepare(driver):
        seen.append(("prepare", driver.kind, driver.readers() if driver.kind == "card" else None))
        if driver.kind == "card":
            driver.subscribe(lambda event: seen.append(("event", type(event).__name__)))

    manager = DeviceManager({"card": "simulator"}, lambda event: None, prepare=prepare)
    manager.detect_once()
    added = threading.Event()
    manager.get("card").subscribe(lambda event: added.set())
    added.wait(5)
    manager.get("card").stop()

    assert seen[0] == ("prepare", "card", [])  # not started yet: no reader listed
    assert ("event", "ReaderAdded") in seen  # the very first event reached the subscriber

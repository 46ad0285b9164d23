"""The pcsc driver's monitor thread against the real stack: our virtual cards in vpcd,
a real pcscd, pyscard. No mocks: pcscd is really stopped and restarted."""

import queue
import threading

import pytest

from drivers.card.interface import (
    CardInserted,
    CardRead,
    CardRemoved,
    ReaderAdded,
    ReaderRemoved,
    ReadFailed,
)
from drivers.card.pcsc import PcscCardReader, list_readers, pcsc_available
from drivers.card.profiles import read_card
from drivers.card.virtual_card import VirtualCard
from drivers.manager import DeviceEvent, DeviceManager

WAIT_S = 10  # only a guard against hanging; no test depends on it
NATIONAL_NUMBER = "92051212329"


class Monitor:
    """A started PcscCardReader and the events it reported, in order."""

    def __init__(self, driver: PcscCardReader) -> None:
        self.driver = driver
        self.events: queue.Queue = queue.Queue()
        driver.subscribe(self.events.put)

    def until(self, *kinds: type) -> list:
        """Every event up to and including the first of one of ``kinds``."""
        seen = []
        while True:
            event = self.events.get(timeout=WAIT_S)
            seen.append(event)
            if isinstance(event, kinds):
                return seen


def start_monitor(reader_filter: str, **options) -> Monitor:
    monitor = Monitor(PcscCardReader(reader_filter, **options))
    monitor.driver.start()
    return monitor


@pytest.fixture
def monitor(card_slot):
    """A monitor of ``card_slot``'s reader only, started and watching it."""
    started = start_monitor(card_slot.reader)
    assert started.until(ReaderAdded) == [ReaderAdded(card_slot.reader)]
    yield started
    started.driver.stop()


def in_memory(name: str):
    return read_card(VirtualCard.from_profile(name).transmit)


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pcsc-card-monitor"]


@pytest.mark.parametrize(
    ("name", "identifier", "display_name"),
    [
        ("beid-maria", NATIONAL_NUMBER, "María José Van den Brûle"),
        ("piv-demo", "3f2a8c1e-5b7d-4e9a-a6c2-1d8f0b4e7a93", "PIV card"),
        ("uid-library", "04A1B2C3D4", "Contactless card"),
    ],
    ids=["beid", "piv", "uid"],
)
def test_insert_read_remove(monitor, card_slot, name, identifier, display_name):
    reader = card_slot.reader
    card_slot.insert(name)

    inserted, read = monitor.until(CardRead, ReadFailed)
    assert (inserted, read) == (CardInserted(reader), CardRead(reader, in_memory(name)))
    assert (read.card.profile, read.card.identifier) == (name.split("-")[0], identifier)
    assert read.card.display_name == display_name

    card_slot.remove()
    assert monitor.until(CardRemoved) == [CardRemoved(reader)]


def test_a_card_already_in_the_reader_is_read_on_start(card_slot):
    card_slot.insert("piv-demo")
    monitor = start_monitor(card_slot.reader)
    try:
        events = monitor.until(CardRead, ReadFailed)
    finally:
        monitor.driver.stop()

    assert events == [
        ReaderAdded(card_slot.reader),
        CardInserted(card_slot.reader),
        CardRead(card_slot.reader, in_memory("piv-demo")),
    ]


def test_a_chaining_card_reads_through_the_monitor(monitor, card_slot):
    card_slot.insert("beid-maria", chain=16, wrong_le=True)

    *_, read = monitor.until(CardRead, ReadFailed)
    assert read == CardRead(card_slot.reader, in_memory("beid-maria"))


def test_card_pulled_mid_read_then_the_next_card_reads(monitor, card_slot):
    reader = card_slot.reader
    card_slot.insert("beid-maria", vanish_after=3)

    inserted, failed, removed = monitor.until(CardRemoved)
    assert (inserted, removed) == (CardInserted(reader), CardRemoved(reader))
    assert isinstance(failed, ReadFailed)
    assert failed.reason == "card_removed"
    assert NATIONAL_NUMBER not in failed.detail

    card_slot.insert("uid-library")
    assert monitor.until(CardRead, ReadFailed) == [
        CardInserted(reader),
        CardRead(reader, in_memory("uid-library")),
    ]


def test_unsupported_card(monitor, card_slot):
    card_slot.insert("bank-card")

    inserted, failed = monitor.until(CardRead, ReadFailed)
    assert inserted == CardInserted(card_slot.reader)
    assert failed.reason == "unsupported_card"

    card_slot.remove()
    assert monitor.until(CardRemoved) == [CardRemoved(card_slot.reader)]


@pytest.mark.parametrize("name", ["beid-maria", "piv-demo"])
def test_corrupted_tlv_is_a_read_error(monitor, card_slot, name):
    card_slot.insert(name, truncate=3)

    _inserted, failed = monitor.until(CardRead, ReadFailed)
    assert failed.reason == "read_error"
    assert "truncated" in failed.detail
    assert NATIONAL_NUMBER not in failed.detail


def test_an_unexpected_error_fails_that_read_and_the_monitor_goes_on(card_slot, caplog):
    calls = []

    def read_badly_once(transmit):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError(f"a bug that quotes card data {NATIONAL_NUMBER}")
        return read_card(transmit)

    def faulty_subscriber(event):
        raise ValueError("a subscriber bug")

    monitor = start_monitor(card_slot.reader, read=read_badly_once)
    monitor.driver.subscribe(faulty_subscriber)
    try:
        monitor.until(ReaderAdded)
        card_slot.insert("beid-maria")
        *_, failed = monitor.until(CardRead, ReadFailed)
        card_slot.insert("uid-library")  # takes the first card out first
        events = monitor.until(CardRead, ReadFailed)
    finally:
        monitor.driver.stop()

    assert failed.reason == "read_error"
    assert failed.detail == "internal error (RuntimeError)"
    assert events == [
        CardRemoved(card_slot.reader),
        CardInserted(card_slot.reader),
        CardRead(card_slot.reader, in_memory("uid-library")),
    ]
    assert "RuntimeError" in caplog.text
    assert NATIONAL_NUMBER not in caplog.text


def test_pcscd_restart_with_a_card_in_then_the_next_card_reads(pcscd, monitor, card_slot):
    reader = card_slot.reader
    card_slot.insert("uid-library")
    monitor.until(CardRead)

    pcscd.restart()

    # The card went down with the daemon's vpcd: the session must end.
    assert monitor.until(ReaderAdded) == [
        CardRemoved(reader),
        ReaderRemoved(reader),
        ReaderAdded(reader),
    ]
    card_slot.insert("piv-demo")
    assert monitor.until(CardRead, ReadFailed) == [
        CardInserted(reader),
        CardRead(reader, in_memory("piv-demo")),
    ]


def test_pcscd_stopped_for_a_while(pcscd, monitor, card_slot):
    reader = card_slot.reader
    pcscd.stop()
    try:
        assert monitor.until(ReaderRemoved) == [ReaderRemoved(reader)]
        assert monitor.driver.readers() == []
        assert not PcscCardReader.detect({})
        assert monitor.driver.running  # retrying with backoff, not dead
    finally:
        pcscd.start()

    assert monitor.until(ReaderAdded) == [ReaderAdded(reader)]
    assert PcscCardReader.detect({})
    card_slot.insert("beid-maria")
    *_, read = monitor.until(CardRead, ReadFailed)
    assert read == CardRead(reader, in_memory("beid-maria"))


def test_stop_is_prompt_leaves_no_thread_and_start_works_again(card_slot):
    monitor = start_monitor(card_slot.reader)
    monitor.until(ReaderAdded)

    monitor.driver.stop()
    monitor.driver.stop()  # twice is fine

    assert not monitor.driver.running
    assert monitor_threads() == []

    monitor.driver.start()
    try:
        assert monitor.until(ReaderAdded) == [ReaderAdded(card_slot.reader)]
    finally:
        monitor.driver.stop()
    assert monitor_threads() == []


def test_stop_while_pcscd_is_down(pcscd, card_slot):
    monitor = start_monitor(card_slot.reader)
    monitor.until(ReaderAdded)
    pcscd.stop()
    try:
        monitor.until(ReaderRemoved)
        monitor.driver.stop()
    finally:
        pcscd.start()

    assert monitor_threads() == []


def test_reader_filter(pcscd):
    everything = set(list_readers())
    assert {"Virtual PCD 00 00", "Virtual PCD 00 01"} <= everything
    assert list_readers("virtual pcd 00 01") == ["Virtual PCD 00 01"]
    assert list_readers("No Such Reader") == []

    monitor = start_monitor("virtual pcd 00 01")
    try:
        assert monitor.until(ReaderAdded) == [ReaderAdded("Virtual PCD 00 01")]
        assert monitor.driver.readers() == ["Virtual PCD 00 01"]
    finally:
        monitor.driver.stop()


def test_the_device_manager_finds_the_pcsc_driver(pcscd, card_slot):
    assert pcsc_available()
    events = []
    manager = DeviceManager({"card": "pcsc", "card.reader": card_slot.reader}, events.append)
    try:
        manager.detect_once()
        driver = manager.get("card")
        assert events == [DeviceEvent("card", "pcsc", "connected")]
        assert isinstance(driver, PcscCardReader)
        assert driver.reader_filter == card_slot.reader
        assert driver.running
    finally:
        manager.stop()
    assert not driver.running

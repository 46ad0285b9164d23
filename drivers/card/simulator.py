"""A card reader that needs no hardware: tests and demo kiosks insert cards by calling it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping

from drivers.card.interface import (
    UNSUPPORTED_CARD,
    CardData,
    CardEvent,
    CardInserted,
    CardRead,
    CardReaderDriver,
    CardRemoved,
    ReaderAdded,
    ReadFailed,
)

READER_NAME = "Simulated Reader 0"


class SimulatedCardReader(CardReaderDriver):
    """One reader. ``insert``/``remove`` return at once; the events follow on the
    reader's own thread, each after ``delay_s``, as a real reader's would."""

    name = "simulator"

    def __init__(self, delay_s: float = 0.05) -> None:
        super().__init__()
        self._delay_s = delay_s
        self._pending: queue.Queue[CardEvent | None] = queue.Queue()
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._card_present = False
        self._state_lock = threading.Lock()

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        return True

    def start(self) -> None:
        if self._worker is not None:
            return
        self._stopping.clear()
        # A fresh queue: events left over from before a stop() belong to the old session.
        self._pending = queue.Queue()
        self._card_present = False
        self._worker = threading.Thread(
            target=self._deliver_events,
            args=(self._pending,),
            name="simulated-card-reader",
            daemon=True,
        )
        self._worker.start()
        self._pending.put(ReaderAdded(READER_NAME))

    def stop(self) -> None:
        if self._worker is None:
            return
        self._stopping.set()
        self._pending.put(None)
        self._worker.join()
        self._worker = None

    def readers(self) -> list[str]:
        return [READER_NAME] if self._worker is not None else []

    def insert(self, card: CardData) -> None:
        self._take_slot()
        self._pending.put(CardInserted(READER_NAME))
        self._pending.put(CardRead(READER_NAME, card))

    def insert_unsupported(self) -> None:
        """A card without any application the kiosk knows (e.g. a bank card)."""
        self._take_slot()
        self._pending.put(CardInserted(READER_NAME))
        self._pending.put(
            ReadFailed(READER_NAME, UNSUPPORTED_CARD, "no known application selected")
        )

    def remove(self) -> None:
        """Take the card out; does nothing if there is none, like pulling at an empty slot."""
        with self._state_lock:
            if not self._card_present:
                return
            self._card_present = False
        self._pending.put(CardRemoved(READER_NAME))

    def _take_slot(self) -> None:
        with self._state_lock:
            if self._worker is None:
                raise RuntimeError("the simulated reader is not started")
            if self._card_present:
                raise RuntimeError("a card is already inserted; remove() it first")
            self._card_present = True

    def _deliver_events(self, pending: queue.Queue[CardEvent | None]) -> None:
        while True:
            event = pending.get()
            # wait() rather than sleep() so stop() is not held up by the delay.
            if event is None or self._stopping.wait(self._delay_s):
                return
            self._emit(event)

"""The real ID-card reader driver: PC/SC through pcscd, with pyscard's low-level API.

One monitor thread watches every reader whose name matches the optional ``reader``
filter, plus pcsc-lite's ``\\\\?PnP?\\Notification`` pseudo reader (it changes when a
reader is plugged in or out), with ``SCardGetStatusChange``. When a card arrives it
reports ``CardInserted``, reads the card on the same thread through ``PcscCard`` and
``profiles.read_card``, and reports ``CardRead`` or ``ReadFailed``; ``CardRemoved``
follows when pcscd sees the card leave.

What the thread survives, since a kiosk runs for months unattended:

* pcscd restarting (or crashing): the context dies with it (calls fail with
  SCARD_F_COMM_ERROR, then SCARD_E_NO_SERVICE). Every card still in counts as removed,
  every reader as gone; the dead context is released and a new one established with
  backoff; readers and cards are then picked up again.
* a reader unplugged and plugged back: ``ReaderRemoved`` (after ``CardRemoved`` if a
  card was in), then ``ReaderAdded``.
* anything unexpected: logged, then the loop carries on. A card that was announced
  always gets its ``CardRead`` or ``ReadFailed``, so a screen never waits forever.

Configuration: ``card = pcsc``, and optionally ``card.reader = <part of a reader name>``
(case-insensitive) when the kiosk has several readers and only one is for ID cards.

pyscard is imported here only if it is installed, so the device manager can list this
driver on any machine; ``detect`` says False without it.

Privacy: log lines and ``ReadFailed.detail`` name readers, commands and PC/SC codes,
never card data or APDUs; an unexpected error while reading is logged by type and
stack only, since an exception's message may quote the bytes that upset it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.card import errors
from drivers.card.interface import (
    CARD_REMOVED,
    READ_ERROR,
    UNSUPPORTED_CARD,
    CardData,
    CardEvent,
    CardInserted,
    CardRead,
    CardReaderDriver,
    CardRemoved,
    ReaderAdded,
    ReaderRemoved,
    ReadFailed,
)
from drivers.card.profiles import read_card

try:
    from smartcard import scard

    from drivers.card.connection import PcscCard
except ImportError:  # a machine without pyscard: the driver is listed but never detected
    scard = None
    PcscCard = None

logger = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"


_MASK = 0xFFFFFFFF
# How long one SCardGetStatusChange may block. stop() cancels the wait, so this only
# sets how often the reader list is re-checked in case a PnP notification was missed.
WAIT_MS = 1000
# Re-establishing the context after pcscd went away: first retry soon (a restart takes
# a fraction of a second), then back off so a stopped service costs nothing.
FIRST_RETRY_S = 0.05
MAX_RETRY_S = 2.0
# After an unexpected error, before the loop tries again.
ERROR_PAUSE_S = 0.5
# More wake-ups than this in one second means pcscd keeps answering at once; then the
# loop pauses a little each time instead of spinning.
MAX_WAKEUPS_PER_S = 50

CardReadFunction = Callable[[Callable[[bytes], tuple[bytes, int, int]]], CardData]


def _code(hresult: int) -> int:
    return hresult & _MASK


def pcsc_available() -> bool:
    """Whether pyscard is installed and pcscd answers (a context can be established)."""
    if scard is None:
        return False
    try:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != _code(scard.SCARD_S_SUCCESS):
            return False
        scard.SCardReleaseContext(context)
    except Exception:  # detect() must never raise for "absent"
        logger.debug("PC/SC context check failed", exc_info=True)
        return False
    return True


def list_readers(reader_filter: str = "") -> list[str]:
    """Names of the attached readers matching ``reader_filter`` (case-insensitive
    substring). Raises ``ReaderUnavailable`` if pyscard is missing or pcscd is not running.
    """
    if scard is None:
        raise errors.ReaderUnavailable("pyscard is not installed")
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if _code(hresult) != _code(scard.SCARD_S_SUCCESS):
        raise errors.ReaderUnavailable(
            f"the PC/SC service is not available: {scard.SCardGetErrorMessage(hresult)}"
        )
    try:
        hresult, names = scard.SCardListReaders(context, [])
    finally:
        scard.SCardReleaseContext(context)
    if _code(hresult) == _code(scard.SCARD_E_NO_READERS_AVAILABLE):
        return []
    if _code(hresult) != _code(scard.SCARD_S_SUCCESS):
        raise errors.ReaderUnavailable(
            f"listing the readers failed: {scard.SCardGetErrorMessage(hresult)}"
        )
    return [name for name in names if _matches(name, reader_filter)]


def _matches(name: str, reader_filter: str) -> bool:
    return reader_filter.casefold() in name.casefold()


@dataclass
class _Reader:
    name: str
    # What we tell SCardGetStatusChange we know: its last answer without CHANGED.
    state: int = 0
    # CardInserted was reported and CardRemoved not yet.
    card_in: bool = False
    # pcscd's event count (high 16 bits of the state) when that card was seen.
    card_event: int = 0


class PcscCardReader(CardReaderDriver):
    """Every PC/SC reader whose name contains ``reader_filter`` (all if empty).

    ``read`` turns a transmit function into ``CardData``; it defaults to
    ``profiles.read_card`` (Belgian eID, PIV, contactless UID), and a kiosk that accepts
    fewer kinds of card may pass its own.
    """

    name = "pcsc"

    def __init__(self, reader_filter: str = "", *, read: CardReadFunction = read_card) -> None:
        super().__init__()
        self.reader_filter = reader_filter
        self._read = read
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Guards the context handle between the monitor and stop()'s SCardCancel.
        self._context_lock = threading.Lock()
        self._context: int | None = None
        self._readers: dict[str, _Reader] = {}
        self._readers_lock = threading.Lock()
        self._pnp_state = 0
        self._pnp_works = True
        self._retry_s = FIRST_RETRY_S
        self._outage_logged = False
        self._wakeups = 0
        self._wakeups_since = 0.0

    # Driver -------------------------------------------------------------------

    @classmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        return pcsc_available()

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> PcscCardReader:
        return cls(reader_filter=options.get("reader", ""))

    def start(self) -> None:
        if scard is None:
            raise RuntimeError("pyscard is not installed: the pcsc card driver cannot start")
        if self._thread is not None:
            return
        self._stopping.clear()
        self._reset_state()
        self._thread = threading.Thread(target=self._monitor, name="pcsc-card-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the monitor: cancels its wait, so this returns within a few milliseconds
        unless a card is being read (then once that read ends)."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        if thread is threading.current_thread():
            return  # called by a subscriber: the loop ends once the callback returns
        deadline = time.monotonic() + timeout_s
        while thread.is_alive() and time.monotonic() < deadline:
            # A cancel that arrives between two waits is lost, hence the repeat.
            self._cancel_wait()
            thread.join(0.05)
        if thread.is_alive():
            logger.warning("the card monitor is still busy %.1f s after stop()", timeout_s)
        self._thread = None

    def readers(self) -> list[str]:
        with self._readers_lock:
            return list(self._readers)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # The monitor thread ---------------------------------------------------------

    def _monitor(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._step()
                except Exception:
                    # Never die silently: a dead monitor is a kiosk that ignores cards.
                    logger.exception("the card monitor hit an unexpected error; carrying on")
                    self._stopping.wait(ERROR_PAUSE_S)
        finally:
            self._release_context()
            self._reset_state()

    def _step(self) -> None:
        """One round: make sure there is a context, wait for a change, act on it."""
        context = self._context
        if context is None:
            if not self._establish():
                self._stopping.wait(self._retry_s)
                self._retry_s = min(self._retry_s * 2, MAX_RETRY_S)
            return
        with self._readers_lock:
            states = [(reader.name, reader.state) for reader in self._readers.values()]
        if self._pnp_works:
            states.append((PNP_READER, self._pnp_state))
        if not states:
            # Nothing to wait on (no readers and no PnP): look again later.
            self._stopping.wait(WAIT_MS / 1000)
            self._sync_readers()
            return

        hresult, new_states = scard.SCardGetStatusChange(context, WAIT_MS, states)
        hresult = _code(hresult)
        if self._stopping.is_set():
            return
        if hresult == _code(scard.SCARD_S_SUCCESS):
            self._throttle()
            self._apply(new_states)
        elif hresult == _code(scard.SCARD_E_TIMEOUT):
            self._sync_readers()  # cheap, and covers a PnP notification that never came
        elif hresult == _code(scard.SCARD_E_CANCELLED):
            pass
        elif hresult == _code(scard.SCARD_E_UNKNOWN_READER):
            self._sync_readers()  # a reader left between the listing and the wait
        else:
            # SCARD_F_COMM_ERROR when pcscd dies mid-wait, NO_SERVICE, SERVICE_STOPPED,
            # INVALID_HANDLE afterwards; anything else also earns a fresh context.
            self._lose_context(hresult)

    def _establish(self) -> bool:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != _code(scard.SCARD_S_SUCCESS):
            if not self._outage_logged:
                logger.warning(
                    "PC/SC service unavailable (%s); retrying",
                    scard.SCardGetErrorMessage(hresult),
                )
                self._outage_logged = True
            return False
        with self._context_lock:
            self._context = context
        if self._outage_logged:
            logger.info("PC/SC service available again")
        self._outage_logged = False
        self._retry_s = FIRST_RETRY_S
        self._sync_readers()
        return True

    def _sync_readers(self) -> None:
        """Report readers that appeared or left since the last look."""
        context = self._context
        if context is None:
            return
        hresult, names = scard.SCardListReaders(context, [])
        hresult = _code(hresult)
        if hresult == _code(scard.SCARD_E_NO_READERS_AVAILABLE):
            names = []
        elif hresult != _code(scard.SCARD_S_SUCCESS):
            self._lose_context(hresult)
            return
        # Newer pcsc-lite compares the high 16 bits of the PnP state with the reader
        # count and answers at once when they differ; 1.9 just signals changes.
        self._pnp_state = len(names) << 16
        wanted = [name for name in names if _matches(name, self.reader_filter)]
        for name in [name for name in self._readers if name not in wanted]:
            self._drop_reader(name)
        for name in wanted:
            if name not in self._readers:
                with self._readers_lock:
                    # UNAWARE: the first wait answers at once with the reader's state,
                    # so a card already in the reader is read too.
                    self._readers[name] = _Reader(name, scard.SCARD_STATE_UNAWARE)
                logger.info("card reader added: %s", name)
                self._report(ReaderAdded(name))

    def _apply(self, new_states: list[tuple[str, int, list[int]]]) -> None:
        resync = False
        for name, event_state, _atr in new_states:
            event_state = _code(event_state)
            if name == PNP_READER:
                if event_state & scard.SCARD_STATE_UNKNOWN:
                    logger.info("no PnP notifications from PC/SC; polling the reader list")
                    self._pnp_works = False
                elif event_state & scard.SCARD_STATE_CHANGED:
                    self._pnp_state = event_state & ~scard.SCARD_STATE_CHANGED & _MASK
                    resync = True
                continue
            reader = self._readers.get(name)
            if reader is None:
                continue
            reader.state = event_state & ~scard.SCARD_STATE_CHANGED & _MASK
            if event_state & scard.SCARD_STATE_UNKNOWN:
                resync = True  # the reader is gone; the listing reports it
                continue
            self._card_state(reader, event_state)
            if self._stopping.is_set():
                return
        if resync:
            self._sync_readers()

    def _card_state(self, reader: _Reader, event_state: int) -> None:
        present = bool(event_state & scard.SCARD_STATE_PRESENT) and not (
            event_state & scard.SCARD_STATE_UNAVAILABLE
        )
        event = event_state >> 16
        # A different event count with a card still present: it was swapped between
        # two looks (pcscd counts every insertion and removal).
        if reader.card_in and (not present or event != reader.card_event):
            reader.card_in = False
            logger.info("card removed from %s", reader.name)
            self._report(CardRemoved(reader.name))
        if present and not reader.card_in:
            reader.card_in = True
            reader.card_event = event
            logger.info("card inserted into %s", reader.name)
            self._report(CardInserted(reader.name))
            self._report(self._read_card(reader.name))

    def _read_card(self, reader: str) -> CardEvent:
        transport = PcscCard(reader)
        try:
            transport.connect()
            card = self._read(transport)
        except errors.CardNotSupported as error:
            outcome: CardEvent = ReadFailed(reader, UNSUPPORTED_CARD, str(error))
        except errors.CardRemoved as error:
            outcome = ReadFailed(reader, CARD_REMOVED, str(error))
        except errors.CardError as error:
            # Also ReaderUnavailable: the next wait finds out whether pcscd is gone.
            outcome = ReadFailed(reader, READ_ERROR, str(error))
        except Exception as error:
            logger.error(
                "unexpected %s while reading a card in %s (message withheld):\n%s",
                type(error).__name__,
                reader,
                "".join(traceback.format_tb(error.__traceback__)).rstrip(),
            )
            outcome = ReadFailed(reader, READ_ERROR, f"internal error ({type(error).__name__})")
        else:
            outcome = CardRead(reader, card)
        finally:
            transport.close()
        if isinstance(outcome, CardRead):
            logger.info("card read from %s: %s profile", reader, outcome.card.profile)
        else:
            logger.info("card in %s not read: %s (%s)", reader, outcome.reason, outcome.detail)
        return outcome

    def _drop_reader(self, name: str) -> None:
        with self._readers_lock:
            reader = self._readers.pop(name)
        if reader.card_in:
            logger.info("card removed from %s (reader gone)", name)
            self._report(CardRemoved(name))
        logger.info("card reader removed: %s", name)
        self._report(ReaderRemoved(name))

    def _lose_context(self, hresult: int) -> None:
        """pcscd went away (or the context broke): cards and readers are gone with it."""
        logger.warning(
            "PC/SC context lost (%s); re-establishing", scard.SCardGetErrorMessage(hresult)
        )
        self._outage_logged = True
        for name in list(self._readers):
            self._drop_reader(name)
        self._release_context()

    def _release_context(self) -> None:
        with self._context_lock:
            context, self._context = self._context, None
        if context is not None and scard is not None:
            # Fails for a context that died with pcscd; nothing is left to free then.
            scard.SCardReleaseContext(context)

    def _cancel_wait(self) -> None:
        with self._context_lock:
            if self._context is not None:
                scard.SCardCancel(self._context)

    def _reset_state(self) -> None:
        with self._readers_lock:
            self._readers.clear()
        self._pnp_works = True
        self._retry_s = FIRST_RETRY_S
        self._outage_logged = False

    def _throttle(self) -> None:
        now = time.monotonic()
        if now - self._wakeups_since > 1.0:
            self._wakeups_since, self._wakeups = now, 0
        self._wakeups += 1
        if self._wakeups > MAX_WAKEUPS_PER_S:
            self._stopping.wait(0.02)

    def _report(self, event: CardEvent) -> None:
        # After stop() nobody is listening for this session any more.
        if not self._stopping.is_set():
            self._emit(event)

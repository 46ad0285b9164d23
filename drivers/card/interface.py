"""What an ID-card reader driver reports, whatever the reader technology.

Events are delivered on the driver's own thread: subscribers must hand them over to
their own thread (a UI would use its scheduler) and must not block.
"""

from __future__ import annotations

import datetime
import logging
import threading
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from drivers.base import Driver
from drivers.privacy import RedactedMapping, mask_tail

logger = logging.getLogger(__name__)

PROFILES = ("beid", "piv", "uid")


@dataclass(frozen=True)
class CardData:
    """What was read from a card. Lives in memory only, for one session.

    ``identifier`` is raw (card number, national number or UID): hash it before it
    leaves the device (see ``kiosk.identity``). ``dataclasses.asdict`` would expose
    it, so never serialise this object as a whole.
    """

    profile: str
    identifier: str
    display_name: str
    expires: datetime.date | None = None
    extra: Mapping[str, str] = field(default_factory=RedactedMapping)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown card profile {self.profile!r}; expected one of {PROFILES}")
        if not self.identifier:
            raise ValueError("a card must have an identifier")
        # Frozen: the only way to normalise a field is object.__setattr__.
        object.__setattr__(self, "extra", RedactedMapping(self.extra))

    def __repr__(self) -> str:
        return (
            f"CardData(profile={self.profile!r}, identifier={mask_tail(self.identifier)!r}, "
            f"display_name={self.display_name!r}, expires={self.expires!r}, "
            f"extra={self.extra!r})"
        )

    @property
    def expired(self) -> bool:
        return self.expired_on(datetime.date.today())

    def expired_on(self, today: datetime.date) -> bool:
        """A card is valid through its expiry date; no date means it does not expire."""
        return self.expires is not None and today > self.expires


@dataclass(frozen=True)
class CardEvent:
    reader: str


@dataclass(frozen=True)
class ReaderAdded(CardEvent):
    pass


@dataclass(frozen=True)
class ReaderRemoved(CardEvent):
    pass


@dataclass(frozen=True)
class CardInserted(CardEvent):
    pass


@dataclass(frozen=True)
class CardRead(CardEvent):
    card: CardData


@dataclass(frozen=True)
class CardRemoved(CardEvent):
    pass


# ReadFailed reasons, shared by every reader driver and the kiosk.
UNSUPPORTED_CARD = "unsupported_card"
CARD_REMOVED = "card_removed"
READ_ERROR = "read_error"


@dataclass(frozen=True)
class ReadFailed(CardEvent):
    """``reason`` is a short code ("unsupported_card", "card_removed", "read_error");
    ``detail`` is for technicians and must never contain card data or raw APDUs."""

    reason: str
    detail: str = ""


CardCallback = Callable[[CardEvent], None]


class CardReaderDriver(Driver):
    """A card reader: emits CardEvents to subscribers, in the order things happen."""

    kind: ClassVar[str] = "card"

    def __init__(self) -> None:
        self._subscribers: list[CardCallback] = []
        self._subscribers_lock = threading.Lock()

    def subscribe(self, callback: CardCallback) -> None:
        with self._subscribers_lock:
            self._subscribers.append(callback)

    def unsubscribe(self, callback: CardCallback) -> None:
        with self._subscribers_lock:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

    @abstractmethod
    def readers(self) -> list[str]:
        """Names of the readers currently attached."""

    def _emit(self, event: CardEvent) -> None:
        with self._subscribers_lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            # One faulty subscriber must not stop the others or kill the reader thread.
            try:
                callback(event)
            except Exception:
                logger.exception("card event subscriber failed on %s", type(event).__name__)

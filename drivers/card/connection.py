"""A card in a PC/SC reader, as the ``transmit`` callable ``ApduChannel`` expects.

pyscard reports every failure as a CardConnectionException with a PC/SC code; this maps
them onto what a reader loop must do next: ``CardRemoved`` (wait for the next card),
``ReaderUnavailable`` (re-establish the context: after a pcscd restart the old one is
dead) or a plain ``CardError``.
"""

from __future__ import annotations

import contextlib
from types import TracebackType

from smartcard import scard
from smartcard.Exceptions import NoCardException, SmartcardException
from smartcard.pcsc.PCSCCardConnection import PCSCCardConnection
from smartcard.pcsc.PCSCExceptions import BaseSCardException

from drivers.card.errors import CardError, CardRemoved, ReaderUnavailable


def _codes(*names: str) -> frozenset[int]:
    return frozenset(getattr(scard, name) & 0xFFFFFFFF for name in names)


# NOT_TRANSACTED is what a transmit fails with when the card is pulled mid-command,
# before pcscd's presence poll (every 0.4 s) has noticed the removal.
_CARD_GONE = _codes(
    "SCARD_W_REMOVED_CARD",
    "SCARD_E_NO_SMARTCARD",
    "SCARD_E_NOT_TRANSACTED",
    "SCARD_W_UNPOWERED_CARD",
)
_READER_GONE = _codes(
    "SCARD_E_NO_SERVICE",
    "SCARD_E_SERVICE_STOPPED",
    "SCARD_E_READER_UNAVAILABLE",
    "SCARD_E_UNKNOWN_READER",
    "SCARD_E_NO_READERS_AVAILABLE",
    "SCARD_E_INVALID_HANDLE",
)
# pyscard raises with this "success" code when the reader hands back fewer than the two
# status bytes: vpcd does so when the card's socket closes, a real reader when the
# contacts lose the card mid-response.
_EMPTY_RESPONSE = 0


def map_pcsc_error(error: Exception, doing: str) -> CardError:
    """Our error for a pyscard exception; messages carry the PC/SC code, never data."""
    code = getattr(error, "hresult", -1) & 0xFFFFFFFF
    reason = scard.SCardGetErrorMessage(code) if code else "no response"
    if isinstance(error, NoCardException) or code in _CARD_GONE or code == _EMPTY_RESPONSE:
        return CardRemoved(f"card removed while {doing}: {reason}")
    if code in _READER_GONE:
        return ReaderUnavailable(f"reader unavailable while {doing}: {reason}")
    return CardError(f"PC/SC error while {doing}: {reason} (0x{code:08X})")


class _Connection(PCSCCardConnection):
    def __del__(self) -> None:
        # When the context could not be established (pcscd down), pyscard's destructor
        # raises and Python prints "Exception ignored" on every retry of a reader loop.
        with contextlib.suppress(SmartcardException, BaseSCardException):
            super().__del__()


class PcscCard:
    """A connection to the card in one reader. Call the object to transmit an APDU."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        self._connection: _Connection | None = None

    def connect(self) -> None:
        try:
            connection = _Connection(self.reader)
        except (SmartcardException, BaseSCardException) as error:
            raise map_pcsc_error(error, "opening the PC/SC context") from error
        try:
            connection.connect()
        except (SmartcardException, BaseSCardException) as error:
            _release(connection)
            raise map_pcsc_error(error, "connecting") from error
        self._connection = connection

    @property
    def atr(self) -> bytes:
        try:
            return bytes(self._connected().getATR())
        except (SmartcardException, BaseSCardException) as error:
            raise map_pcsc_error(error, "reading the ATR") from error

    def __call__(self, apdu: bytes) -> tuple[bytes, int, int]:
        try:
            data, sw1, sw2 = self._connected().transmit(list(apdu))
        except (SmartcardException, BaseSCardException) as error:
            raise map_pcsc_error(error, "exchanging an APDU") from error
        return bytes(data), sw1, sw2

    def close(self) -> None:
        """Disconnect and release the context; safe after the card or pcscd went away."""
        connection, self._connection = self._connection, None
        if connection is not None:
            _release(connection)

    def __enter__(self) -> PcscCard:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _connected(self) -> _Connection:
        if self._connection is None:
            raise CardError("not connected to the card")
        return self._connection


def _release(connection: _Connection) -> None:
    # Disconnecting a removed card, or anything after pcscd died, fails: nothing to undo.
    with contextlib.suppress(SmartcardException, BaseSCardException):
        connection.release()

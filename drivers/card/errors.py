"""Errors of the card stack. Everything the card layers raise derives from ``CardError``,
so a reader loop needs one ``except`` to survive any card.

Messages are for technicians: they name commands, files and status words, never card
data or raw APDUs (those may hold a national number).

``CardRemoved`` here is the exception; ``drivers.card.interface.CardRemoved`` is the
event a reader driver emits. Import this module as ``errors`` to keep them apart.
"""

from __future__ import annotations

# ISO 7816-4 status words, as a technician would want to read them.
STATUS_WORDS = {
    0x6281: "part of the returned data may be corrupted",
    0x6282: "end of file reached before reading the expected length",
    0x6700: "wrong length",
    0x6981: "command incompatible with the file structure",
    0x6982: "security status not satisfied (PIN or authentication needed)",
    0x6983: "authentication method blocked",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current file)",
    0x6A80: "incorrect data in the command",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "offset outside the file",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}


def describe_status(sw: int) -> str:
    """Readable text for a status word, including the ranges with a parameter in SW2."""
    if sw in STATUS_WORDS:
        return STATUS_WORDS[sw]
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x61:
        return f"{sw2 or 256} more bytes available"
    if sw1 == 0x6C:
        return f"wrong Le, the card expects {sw2 or 256}"
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return f"verification failed, {sw2 & 0x0F} tries left"
    return "unknown status"


class CardError(Exception):
    """Base of every error the card layers raise."""


class CardDataError(CardError):
    """The card answered, but what it returned is malformed or incomplete."""


class CardRemoved(CardError):
    """The card went away (or stopped answering) before the read finished."""


class CardNotSupported(CardError):
    """No application the kiosk knows answered on this card."""


class ReaderUnavailable(CardError):
    """The reader or the PC/SC service is gone; the caller should re-establish it."""


class ApduError(CardError):
    """A command failed with a status word other than success."""

    def __init__(self, sw: int, command: str = "command") -> None:
        self.sw = sw
        self.command = command
        super().__init__(f"{command} failed: {sw:04X} {describe_status(sw)}")

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

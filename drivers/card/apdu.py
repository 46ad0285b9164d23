"""ISO 7816-4 command/response exchange over any ``transmit`` callable.

``transmit(command) -> (data, sw1, sw2)`` is what a pyscard connection offers (see
``drivers.card.connection``) and what tests build around ``VirtualCard.respond``. The
layer adds what pyscard leaves to the caller: 61xx (fetch the rest with GET RESPONSE),
6Cxx (re-send with the Le the card asked for) and whole-file READ BINARY.

Only command headers and status words are logged: command data may hold an AID or a
path (harmless) but responses hold personal data, so neither is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from drivers.card.errors import ApduError, CardDataError

logger = logging.getLogger(__name__)

Transmit = Callable[[bytes], tuple[bytes, int, int]]

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_OFFSET_OUTSIDE_FILE = 0x6B00

READ_BLOCK = 0xFF
# READ BINARY with an offset in P1-P2 can address 15 bits (P1's top bit means "short
# file identifier"), so no readable file is longer.
MAX_FILE_SIZE = 0x7FFF + READ_BLOCK
# A response is at most 64 KiB, i.e. 256 GET RESPONSE rounds of 256 bytes.
MAX_GET_RESPONSE_ROUNDS = 256


def command(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    """A short APDU. ``le`` 0 asks for up to 256 bytes, ``None`` for no data."""
    if len(data) > 0xFF or (le is not None and not 0 <= le <= 0xFF):
        raise ValueError("only short APDUs are supported")
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([le])
    return apdu


def with_le(apdu: bytes, le: int) -> bytes:
    """The same short APDU with its Le replaced (or added)."""
    if len(apdu) == 4:
        return apdu + bytes([le])
    if len(apdu) == 5:
        return apdu[:4] + bytes([le])
    lc = apdu[4]
    if len(apdu) == 5 + lc:
        return apdu + bytes([le])
    if len(apdu) == 6 + lc:
        return apdu[:-1] + bytes([le])
    raise ValueError("not a short APDU")


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    def __repr__(self) -> str:
        # The data is card content: show its size only.
        return f"Response(<{len(self.data)} bytes>, sw={self.sw:04X})"


class ApduChannel:
    """Sends commands to one card and returns complete responses."""

    def __init__(self, transmit: Transmit) -> None:
        self._transmit_fn = transmit

    def exchange(self, apdu: bytes) -> Response:
        """Send ``apdu``; follow 6Cxx and 61xx so the caller sees the final status word."""
        data, sw = self._send_fixing_le(apdu)
        collected = bytearray(data)
        rounds = 0
        while sw >> 8 == 0x61:
            rounds += 1
            if rounds > MAX_GET_RESPONSE_ROUNDS:
                raise CardDataError("the card keeps answering 61xx")
            # GET RESPONSE uses the command's class, unless that was proprietary.
            cla = apdu[0] if apdu[0] < 0x80 else 0x00
            data, sw = self._send_fixing_le(command(cla, 0xC0, 0x00, 0x00, le=sw & 0xFF))
            collected += data
        return Response(bytes(collected), sw)

    def send(self, apdu: bytes, name: str) -> bytes:
        """``exchange`` that raises ``ApduError`` (naming ``name``) unless the card says 9000."""
        response = self.exchange(apdu)
        if response.sw != SW_OK:
            raise ApduError(response.sw, name)
        return response.data

    def select_aid(self, aid: bytes, *, want_fci: bool = False) -> bytes:
        if want_fci:
            return self.send(command(0x00, 0xA4, 0x04, 0x00, aid, le=0), "SELECT by AID")
        return self.send(command(0x00, 0xA4, 0x04, 0x0C, aid), "SELECT by AID")

    def select_path(self, path: bytes) -> None:
        """Select an elementary file by its path from the MF (P2 0C: no FCI wanted)."""
        self.send(command(0x00, 0xA4, 0x08, 0x0C, path), "SELECT by path")

    def read_binary(self, what: str = "file") -> bytes:
        """The whole current file, block by block, until a short block or 6B00."""
        content = bytearray()
        while True:
            offset = len(content)
            if offset > MAX_FILE_SIZE - READ_BLOCK:
                raise CardDataError(f"{what} is longer than READ BINARY can address")
            response = self.exchange(command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=READ_BLOCK))
            if response.sw == SW_OFFSET_OUTSIDE_FILE:
                # The previous block ended exactly at the end of the file (or it is empty).
                break
            if response.sw not in (SW_OK, SW_END_OF_FILE):
                raise ApduError(response.sw, f"READ BINARY of {what}")
            content += response.data
            if response.sw == SW_END_OF_FILE or len(response.data) < READ_BLOCK:
                break
        return bytes(content)

    def _send_fixing_le(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = self._transmit(apdu)
        if sw >> 8 == 0x6C:
            # Only once: a card that asks for yet another Le is not to be argued with.
            data, sw = self._transmit(with_le(apdu, sw & 0xFF))
        return data, sw

    def _transmit(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw1, sw2 = self._transmit_fn(apdu)
        if not all(isinstance(b, int) and 0 <= b <= 0xFF for b in (sw1, sw2)):
            raise CardDataError("the reader returned an invalid status word")
        sw = (sw1 << 8) | sw2
        logger.debug("APDU %s -> %04X (%d bytes)", apdu[:4].hex(" ").upper(), sw, len(data))
        return bytes(data), sw

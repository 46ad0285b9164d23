"""ZVT transport: how APDUs travel between the kiosk (ECR) and the terminal (PT).

On RS-232 (PA00P016) every APDU goes in a frame::

    DLE STX  <APDU, each DLE doubled>  DLE ETX  <CRC-16 low byte> <CRC-16 high byte>

The CRC is CRC-16/CCITT in its reflected form (the KERMIT variant, check value 0x2189
over "123456789") over the unstuffed APDU and the ETX. The receiver answers every
frame with ACK (06) or NAK (15); after a NAK, or no answer, the sender sends it again,
3 tries in all. Bytes before a DLE STX are line noise and are skipped.

Over TCP (ZVT's port 20007, reached through pyserial's ``socket://`` URLs) there is no
framing and no ACK: TCP already delivers bytes intact and in order, so APDUs are sent
bare (:class:`PlainLink`).

Timeouts, and where each default comes from:

``ack_timeout_s`` = 5
    How long a sender waits for ACK/NAK before sending the frame again: the
    acknowledgement timer (T3) of the serial transport in PA00P016.
``byte_timeout_s`` = 0.5
    The longest gap allowed inside one frame; a frame that stalls longer is dropped
    and NAKed, so the sender repeats it. The specification's own inter-character
    timer is shorter; we allow more because USB serial adapters deliver in bursts,
    and at 9600 baud a byte takes about 1 ms, so 0.5 s is never normal.
``max_tries`` = 3
    Transmissions of one frame before the link is declared broken (PA00P016).
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

log = logging.getLogger(__name__)

DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15
# The largest APDU: 3 header bytes, FF and a 2-byte length, 65535 data bytes.
MAX_APDU_BYTES = 65_540
# Reversing the bits of every byte turns the reflected CRC into the plain CCITT CRC
# that binascii computes in C (crc_hqx), so no CRC loop runs in Python.
_REVERSED_BITS = bytes(int(f"{n:08b}"[::-1], 2) for n in range(256))


def crc16(data: bytes) -> int:
    """CRC-16/CCITT as ZVT uses it (KERMIT: reflected, initial value 0)."""
    plain = binascii.crc_hqx(data.translate(_REVERSED_BITS), 0)
    return int(f"{plain:016b}"[::-1], 2)


def encode_frame(apdu: bytes) -> bytes:
    crc = crc16(apdu + bytes([ETX]))
    stuffed = apdu.replace(bytes([DLE]), bytes([DLE, DLE]))
    return bytes([DLE, STX]) + stuffed + bytes([DLE, ETX, crc & 0xFF, crc >> 8])


@dataclass(frozen=True)
class Frame:
    apdu: bytes


@dataclass(frozen=True)
class Control:
    byte: int  # ACK or NAK


@dataclass(frozen=True)
class BadFrame:
    reason: str  # "crc", "framing" or "too_long"


Event = Frame | Control | BadFrame


class FrameDecoder:
    """Turns a byte stream into frames and ACK/NAK bytes; never raises on input.

    Outside a frame, ACK and NAK are reported and anything else is noise (counted in
    ``noise_bytes``). A DLE STX inside a frame restarts it: the sender gave up on the
    broken one and is sending again.
    """

    _HUNT, _AFTER_DLE_HUNT, _BODY, _AFTER_DLE, _CRC = range(5)

    def __init__(self) -> None:
        self.noise_bytes = 0
        self.reset()

    def reset(self) -> None:
        self._state = self._HUNT
        self._body = bytearray()
        self._crc = bytearray()

    @property
    def in_frame(self) -> bool:
        return self._state not in (self._HUNT, self._AFTER_DLE_HUNT)

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for byte in data:
            event = self._step(byte)
            if event is not None:
                events.append(event)
        return events

    def _step(self, byte: int) -> Event | None:
        state = self._state
        if state == self._HUNT:
            if byte == DLE:
                self._state = self._AFTER_DLE_HUNT
            elif byte in (ACK, NAK):
                return Control(byte)
            else:
                self.noise_bytes += 1
            return None
        if state == self._AFTER_DLE_HUNT:
            if byte == STX:
                self._start_body()
            elif byte == DLE:
                self.noise_bytes += 1  # still after a DLE
            else:
                self.noise_bytes += 2
                self._state = self._HUNT
            return None
        if state == self._BODY:
            if byte == DLE:
                self._state = self._AFTER_DLE
            else:
                return self._append(byte)
            return None
        if state == self._AFTER_DLE:
            if byte == DLE:
                self._state = self._BODY
                return self._append(DLE)
            if byte == ETX:
                self._state = self._CRC
                return None
            if byte == STX:
                self._start_body()
                return BadFrame("framing")
            self.reset()
            return BadFrame("framing")
        self._crc.append(byte)
        if len(self._crc) < 2:
            return None
        apdu = bytes(self._body)
        received = self._crc[0] | self._crc[1] << 8
        self.reset()
        if crc16(apdu + bytes([ETX])) != received:
            return BadFrame("crc")
        return Frame(apdu)

    def _start_body(self) -> None:
        self._state = self._BODY
        self._body = bytearray()
        self._crc = bytearray()

    def _append(self, byte: int) -> Event | None:
        self._body.append(byte)
        if len(self._body) > MAX_APDU_BYTES:
            self.reset()
            return BadFrame("too_long")
        return None


class LinkError(Exception):
    """The line failed: the port is gone (EIO), or frames are never acknowledged."""


@dataclass(frozen=True)
class LinkTimeouts:
    ack_timeout_s: float = 5.0
    byte_timeout_s: float = 0.5
    max_tries: int = 3
    # How often a blocked read wakes up to look at a cancel request or a deadline.
    poll_s: float = 0.05


WireTap = Callable[[str, bytes], None]  # ("tx" | "rx", bytes), for benchmarks and tests


# What a dying port raises: pyserial's errors, OSError (EIO when socat or a USB
# adapter goes away) and termios.error (EIO while draining a write).
_PORT_ERRORS = (OSError, serial.SerialException, termios.error)


class _PortLink:
    """Reading and writing a pyserial port, with every port failure a LinkError."""

    def __init__(
        self, port: serial.SerialBase, timeouts: LinkTimeouts, *, tap: WireTap | None = None
    ):
        self.port = port
        self.timeouts = timeouts
        self._tap = tap
        port.timeout = timeouts.poll_s

    def close(self) -> None:
        with contextlib.suppress(*_PORT_ERRORS):
            self.port.close()

    def _read(self) -> bytes:
        try:
            chunk = self.port.read(self.port.in_waiting or 1)
        except _PORT_ERRORS as error:
            raise LinkError(f"port failed: {error}") from None
        if chunk and self._tap is not None:
            self._tap("rx", chunk)
        return chunk

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except _PORT_ERRORS as error:
            raise LinkError(f"port failed: {error}") from None
        if self._tap is not None:
            self._tap("tx", data)


class FramedLink(_PortLink):
    """The serial transport over a pyserial port (a real UART, a pty, or RFC 2217)."""

    def __init__(
        self, port: serial.SerialBase, timeouts: LinkTimeouts, *, tap: WireTap | None = None
    ):
        super().__init__(port, timeouts, tap=tap)
        self._decoder = FrameDecoder()
        self._inbox: list[bytes] = []
        self._controls: list[int] = []
        self._last_byte_at = 0.0

    def send(self, apdu: bytes) -> None:
        """Send one APDU and wait for its ACK; raises LinkError after max_tries."""
        frame = encode_frame(apdu)
        for attempt in range(1, self.timeouts.max_tries + 1):
            self._controls.clear()
            self._write(frame)
            answer = self._await_control(time.monotonic() + self.timeouts.ack_timeout_s)
            if answer == ACK:
                return
            log.info(
                "frame %s on try %d", "NAKed" if answer == NAK else "not acknowledged", attempt
            )
        raise LinkError(f"frame not acknowledged after {self.timeouts.max_tries} tries")

    def receive(self, timeout_s: float, *, stop: Callable[[], bool] | None = None) -> bytes | None:
        """The next intact APDU (ACKed), or None after ``timeout_s`` of nothing, or
        when ``stop()`` turns true between reads."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self._inbox:
                return self._inbox.pop(0)
            if time.monotonic() >= deadline or (stop is not None and stop()):
                return None
            self._pump()

    def _await_control(self, deadline: float) -> int | None:
        while time.monotonic() < deadline:
            if self._controls:
                return self._controls.pop(0)
            self._pump()
        return self._controls.pop(0) if self._controls else None

    def _pump(self) -> None:
        chunk = self._read()
        now = time.monotonic()
        if not chunk:
            if self._decoder.in_frame and now - self._last_byte_at > self.timeouts.byte_timeout_s:
                log.info("frame stalled for %.2f s; dropped", now - self._last_byte_at)
                self._decoder.reset()
                self._write(bytes([NAK]))
            return
        self._last_byte_at = now
        for event in self._decoder.feed(chunk):
            if isinstance(event, Frame) and self._refuse(event.apdu):
                self._write(bytes([NAK]))
            elif isinstance(event, Frame):
                self._write(bytes([ACK]))
                self._inbox.append(event.apdu)
            elif isinstance(event, Control):
                self._controls.append(event.byte)
            else:
                log.info("bad frame (%s); NAK sent", event.reason)
                self._write(bytes([NAK]))

    def _refuse(self, apdu: bytes) -> bool:
        """Whether to NAK an intact frame; only the terminal simulator ever does."""
        return False


def apdu_size(header: bytes) -> int | None:
    """Total size of the APDU that ``header`` starts, or None if more bytes are needed."""
    if len(header) < 3:
        return None
    if header[2] != 0xFF:
        return 3 + header[2]
    if len(header) < 5:
        return None
    return 5 + int.from_bytes(header[3:5], "little")


class PlainLink(_PortLink):
    """ZVT over TCP: bare APDUs, no framing, no ACK (TCP is already reliable)."""

    def __init__(
        self, port: serial.SerialBase, timeouts: LinkTimeouts, *, tap: WireTap | None = None
    ):
        super().__init__(port, timeouts, tap=tap)
        self._buffer = bytearray()

    def send(self, apdu: bytes) -> None:
        self._write(apdu)

    def receive(self, timeout_s: float, *, stop: Callable[[], bool] | None = None) -> bytes | None:
        deadline = time.monotonic() + timeout_s
        while True:
            size = apdu_size(bytes(self._buffer[:5]))
            if size is not None and len(self._buffer) >= size:
                apdu = bytes(self._buffer[:size])
                del self._buffer[:size]
                return apdu
            if time.monotonic() >= deadline or (stop is not None and stop()):
                return None
            self._buffer += self._read()


Link = FramedLink | PlainLink


def open_link(url: str, baudrate: int, line: str, timeouts: LinkTimeouts, *, tap=None) -> Link:
    """Open ``url`` (a device path, or a pyserial URL such as ``socket://host:20007``)."""
    bytesize, parity, stopbits = int(line[0]), line[1], int(line[2])
    try:
        port = serial.serial_for_url(
            url,
            baudrate=baudrate,
            bytesize=bytesize,
            parity=parity,
            stopbits=stopbits,
            timeout=timeouts.poll_s,
            write_timeout=timeouts.ack_timeout_s,
        )
    except (OSError, serial.SerialException, ValueError) as error:
        raise LinkError(f"cannot open {url}: {error}") from None
    if url.startswith("socket://"):
        return PlainLink(port, timeouts, tap=tap)
    return FramedLink(port, timeouts, tap=tap)

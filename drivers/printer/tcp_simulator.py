"""A network receipt printer on a real TCP port, for tests and demos (stdlib only).

:class:`PrinterSimulator` listens like an Ethernet thermal printer on port 9100 ("raw" /
JetDirect printing): whatever a client sends is print data, except the status queries,
which it answers with the byte an Epson-compatible printer sends for the configured
:class:`~drivers.printer.interface.PrinterStatus`:

====================  ===========  ==============  ============  ============  ======
state                 DLE EOT 1    DLE EOT 2       DLE EOT 3     DLE EOT 4     GS r 1
                      (printer)    (offline cause) (error cause) (paper roll)  (paper)
====================  ===========  ==============  ============  ============  ======
ok                    12           12              12            12            00
paper_near_end        12           12              12            1E            03
paper_out             1A           32              12            7E            0F
cover_open            1A           16              12            12            00
offline               1A           52              52            12            00
====================  ===========  ==============  ============  ============  ======

Bits 1 and 4 of every DLE EOT reply are fixed to 1 (0x12). Bit 3 of DLE EOT 1 is
"offline"; an Epson printer goes offline when the paper runs out or the cover opens.
DLE EOT 2 says why: bit 2 cover open, bit 5 printing stopped by paper end, bit 6 error.
DLE EOT 3 bit 6 is an automatically recoverable error (a head overheating), our model of
"offline". DLE EOT 4 bits 2-3 are the near-end sensor and bits 5-6 the roll-end sensor;
with the roll gone both sensors see no paper. python-escpos's ``is_online()`` tests bit 3
of DLE EOT 1 and ``paper_status()`` masks DLE EOT 4 with 0x72 / 0x1E / 0x12, so they
return True/True/False/False/False and 2/1/0/2/2 for the five states above.

Like a real printer, a DLE EOT n inside the payload of a command that carries binary
data (raster and column images, GS ( k QR data, ...) is answered too; those bytes stay
part of the print data, because they are. Status queries between commands are not
print data: they are answered and kept only in :attr:`ConnectionLog.raw`.

Print data that arrives while the state cannot print (paper out, cover open, offline) is
not printed: it is kept in :attr:`ConnectionLog.rejected` and dropped. A real printer
would usually hold it in its receive buffer and print it once it recovers, which is how a
retry after recovery can print a receipt twice; the simulator does not model that.

Run ``python -m drivers.printer.tcp_simulator --help`` for the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drivers.printer.interface import PrinterStatus

DLE, EOT, ESC, FS, GS = 0x10, 0x04, 0x1B, 0x1C, 0x1D

# The reply to DLE EOT n (n = 1..4) for each state. See the module docstring for the bits.
_FIXED = 0x12  # bits 1 and 4, always set in a DLE EOT reply
_N1_OFFLINE = 0x08
_N2_COVER_OPEN, _N2_PAPER_END_STOP, _N2_ERROR = 0x04, 0x20, 0x40
_N3_AUTO_RECOVERABLE = 0x40
_N4_NEAR_END, _N4_PAPER_END = 0x0C, 0x60
STATUS_REPLIES: dict[PrinterStatus, dict[int, int]] = {
    PrinterStatus.OK: {1: _FIXED, 2: _FIXED, 3: _FIXED, 4: _FIXED},
    PrinterStatus.PAPER_NEAR_END: {1: _FIXED, 2: _FIXED, 3: _FIXED, 4: _FIXED | _N4_NEAR_END},
    PrinterStatus.PAPER_OUT: {
        1: _FIXED | _N1_OFFLINE,
        2: _FIXED | _N2_PAPER_END_STOP,
        3: _FIXED,
        4: _FIXED | _N4_NEAR_END | _N4_PAPER_END,
    },
    PrinterStatus.COVER_OPEN: {
        1: _FIXED | _N1_OFFLINE,
        2: _FIXED | _N2_COVER_OPEN,
        3: _FIXED,
        4: _FIXED,
    },
    PrinterStatus.OFFLINE: {
        1: _FIXED | _N1_OFFLINE,
        2: _FIXED | _N2_ERROR,
        3: _FIXED | _N3_AUTO_RECOVERABLE,
        4: _FIXED,
    },
}
# GS r 1 (paper sensor): bits 0-1 near end, bits 2-3 paper end; bit 4 is 0, unlike DLE EOT.
GS_R_PAPER_REPLIES: dict[PrinterStatus, int] = {
    PrinterStatus.OK: 0x00,
    PrinterStatus.PAPER_NEAR_END: 0x03,
    PrinterStatus.PAPER_OUT: 0x0F,
    PrinterStatus.COVER_OPEN: 0x00,
    PrinterStatus.OFFLINE: 0x00,
}


def status_reply(state: PrinterStatus | str, query: bytes) -> int | None:
    """The byte a printer in ``state`` answers to ``query`` (DLE EOT n or GS r n), if any."""
    state = PrinterStatus(state)
    if len(query) == 3 and query[:2] == bytes((DLE, EOT)) and 1 <= query[2] <= 4:
        return STATUS_REPLIES[state][query[2]]
    if len(query) == 3 and query[:2] == b"\x1dr":
        if query[2] in (1, 0x31):
            return GS_R_PAPER_REPLIES[state]
        if query[2] in (2, 0x32):
            return 0x00  # drawer kick-out connector pin 3 low
    return None


# --- Splitting the byte stream into print data, status queries and cuts ---------------


@dataclass(frozen=True)
class _Event:
    kind: str  # "data", "query"
    data: bytes = b""
    cut: bool = False  # data: ends with a cut command
    query: bytes = b""  # query: the command bytes (DLE EOT n or GS r n)
    inline: bool = False  # query: found inside a command's payload, so also print data


# Commands whose total length is fixed, by their first two bytes (ESC c x by three).
_FIXED_LENGTH: dict[bytes, int] = {
    **{bytes((ESC, c)): 2 for c in b"@2<LS"},
    **{bytes((ESC, c)): 3 for c in b"!E-GMatdJ3{VR rUe=KT%"},
    **{bytes((ESC, c)): 4 for c in b"$\\"},
    bytes((ESC, ord("p"))): 5,
    **{bytes((ESC, ord("c"), c)): 4 for c in b"345"},
    **{bytes((GS, c)): 2 for c in b":"},
    **{bytes((GS, c)): 3 for c in b"!BHfhwbaIT/"},
    **{bytes((GS, c)): 4 for c in b"LW$\\P"},
    bytes((GS, ord("^"))): 5,
    **{bytes((FS, c)): 2 for c in b".&"},
    **{bytes((FS, c)): 3 for c in b"C!-W"},
    **{bytes((FS, c)): 4 for c in b"Sp"},
}
_CUT_SHORT = (0x00, 0x01, 0x30, 0x31)  # GS V m
_CUT_LONG = (0x41, 0x42, 0x61, 0x62, 0x67, 0x68)  # GS V m n
_NUL_TERMINATED = -1


class _EscPosStream:
    """Incremental splitter of one connection's bytes.

    It knows the length of the commands python-escpos sends, so that bytes inside a
    command's parameters or payload are never mistaken for a status query or a cut.
    Unknown commands are passed through byte by byte.
    """

    def __init__(self) -> None:
        self._pending = bytearray()  # an incomplete command, waiting for more bytes
        self._payload_left = 0  # > 0: bytes of payload to come; _NUL_TERMINATED: until NUL
        self._window = 0  # last three payload bytes, to spot a DLE EOT n inside a payload

    def feed(self, chunk: bytes) -> list[_Event]:
        buf = self._pending + chunk
        events: list[_Event] = []
        data = bytearray()
        i = 0
        while i < len(buf):
            if self._payload_left:
                i = self._take_payload(buf, i, data, events)
                continue
            if buf[i] not in (DLE, ESC, FS, GS):
                j = i + 1
                while j < len(buf) and buf[j] not in (DLE, ESC, FS, GS):
                    j += 1
                data += buf[i:j]
                i = j
                continue
            parsed = self._command(buf, i)
            if parsed is None:  # incomplete: wait for the rest
                break
            length, kind, payload = parsed
            command = bytes(buf[i : i + length])
            i += length
            if kind == "query":
                if data:
                    events.append(_Event("data", bytes(data)))
                    data.clear()
                events.append(_Event("query", query=command))
            elif kind == "cut":
                data += command
                events.append(_Event("data", bytes(data), cut=True))
                data.clear()
            else:
                data += command
                if payload:
                    self._payload_left = payload
                    self._window = 0
        self._pending = bytearray(buf[i:])
        if data:
            events.append(_Event("data", bytes(data)))
        return events

    def finish(self) -> list[_Event]:
        """The connection ended: an incomplete command is print data after all."""
        rest, self._pending = bytes(self._pending), bytearray()
        return [_Event("data", rest)] if rest else []

    def _take_payload(self, buf: bytearray, i: int, data: bytearray, events: list[_Event]) -> int:
        while i < len(buf) and self._payload_left:
            byte = buf[i]
            data.append(byte)
            i += 1
            if self._payload_left > 0:
                self._payload_left -= 1
            elif byte == 0:
                self._payload_left = 0
            self._window = ((self._window << 8) | byte) & 0xFFFFFF
            if self._window >> 8 == (DLE << 8 | EOT) and 1 <= byte <= 4:
                # A real printer answers this even in the middle of image data.
                events.append(_Event("data", bytes(data)))
                data.clear()
                events.append(_Event("query", query=bytes((DLE, EOT, byte)), inline=True))
        return i

    @staticmethod
    def _command(buf: bytearray, i: int) -> tuple[int, str, int] | None:
        """(length, kind, payload length) of the command at ``buf[i]``; None if incomplete."""
        have = len(buf) - i

        def arg(k: int) -> int | None:
            return buf[i + k] if k < have else None

        first, second = buf[i], arg(1)
        if second is None:
            return None
        if first == DLE:
            if second != EOT:
                return 1, "data", 0
            n = arg(2)
            if n is None:
                return None
            return (3, "query", 0) if 1 <= n <= 4 else (1, "data", 0)
        if first == ESC and second in (ord("i"), ord("m")):  # the old one-byte cuts
            return 2, "cut", 0
        if first == GS and second == ord("V"):
            m = arg(2)
            if m is None:
                return None
            if m in _CUT_SHORT:
                return 3, "cut", 0
            if m in _CUT_LONG:
                return (4, "cut", 0) if have >= 4 else None
            return 1, "data", 0
        if first == GS and second == ord("r"):
            n = arg(2)
            if n is None:
                return None
            return (3, "query", 0) if n in (1, 2, 0x31, 0x32) else (3, "data", 0)
        if first in (GS, FS) and second == ord("("):  # GS ( fn pL pH ..., FS ( fn pL pH ...
            if have < 5:
                return None
            return 5, "data", buf[i + 3] | buf[i + 4] << 8
        if first == GS and second == ord("v"):  # GS v 0 m xL xH yL yH: raster image
            if have < 8:
                return None
            width, height = buf[i + 4] | buf[i + 5] << 8, buf[i + 6] | buf[i + 7] << 8
            return 8, "data", width * height
        if first == GS and second == ord("8"):  # GS 8 L p1 p2 p3 p4: large graphics data
            if have < 7:
                return None
            return 7, "data", int.from_bytes(buf[i + 3 : i + 7], "little")
        if first == GS and second == ord("*"):  # GS * x y: define downloaded bit image
            if have < 4:
                return None
            return 4, "data", buf[i + 2] * buf[i + 3] * 8
        if first == GS and second == ord("k"):  # barcode
            m = arg(2)
            if m is None:
                return None
            if m <= 6:
                return 3, "data", _NUL_TERMINATED
            n = arg(3)
            return None if n is None else (4, "data", n)
        if first == ESC and second == ord("*"):  # ESC * m nL nH: column bit image
            if have < 5:
                return None
            columns = buf[i + 3] | buf[i + 4] << 8
            return 5, "data", columns * (3 if buf[i + 2] in (32, 33) else 1)
        if first == ESC and second == ord("D"):  # horizontal tabs, NUL-terminated
            return 2, "data", _NUL_TERMINATED
        if first == ESC and second == ord("c"):
            third = arg(2)
            if third is None:
                return None
            length = _FIXED_LENGTH.get(bytes((ESC, second, third)))
            return (1, "data", 0) if length is None else _fixed(length, have)
        length = _FIXED_LENGTH.get(bytes((first, second)))
        return (1, "data", 0) if length is None else _fixed(length, have)


def _fixed(length: int, have: int) -> tuple[int, str, int] | None:
    return (length, "data", 0) if have >= length else None


# --- The simulator ---------------------------------------------------------------------


@dataclass
class ConnectionLog:
    """What one client connection did. Read it through :attr:`PrinterSimulator.connections`,
    which hands out copies."""

    peer: tuple[str, int]
    raw: bytes = b""  # every byte received, status queries included
    captured: bytes = b""  # print data the printer accepted (printed)
    rejected: bytes = b""  # print data received while the printer could not print
    queries: list[tuple[bytes, int | None]] = field(default_factory=list)  # (query, reply)
    dropped: bool = False  # the simulator cut the connection (drop_after)
    closed: bool = False


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], simulator: PrinterSimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.simulator._serve(self.request, self.client_address)


class PrinterSimulator:
    """An ESC/POS network printer on ``host``:``port`` (0 picks a free port).

    Every attribute is safe to use from any thread. ``jobs`` holds each finished job:
    the print data up to and including a cut (GS V), or up to the end of the connection.
    ``on_job(job_bytes)`` is called, from a server thread, for each finished job.

    ``stop()`` then ``start()`` reopens the same port, like a printer being power-cycled.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state: PrinterStatus | str = PrinterStatus.OK,
        *,
        answer_status: bool = True,
        on_job: Callable[[bytes], None] | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._state = PrinterStatus(state)
        self._answer_status = answer_status
        self._on_job = on_job
        self._lock = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._handlers: dict[threading.Thread, socket.socket] = {}
        self._connections: list[ConnectionLog] = []
        self._jobs: list[bytes] = []
        self._captured = bytearray()
        self._paper_left: int | None = None
        self._drop_left: int | None = None

    # -- lifecycle --

    def start(self) -> PrinterSimulator:
        with self._lock:
            if self._server is not None:
                return self
            self._server = _Server((self._host, self._port), self)
            self._port = self._server.server_address[1]
            # shutdown() in stop() ends it; nothing needs to hold on to the thread.
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"printer-simulator:{self._port}",
                daemon=True,
            ).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every client connection. Safe to call more than once."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            handlers = dict(self._handlers)
        server.shutdown()
        server.server_close()
        for sock in handlers.values():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in handlers:
            thread.join(timeout=5)

    def __enter__(self) -> PrinterSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) to connect to; the real port once started with port 0."""
        return self._host, self._port

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- printer state --

    @property
    def state(self) -> PrinterStatus:
        return self._state

    def set_state(self, state: PrinterStatus | str) -> None:
        """Change the state now, for the next byte received on any connection.

        Cancels a pending :meth:`paper_out_after`.
        """
        with self._lock:
            self._state = PrinterStatus(state)
            self._paper_left = None

    def paper_out_after(self, n_bytes: int) -> None:
        """Run out of paper once ``n_bytes`` more bytes of print data have been printed."""
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        with self._lock:
            self._paper_left = n_bytes
            if n_bytes == 0:
                self._run_out_of_paper()

    def drop_after(self, n_bytes: int) -> None:
        """Reset the connection that receives the ``n_bytes``-th next byte of print data."""
        if n_bytes < 1:
            raise ValueError("n_bytes must be >= 1")
        with self._lock:
            self._drop_left = n_bytes

    @property
    def answer_status(self) -> bool:
        """False: status queries get no reply, as with printers that ignore them."""
        return self._answer_status

    @answer_status.setter
    def answer_status(self, value: bool) -> None:
        self._answer_status = value

    # -- captures --

    @property
    def captured(self) -> bytes:
        """All print data accepted so far, from every connection, in arrival order."""
        with self._lock:
            return bytes(self._captured)

    @property
    def jobs(self) -> list[bytes]:
        with self._lock:
            return list(self._jobs)

    @property
    def connections(self) -> list[ConnectionLog]:
        with self._lock:
            return [_copy(log) for log in self._connections]

    def reset(self) -> None:
        """Forget captures, jobs and finished connections (open ones are kept)."""
        with self._lock:
            self._captured.clear()
            self._jobs.clear()
            self._connections = [log for log in self._connections if not log.closed]

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until at least ``count`` jobs are finished; TimeoutError otherwise."""
        self._wait(lambda: len(self._jobs) >= count, timeout, f"{count} job(s)")
        return self.jobs

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> list[ConnectionLog]:
        """Block until ``count`` connections have been served and closed."""
        self._wait(
            lambda: sum(log.closed for log in self._connections) >= count,
            timeout,
            f"{count} closed connection(s)",
        )
        return self.connections

    def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        with self._lock:
            if not self._lock.wait_for(predicate, timeout):
                raise TimeoutError(f"printer simulator: no {what} within {timeout} s")

    # -- serving one connection (server threads) --

    def _serve(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        log = ConnectionLog(peer=(str(peer[0]), int(peer[1])))
        job = bytearray()
        stream = _EscPosStream()
        with self._lock:
            if self._server is None:
                return
            self._connections.append(log)
            self._handlers[threading.current_thread()] = sock
        try:
            while True:
                try:
                    chunk = sock.recv(4096)
                except OSError:  # reset by the client, or stop()
                    chunk = b""
                if not chunk:
                    self._handle_events(sock, log, job, stream.finish())
                    break
                with self._lock:
                    log.raw += chunk
                if not self._handle_events(sock, log, job, stream.feed(chunk)):
                    break
        finally:
            with self._lock:
                finished = self._finish_job(job)
                log.closed = True
                self._handlers.pop(threading.current_thread(), None)
                self._lock.notify_all()
            self._report(finished)

    def _handle_events(
        self, sock: socket.socket, log: ConnectionLog, job: bytearray, events: Iterable[_Event]
    ) -> bool:
        """Act on ``events`` in order; False once the connection must end."""
        for event in events:
            finished: list[bytes] = []
            reply: int | None = None
            with self._lock:
                if event.kind == "query":
                    reply = status_reply(self._state, event.query)
                    if not self._answer_status:
                        reply = None
                    log.queries.append((event.query, reply))
                    drop = False
                else:
                    drop = self._print(log, job, event, finished)
                self._lock.notify_all()
            self._report(finished)
            if drop:
                # SO_LINGER 0: close with a reset, as a printer that reboots or whose
                # network stack gives up; the client's next send or receive fails.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                with self._lock:
                    log.dropped = True
                return False
            if reply is not None:
                try:
                    sock.sendall(bytes((reply,)))
                except OSError:
                    return False
        return True

    def _print(self, log: ConnectionLog, job: bytearray, event: _Event, done: list[bytes]) -> bool:
        """Print one data event (lock held); True when the connection is to be dropped."""
        data, drop = event.data, False
        if self._drop_left is not None:
            if len(data) >= self._drop_left:
                data, drop = data[: self._drop_left], True
                self._drop_left = None
            else:
                self._drop_left -= len(data)
        accepted, rejected = data, b""
        if not self._state.can_print:
            accepted, rejected = b"", data
        elif self._paper_left is not None:
            if len(data) >= self._paper_left:
                accepted, rejected = data[: self._paper_left], data[self._paper_left :]
                self._run_out_of_paper()
            else:
                self._paper_left -= len(data)
        log.captured += accepted
        log.rejected += rejected
        self._captured += accepted
        job += accepted
        if event.cut and not drop and accepted == event.data:
            done.extend(self._finish_job(job))
        return drop

    def _run_out_of_paper(self) -> None:
        self._state = PrinterStatus.PAPER_OUT
        self._paper_left = None

    def _finish_job(self, job: bytearray) -> list[bytes]:
        if not job:
            return []
        finished = bytes(job)
        job.clear()
        self._jobs.append(finished)
        return [finished]

    def _report(self, finished: list[bytes]) -> None:
        if self._on_job is not None:
            for job in finished:
                self._on_job(job)


def _copy(log: ConnectionLog) -> ConnectionLog:
    return ConnectionLog(
        peer=log.peer,
        raw=log.raw,
        captured=log.captured,
        rejected=log.rejected,
        queries=list(log.queries),
        dropped=log.dropped,
        closed=log.closed,
    )


# --- Command line ----------------------------------------------------------------------


class JobWriter:
    """Writes each job to ``directory/job-NNNN.bin``, numbering on from the files there."""

    _NAME = re.compile(r"job-(\d+)\.bin")

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        numbers = [
            int(m.group(1)) for p in directory.iterdir() if (m := self._NAME.fullmatch(p.name))
        ]
        self._next = max(numbers, default=0) + 1
        self._lock = threading.Lock()

    def __call__(self, job: bytes) -> None:
        with self._lock:
            path = self.directory / f"job-{self._next:04d}.bin"
            self._next += 1
            tmp = path.with_suffix(".part")
            tmp.write_bytes(job)
            tmp.replace(path)  # readers never see a half-written job
        print(f"job {path} ({len(job)} bytes)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.printer.tcp_simulator",
        description="An ESC/POS network receipt printer (raw TCP, like port 9100). "
        "Type a state name and Enter to change the state while it runs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=9100, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--state", default="ok", choices=[s.value for s in PrinterStatus], help="printer state"
    )
    parser.add_argument("--capture-dir", type=Path, help="write each job to DIR/job-NNNN.bin")
    args = parser.parse_args(argv)

    writer = JobWriter(args.capture_dir) if args.capture_dir else None
    simulator = PrinterSimulator(args.host, args.port, args.state, on_job=writer)
    stopping = threading.Event()
    # Handlers rather than KeyboardInterrupt, so that Ctrl+C at any moment stops cleanly.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        simulator.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    host, port = simulator.address
    print(
        f"printer simulator listening on {host}:{port}, state {simulator.state.value}", flush=True
    )
    threading.Thread(target=_read_states, args=(simulator,), daemon=True).start()
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        simulator.stop()
    print(f"stopped after {len(simulator.jobs)} job(s)", flush=True)
    return 0


def _read_states(simulator: PrinterSimulator) -> None:
    for line in sys.stdin:
        word = line.strip()
        if not word:
            continue
        try:
            simulator.set_state(word)
        except ValueError:
            print(f"unknown state {word!r}; one of {[s.value for s in PrinterStatus]}", flush=True)
        else:
            print(f"state {simulator.state.value}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

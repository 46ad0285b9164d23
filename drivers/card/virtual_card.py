"""Our virtual ISO 7816-4 card, built from a JSON profile, and its link to vpcd.

``VirtualCard.respond`` answers APDUs in memory (unit tests call it directly);
``VpcdCard`` plugs a VirtualCard into pcscd's virtual reader over TCP, so the kiosk
reads it through the real PC/SC stack. Test tool only: vpcd listens on every interface,
so it never belongs on a production kiosk. Standard library only.

Profile (see drivers/card/virtual_cards/*.json)::

    {"atr": "3B ...", "uid": "04A1B2C3D4",
     "applications": [{"aid": "A0 00 ...", "select_response": CONTENT,
                       "data_objects": {"5FC102": CONTENT}}],
     "files": {"3F00 DF01 4031": CONTENT}}

CONTENT is {"hex": "..."}, {"text": "..."}, {"belpic": [[tag, VALUE], ...]} or
{"ber": [["5F20", VALUE], ...]}, optionally with "pad": N (zero bytes appended) and, for
files, "protected": true (READ BINARY answers 6982). VALUE is a string (UTF-8) or a
CONTENT. Data objects are returned wrapped in tag 53, as PIV GET DATA does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.card.errors import CardDataError
from drivers.card.tlv import encode_belpic, encode_ber, parse_ber

VPCD_PORT = 35963
PROFILE_DIR = Path(__file__).with_name("virtual_cards")
MF = b"\x3f\x00"


@dataclass(frozen=True)
class Misbehaviour:
    """Ways a real card or reader makes life hard, to switch on one by one."""

    chain: int = 0  # hand every response out through 61xx, this many bytes at a time
    wrong_le: bool = False  # answer 6Cxx whenever Le is not the exact length
    truncate: int = 0  # cut this many bytes off every file and data object
    vanish_after: int = 0  # VpcdCard drops the connection instead of answering APDU N+1

    @classmethod
    def parse(cls, options: Iterable[str]) -> Misbehaviour:
        """From CLI words: ``chain=16``, ``wrong-le``, ``truncate=3``, ``vanish-after=4``."""
        values: dict[str, Any] = {}
        for option in options:
            name, _, value = option.partition("=")
            key = name.strip().replace("-", "_")
            if key == "wrong_le" and not value:
                values[key] = True
            elif key in ("chain", "truncate", "vanish_after") and value.isdigit():
                values[key] = int(value)
            else:
                raise ValueError(f"unknown misbehaviour {option!r}")
        return cls(**values)


class _Status(Exception):
    """A handler's way to answer with a bare status word."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


@dataclass
class Application:
    aid: bytes
    fci: bytes = b""
    data_objects: dict[bytes, bytes] = field(default_factory=dict)


def _sw(sw: int) -> bytes:
    return struct.pack(">H", sw)


class VirtualCard:
    """An ISO 7816-4 card: SELECT (AID, path), READ BINARY, GET DATA, GET RESPONSE and
    the PC/SC GET UID pseudo-APDU. Not thread-safe: one reader talks to it at a time."""

    def __init__(
        self,
        *,
        atr: bytes,
        files: Mapping[bytes, bytes] | None = None,
        protected: Iterable[bytes] = (),
        applications: Iterable[Application] = (),
        uid: bytes | None = None,
        misbehaviour: Misbehaviour = Misbehaviour(),
    ) -> None:
        self.atr = atr
        self.misbehaviour = misbehaviour
        cut = misbehaviour.truncate
        files = files or {}
        self._files = {_from_mf(path): _cut(content, cut) for path, content in files.items()}
        self._protected = {_from_mf(path) for path in protected}
        self._applications = [
            Application(
                app.aid,
                app.fci,
                {tag: _cut(encode_ber(0x53, obj), cut) for tag, obj in app.data_objects.items()},
            )
            for app in applications
        ]
        self._uid = uid
        # CLA INS P1 P2 of every command, for tests to check what a reader sent. Headers
        # only: command data may be a PIN or a path, never worth keeping.
        self.headers: list[bytes] = []
        self.reset()

    @classmethod
    def from_profile(
        cls, profile: Mapping[str, Any] | str | Path, misbehaviour: Misbehaviour = Misbehaviour()
    ) -> VirtualCard:
        """From a profile mapping, a JSON file, or the name of a bundled profile."""
        if not isinstance(profile, Mapping):
            profile = json.loads(profile_path(profile).read_text(encoding="utf-8"))
        files = profile.get("files", {})
        return cls(
            atr=_hex(profile["atr"]),
            files={_hex(path): _content(spec) for path, spec in files.items()},
            protected=[_hex(path) for path, spec in files.items() if spec.get("protected")],
            applications=[
                Application(
                    _hex(app["aid"]),
                    _content(app.get("select_response", {"hex": ""})),
                    {_hex(tag): _content(obj) for tag, obj in app.get("data_objects", {}).items()},
                )
                for app in profile.get("applications", [])
            ],
            uid=_hex(profile["uid"]) if "uid" in profile else None,
            misbehaviour=misbehaviour,
        )

    def reset(self) -> None:
        """Power cycle: nothing selected, nothing pending."""
        self._application: Application | None = None
        self._ef: bytes | None = None
        self._pending = b""

    def respond(self, apdu: bytes) -> bytes:
        """The response APDU (data + SW1 SW2) to one command APDU."""
        self.headers.append(bytes(apdu[:4]))
        # Any command other than GET RESPONSE discards what was left to fetch.
        pending, self._pending = self._pending, b""
        try:
            cla, ins, p1, p2, data, ne = _parse(apdu)
            if cla == 0xFF:
                return self._reply(self._get_uid(ins, p1, p2), ne)
            if cla != 0x00:
                raise _Status(0x6E00)
            if ins == 0xC0:
                return self._get_response(pending, ne)
            handler = {0xA4: self._select, 0xB0: self._read_binary, 0xCB: self._get_data}.get(ins)
            if handler is None:
                raise _Status(0x6D00)
            return self._reply(handler(p1, p2, data, ne), ne)
        except _Status as status:
            return _sw(status.sw)

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        """``respond`` in the shape ``ApduChannel`` takes, to read the card in memory."""
        response = self.respond(apdu)
        return response[:-2], response[-2], response[-1]

    def _reply(self, data: bytes, ne: int | None) -> bytes:
        if ne is None or not data:
            return _sw(0x9000)
        if self.misbehaviour.wrong_le and len(data) != ne and len(data) <= 256:
            return _sw(0x6C00 | (len(data) & 0xFF))
        if self.misbehaviour.chain:
            self._pending = data
            return _sw(0x6100 | (min(len(data), self.misbehaviour.chain) & 0xFF))
        if len(data) > ne:
            self._pending = data[ne:]
            return data[:ne] + _sw(0x6100 | (min(len(self._pending), 256) & 0xFF))
        return data + _sw(0x9000)

    def _get_response(self, pending: bytes, ne: int | None) -> bytes:
        if not pending:
            raise _Status(0x6985)
        size = ne or 256
        chunk, self._pending = pending[:size], pending[size:]
        if not self._pending:
            return chunk + _sw(0x9000)
        announce = min(len(self._pending), self.misbehaviour.chain or 256)
        return chunk + _sw(0x6100 | (announce & 0xFF))

    def _select(self, p1: int, p2: int, data: bytes, ne: int | None) -> bytes:
        answer_fci = p2 & 0x0C != 0x0C
        if p1 == 0x04:
            app = next((a for a in self._applications if data and a.aid.startswith(data)), None)
            if app is None:
                raise _Status(0x6A82)
            self._application, self._ef = app, None
            return app.fci if answer_fci else b""
        if p1 == 0x08 or (p1 == 0x00 and data == MF):
            if not data or len(data) % 2:
                raise _Status(0x6700)
            path = _from_mf(data)
            if path in self._files:
                self._ef = path
                # A minimal FCP: the file size, all a reader ever asks for.
                fcp = bytes([0x62, 0x04, 0x80, 0x02]) + struct.pack(">H", len(self._files[path]))
                return fcp if answer_fci else b""
            if path and not any(name.startswith(path) for name in self._files):
                raise _Status(0x6A82)
            self._ef = None  # a DF (or the MF)
            return b""
        raise _Status(0x6A86)

    def _read_binary(self, p1: int, p2: int, data: bytes, ne: int | None) -> bytes:
        if p1 & 0x80:
            raise _Status(0x6A86)  # short file identifiers are not modelled
        if ne is None or data:
            raise _Status(0x6700)
        if self._ef is None:
            raise _Status(0x6986)
        if self._ef in self._protected:
            raise _Status(0x6982)
        content = self._files[self._ef]
        offset = (p1 << 8) | p2
        if offset >= len(content):
            raise _Status(0x6B00)
        return content[offset : offset + ne]

    def _get_data(self, p1: int, p2: int, data: bytes, ne: int | None) -> bytes:
        if self._application is None or not self._application.data_objects:
            raise _Status(0x6D00)
        if (p1, p2) != (0x3F, 0xFF):
            raise _Status(0x6A86)
        try:
            tag = parse_ber(data).get(0x5C)
        except CardDataError:
            raise _Status(0x6A80) from None
        if tag is None:
            raise _Status(0x6A80)
        if tag not in self._application.data_objects:
            raise _Status(0x6A82)
        return self._application.data_objects[tag]

    def _get_uid(self, ins: int, p1: int, p2: int) -> bytes:
        # A contact card does not understand the reader's pseudo-APDUs at all.
        if self._uid is None:
            raise _Status(0x6E00)
        if ins != 0xCA:
            raise _Status(0x6D00)
        if (p1, p2) != (0x00, 0x00):
            raise _Status(0x6A86)  # P1 01 (ATS) is not modelled
        return self._uid


def _parse(apdu: bytes) -> tuple[int, int, int, int, bytes, int | None]:
    """CLA, INS, P1, P2, data and Ne (None: no Le; Le 00 means 256) of a short APDU."""
    if len(apdu) < 4:
        raise _Status(0x6700)
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        data, le = b"", None
    elif len(body) == 1:
        data, le = b"", body[0]
    elif body[0] and len(body) == 1 + body[0]:
        data, le = body[1:], None
    elif body[0] and len(body) == 2 + body[0]:
        data, le = body[1:-1], body[-1]
    else:
        raise _Status(0x6700)  # malformed, or extended length (not modelled)
    return cla, ins, p1, p2, bytes(data), None if le is None else (le or 256)


def _from_mf(path: bytes) -> bytes:
    """Paths are stored without the leading MF, whether or not the caller gave it."""
    return path[2:] if path[:2] == MF else path


def _cut(content: bytes, count: int) -> bytes:
    return content[: max(0, len(content) - count)]


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def _content(spec: Mapping[str, Any] | str) -> bytes:
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if "hex" in spec:
        content = _hex(spec["hex"])
    elif "text" in spec:
        content = spec["text"].encode("utf-8")
    elif "belpic" in spec:
        content = encode_belpic((int(tag), _content(value)) for tag, value in spec["belpic"])
    elif "ber" in spec:
        content = b"".join(encode_ber(int(tag, 16), _content(value)) for tag, value in spec["ber"])
    else:
        raise ValueError(f"unknown content {sorted(spec)}")
    return content + bytes(spec.get("pad", 0))


def profile_path(profile: str | Path) -> Path:
    """A JSON file path as given, or the bundled profile of that name ("beid-maria")."""
    path = Path(profile)
    if path.suffix != ".json" and not path.exists():
        path = PROFILE_DIR / f"{profile}.json"
    return path


class VpcdCard:
    """A VirtualCard in vpcd's virtual reader. Connecting inserts it, closing removes it.

    pcscd notices either only at its next presence poll (about every 0.4 s): a card
    removed and inserted again in between is never seen, so wait for the reader to show
    the removal before inserting the next card.
    """

    def __init__(self, card: VirtualCard, host: str = "localhost", port: int = VPCD_PORT) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.apdu_count = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def insert(self, timeout_s: float = 5.0) -> None:
        """Connect to vpcd, retrying while pcscd is still starting."""
        if self.inserted:
            raise RuntimeError("the card is already inserted")
        deadline = time.monotonic() + timeout_s
        where = f"{self.host}:{self.port}"
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=timeout_s)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise ConnectionError(f"vpcd is not listening on {where}") from None
                time.sleep(0.02)
            except OSError as error:
                # A timeout: vpcd's backlog is 0, so a second card waits for the first.
                raise ConnectionError(f"vpcd at {where} did not accept the card") from error
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.card.reset()
        self.apdu_count = 0
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name="vpcd-card", daemon=True
        )
        self._thread.start()

    def remove(self) -> None:
        """Pull the card out; nothing happens if it is not in (or already vanished)."""
        sock, thread = self._sock, self._thread
        if sock is not None:
            # shutdown() wakes the serving thread's recv(); it closes the socket itself.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join()
        self._sock = self._thread = None

    def __enter__(self) -> VpcdCard:
        self.insert()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _receive(sock)
                if message is None:
                    return
                if len(message) == 1:
                    self._control(sock, message[0])
                    continue
                self.apdu_count += 1
                vanish_after = self.card.misbehaviour.vanish_after
                if vanish_after and self.apdu_count > vanish_after:
                    return  # pulled mid-read: the command never gets an answer
                _send(sock, self.card.respond(message))
        except OSError:
            return  # vpcd went away (pcscd stopped)
        finally:
            sock.close()

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == 0x04:
            _send(sock, self.card.atr)
        elif code in (0x00, 0x01, 0x02):
            self.card.reset()  # power off, power on, reset: volatile state is lost


def _receive(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    return _receive_exactly(sock, struct.unpack(">H", header)[0])


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        # Without an immediate ACK every vpcd message waits ~40 ms for the delayed-ACK
        # timer, which makes a 10-APDU read take half a second. Linux resets the flag,
        # so it is set before each read.
        if hasattr(socket, "TCP_QUICKACK"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(buffer))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.card.virtual_card",
        description="Keep a virtual card in pcscd's vpcd reader until Ctrl+C (test tool).",
    )
    parser.add_argument("profile", help="profile JSON file, or a bundled name (beid-maria)")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=VPCD_PORT, help="35963: reader 00 00")
    parser.add_argument(
        "--misbehave",
        action="append",
        default=[],
        metavar="WHAT",
        help="chain=N, wrong-le, truncate=N or vanish-after=N (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        misbehaviour = Misbehaviour.parse(args.misbehave)
        card = VpcdCard(VirtualCard.from_profile(args.profile, misbehaviour), args.host, args.port)
    except (OSError, ValueError, KeyError) as error:
        parser.error(f"cannot load {args.profile}: {error}")
    try:
        while True:
            if not card.inserted:
                # Again after pcscd restarts or a vanish-after drop: a flaky contact.
                card.remove()
                try:
                    card.insert()
                except OSError as error:
                    print(f"{error}; retrying", file=sys.stderr)
                    continue
                print(f"card inserted into vpcd at {args.host}:{args.port}; Ctrl+C removes it")
            time.sleep(0.2)
    except KeyboardInterrupt:
        card.remove()
        print("card removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

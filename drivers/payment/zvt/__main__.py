"""Technicians' check of a ZVT payment terminal, through the kiosk's own driver.

    python -m drivers.payment.zvt decode HEX...
    python -m drivers.payment.zvt probe --port PORT [--baudrate N] [--line 8N2]
                                        [--password N] [--currency N]

``decode`` explains bytes copied from a log or a line trace: a whole serial frame
(10 02 ... 10 03 CRC), a bare APDU, or a lone ACK (06) / NAK (15). ``-`` reads the
hex from standard input, which keeps card data out of shell history and ``ps``.
``probe`` registers with the terminal (06 00), asks its status (05 01) and logs off.

Both print JSON. Exit codes: 0 done, 1 the terminal could not be reached or refused,
2 bad input. Error messages never repeat the input bytes: they may hold card data.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
from typing import Any

from drivers.payment.zvt import messages
from drivers.payment.zvt.apdu import ApduError, decode_apdu, parse, to_json
from drivers.payment.zvt.codes import result_text
from drivers.payment.zvt.ecr import (
    LINE_SETTINGS,
    STATUS_READY,
    OptionError,
    TerminalSilent,
    ZvtSettings,
    ZvtTerminal,
    _terminal_status,
)
from drivers.payment.zvt.transport import (
    ACK,
    DLE,
    NAK,
    STX,
    BadFrame,
    Frame,
    FrameDecoder,
    LinkError,
    encode_frame,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
_SEPARATORS = str.maketrans("", "", " :\t\r\n")
_FRAME_ERRORS = {
    "crc": "frame CRC check failed: the frame was corrupted on the line",
    "framing": "bad DLE stuffing: a DLE inside the frame is not doubled",
    "too_long": "frame longer than the largest APDU",
}


class BadInput(Exception):
    pass


def parse_hex(text: str) -> bytes:
    digits = text.translate(_SEPARATORS)
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    if not digits:
        raise BadInput("no bytes given")
    # Names no offending character: it could be a card digit typed in the wrong place.
    if any(ch not in string.hexdigits for ch in digits):
        raise BadInput("not hexadecimal: use 0-9 and A-F, optionally separated by spaces or colons")
    if len(digits) % 2:
        raise BadInput(f"odd number of hex digits ({len(digits)}): a byte is cut in half")
    return bytes.fromhex(digits)


def decode(raw: bytes) -> dict[str, Any]:
    if raw in (bytes([ACK]), bytes([NAK])):
        name = "ACK" if raw[0] == ACK else "NAK"
        meaning = "frame received intact" if name == "ACK" else "frame broken, send it again"
        return {"control": name, "meaning": meaning}
    out: dict[str, Any] = {}
    if raw[:2] == bytes([DLE, STX]):
        apdu, out["frame"] = _unframe(raw)
    else:
        apdu = raw
    try:
        parsed = parse(decode_apdu(apdu))
    except ApduError as error:
        raise BadInput(f"malformed APDU: {error}") from None
    out["apdu"] = to_json(parsed)
    return out


def _unframe(raw: bytes) -> tuple[bytes, dict[str, Any]]:
    # The kiosk's own decoder, so this tool accepts exactly what the kiosk accepts.
    events = FrameDecoder().feed(raw)
    if events and isinstance(events[0], BadFrame):
        raise BadInput(_FRAME_ERRORS.get(events[0].reason, "malformed frame"))
    if not events or not isinstance(events[0], Frame):
        raise BadInput("incomplete frame: it needs DLE ETX (10 03) and 2 CRC bytes at the end")
    apdu = events[0].apdu
    # Stuffing is canonical, so an intact frame is exactly what encode_frame makes.
    size = len(encode_frame(apdu))
    if len(raw) > size:
        raise BadInput(f"{len(raw) - size} extra bytes after the frame's CRC")
    return apdu, {
        "crc_ok": True,
        "crc": f"{raw[-2] | raw[-1] << 8:04X}",
        "bytes": len(raw),
        "apdu_bytes": len(apdu),
        "doubled_dles": apdu.count(DLE),
    }


def probe(settings: ZvtSettings) -> dict[str, Any]:
    terminal = ZvtTerminal(settings)
    try:
        # stop() even when start() fails: a refused registration leaves the port open.
        terminal.start()
        out: dict[str, Any] = {
            "port": settings.port,
            "terminal_id": terminal.terminal_id,
            "status": terminal.status(),
        }
        out["status_enquiry"] = _status_enquiry(terminal)
        return out
    finally:
        terminal.stop()


def _status_enquiry(terminal: ZvtTerminal) -> dict[str, Any]:
    # ZvtTerminal has no public one-shot enquiry; these are the steps its recovery uses.
    try:
        with terminal._exclusive():
            reply = terminal._command(messages.status_enquiry(terminal.settings.password))
            end = terminal._await_end() if reply.cls == 0x80 else None
    except (LinkError, TerminalSilent, ApduError) as error:
        raise RuntimeError(f"status enquiry failed: {error}") from None
    code = _terminal_status(reply, end)
    return {
        "code": f"{code:02X}",
        "meaning": "ready" if code == STATUS_READY else result_text(code),
        "reply": to_json(parse(reply)),
        "completion": to_json(end) if end is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.payment.zvt", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dec = commands.add_parser("decode", help="explain a frame, an APDU, or ACK/NAK")
    dec.add_argument("hex", nargs="+", metavar="HEX", help="bytes in hex, or - for stdin")
    pro = commands.add_parser("probe", help="register, ask the status, log off")
    pro.add_argument("--port", required=True, help="device path, or socket://host:20007")
    pro.add_argument("--baudrate", default="9600")
    pro.add_argument("--line", default="8N2", help=f"one of {', '.join(LINE_SETTINGS)}")
    pro.add_argument("--password", default="0")
    pro.add_argument("--currency", default="978", help="ISO 4217 numeric (978 EUR)")
    args = parser.parse_args(argv)

    try:
        if args.command == "decode":
            text = sys.stdin.read() if args.hex == ["-"] else " ".join(args.hex)
            result = decode(parse_hex(text))
        else:
            names = ("port", "baudrate", "line", "password", "currency")
            # from_options checks each value and names the option that is wrong.
            result = probe(ZvtSettings.from_options({n: getattr(args, n) for n in names}))
    except OptionError as error:
        print(f"error: --{error.option}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as error:
        print(f"probe failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(result, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())

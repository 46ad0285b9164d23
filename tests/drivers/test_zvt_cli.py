"""``python -m drivers.payment.zvt``, run as a technician would: decoding bytes from a
log or a line trace, and probing the terminal simulator over TCP."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.payment.zvt import messages
from drivers.payment.zvt.simulator import TERMINAL_ID, TerminalSimulator
from drivers.payment.zvt.transport import encode_frame

REPO = Path(__file__).resolve().parents[2]
EXIT_FAILED, EXIT_BAD_INPUT = 1, 2
UNMASKED_PAN = "5413330089604242"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drivers.payment.zvt", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def decoded(*args: str, stdin: str | None = None) -> dict:
    result = cli("decode", *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def spaced(raw: bytes) -> str:
    return raw.hex(" ")


def status_information(pan_nibbles: str):
    return messages.status_information(
        result_code=0x00,
        amount_cents=1234,
        currency=978,
        trace=17,
        receipt_number=42,
        terminal_id=TERMINAL_ID,
        pan_nibbles=pan_nibbles,
        card_type=6,
        card_name="Mastercard",
        time_hhmmss="143005",
        date_mmdd="1122",
    )


# decode --------------------------------------------------------------------------


def test_decode_a_frame_checks_its_crc_and_stuffing():
    apdu = messages.authorization(1010, 978).encode()  # BCD 10 10: two DLE bytes
    frame = encode_frame(apdu)
    assert frame.count(0x10) == 2 + 2 * 2

    out = decoded(spaced(frame))

    assert out["frame"]["crc_ok"] is True
    assert out["frame"]["doubled_dles"] == 2
    assert out["frame"]["apdu_bytes"] == len(apdu)
    assert out["apdu"]["class"] == "06"
    assert out["apdu"]["instruction"] == "01"
    assert out["apdu"]["name"] == "Authorization"
    assert out["apdu"]["fields"] == {"amount": 1010, "currency": 978}


def test_decode_a_bare_apdu_written_with_colons():
    raw = messages.terminal_abort(0x6C).encode()

    out = decoded(raw.hex(":"))

    assert "frame" not in out
    assert out["apdu"]["name"] == "Abort (terminal)"
    assert out["apdu"]["fields"]["result_code"] == {
        "code": "6C",
        "meaning": "abort via timeout or abort key",
    }


def test_decode_status_information_shows_every_field():
    raw = status_information("EEEEEEEEEEEE4242").encode()

    out = decoded(*spaced(raw).split())

    assert out["apdu"]["name"] == "Status Information"
    assert out["apdu"]["fields"] == {
        "result_code": {"code": "00", "meaning": "success"},
        "amount": 1234,
        "currency": 978,
        "trace": 17,
        "time": "14:30:05",
        "date": "11-22",
        "terminal_id": TERMINAL_ID,
        "receipt_number": 42,
        "masked_pan": "************4242",
        "card_type": {"id": 6, "name": "Mastercard"},
        "card_name": "Mastercard",
    }


def test_decode_masks_a_pan_that_came_unmasked():
    frame = encode_frame(status_information(UNMASKED_PAN).encode())

    result = cli("decode", spaced(frame))

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["apdu"]["fields"]["masked_pan"] == "************4242"
    assert out["apdu"]["fields"]["pan_unmasked"] is True
    assert UNMASKED_PAN[:12] not in result.stdout + result.stderr


def test_decode_reads_stdin():
    out = decoded("-", stdin=messages.print_text_block(["SALE", "APPROVED"]).encode().hex())

    texts = out["apdu"]["fields"]["tlv"][0]["value"]
    assert [item["value"] for item in texts if item["name"] == "text_line"] == [
        "SALE",
        "APPROVED",
    ]


@pytest.mark.parametrize(("byte", "name"), [("06", "ACK"), ("15", "NAK")])
def test_decode_ack_and_nak(byte, name):
    assert decoded(byte)["control"] == name


@pytest.mark.parametrize(
    ("hex_input", "message"),
    [
        ("54 13 33 00 89 6Z 42 42", "not hexadecimal"),
        ("5413330089604242 1", "odd number of hex digits"),
        ("04 0f 10 22 f0 f8 54 13 33 00 89 60 42 42", "malformed APDU: length byte"),
        ("10 02 04 0f 0a 22 f0 f8 54 13 33 00 89 60 42 42", "incomplete frame"),
        ("10 02 80 00 00 10 03 00 00", "CRC"),
        ("10 02 80 00 10 41 00 10 03 00 00", "DLE"),
        (spaced(encode_frame(b"\x80\x00\x00")) + " 54 13", "extra bytes"),
        ("04 0f 0d 27 00 22 f0 f8 54 13 33 00 89 6a 42 42", "malformed APDU: a PAN"),
        (" : ", "no bytes"),
    ],
    ids=[
        "not hex",
        "odd",
        "length mismatch",
        "no end",
        "bad crc",
        "lone dle",
        "trailing",
        "bad pan",
        "empty",
    ],
)
def test_decode_rejects_bad_input_without_echoing_it(hex_input, message):
    result = cli("decode", hex_input)

    assert result.returncode == EXIT_BAD_INPUT
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    lowered = result.stderr.lower()
    for fragment in ("5413", "54 13", "89 6", "8960"):
        assert fragment not in lowered


# probe ---------------------------------------------------------------------------


@pytest.fixture
def simulator() -> Iterator[TerminalSimulator]:
    terminal = TerminalSimulator(tcp_port=0)
    terminal.start()
    yield terminal
    terminal.stop()


def test_probe_registers_asks_the_status_and_logs_off(simulator):
    result = cli("probe", "--port", f"socket://127.0.0.1:{simulator.tcp_port}")

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["terminal_id"] == TERMINAL_ID
    assert out["status"] == "idle"
    enquiry = out["status_enquiry"]
    assert (enquiry["code"], enquiry["meaning"]) == ("00", "ready")
    assert enquiry["completion"]["fields"] == {"status_byte": 0, "terminal_id": TERMINAL_ID}
    assert simulator.commands == ["Registration", "Status Enquiry", "Log-Off"]


def test_probe_of_a_closed_port_fails_with_a_message():
    closed = TerminalSimulator(tcp_port=0)
    port = closed.tcp_port
    closed.stop()  # never started: the listening socket is closed, so the port refuses

    result = cli("probe", "--port", f"socket://127.0.0.1:{port}")

    assert result.returncode == EXIT_FAILED
    assert result.stdout == ""
    assert "probe failed: cannot open" in result.stderr
    assert "Traceback" not in result.stderr


def test_probe_names_a_bad_option():
    result = cli("probe", "--port", "socket://127.0.0.1:9", "--line", "9X9")

    assert result.returncode == EXIT_BAD_INPUT
    assert "--line: must be one of" in result.stderr

"""``python -m drivers.card`` and ``bench/card_bench.py``, run as a technician would,
against the real pcscd with our virtual cards in vpcd."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NATIONAL_NUMBER = "92051212329"
EXIT_NO_SERVICE, EXIT_NO_READER, EXIT_TIMEOUT, EXIT_UNSUPPORTED, EXIT_READ_FAILED = 3, 4, 5, 6, 7


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drivers.card", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_readers_lists_the_vpcd_readers(pcscd):
    result = cli("readers")

    assert result.returncode == 0, result.stderr
    assert {"Virtual PCD 00 00", "Virtual PCD 00 01"} <= set(result.stdout.splitlines())


def test_readers_json_and_filter(pcscd):
    result = cli("readers", "--json", "--reader", "pcd 00 01")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"readers": ["Virtual PCD 00 01"]}


def test_no_matching_reader(pcscd):
    result = cli("readers", "--reader", "No Such Reader")

    assert result.returncode == EXIT_NO_READER
    assert "no card reader matching 'No Such Reader'" in result.stderr


def test_read_json_masks_the_national_number(card_slot):
    card_slot.insert("beid-maria")

    result = cli("read", "--json", "--reader", card_slot.reader, "--timeout", "10")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "reader": card_slot.reader,
        "profile": "beid",
        "fields": {
            "name": "María José Van den Brûle",
            "national_number": "****29",
            "card_number": "****2109",
            "valid_until": "2033-03-14",
            "address": "read, not shown",
        },
    }
    assert NATIONAL_NUMBER not in result.stdout + result.stderr
    assert "591765432109" not in result.stdout + result.stderr  # the full card number


def test_read_piv_shows_the_chuid(card_slot):
    card_slot.insert("piv-demo")

    result = cli("read", "--reader", card_slot.reader, "--timeout", "10")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Profile: piv (US PIV)" in [" ".join(line.split()) for line in lines]
    assert any(line.startswith("FASC-N:") and "D4E739DA739CED39" in line for line in lines)
    assert any(
        line.startswith("GUID:") and "3f2a8c1e-5b7d-4e9a-a6c2-1d8f0b4e7a93" in line
        for line in lines
    )
    assert any(line.startswith("Expires:") and "2030-12-31" in line for line in lines)


def test_read_uid_json(card_slot):
    card_slot.insert("uid-library")

    result = cli("read", "--json", "--reader", card_slot.reader, "--timeout", "10")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["fields"] == {"uid": "04A1B2C3D4"}


@pytest.mark.parametrize(
    ("profile", "misbehaviour", "code", "error"),
    [
        ("bank-card", {}, EXIT_UNSUPPORTED, "unsupported_card"),
        ("beid-maria", {"truncate": 3}, EXIT_READ_FAILED, "read_error"),
    ],
    ids=["unsupported", "truncated"],
)
def test_read_failures_have_their_exit_code(card_slot, profile, misbehaviour, code, error):
    card_slot.insert(profile, **misbehaviour)

    result = cli("read", "--json", "--reader", card_slot.reader, "--timeout", "10")

    assert result.returncode == code, result.stderr
    assert json.loads(result.stdout)["error"] == error
    assert NATIONAL_NUMBER not in result.stdout + result.stderr


def test_read_times_out_without_a_card(card_slot):
    result = cli("read", "--reader", card_slot.reader, "--timeout", "0.5")

    assert result.returncode == EXIT_TIMEOUT
    assert "no card was inserted within 0.5 s" in result.stderr


def test_clear_error_when_pcscd_is_not_running(pcscd, card_slot):
    pcscd.stop()
    try:
        listing = cli("readers")
        reading = cli("read", "--json", "--timeout", "1")
    finally:
        pcscd.start()

    assert listing.returncode == EXIT_NO_SERVICE
    assert "pcscd is not running" in listing.stderr
    assert "Traceback" not in listing.stderr
    assert reading.returncode == EXIT_NO_SERVICE
    assert json.loads(reading.stdout)["error"] == "pcscd_not_running"


def test_card_bench_quick_prints_its_figures(card_slot):
    result = subprocess.run(
        [
            *(sys.executable, "bench/card_bench.py", "--quick"),
            *("--reader", card_slot.reader, "--port", str(card_slot.port)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    for figure in (
        "APDU time",
        "bare detection",
        "ours: insertion -> CardRead",
        "ratio ours / (bare detection + APDU time)",
    ):
        assert figure in result.stdout
    assert result.stdout.count("median") >= 4
    assert result.stdout.count("p95") >= 4

"""``kiosk-portal`` as a real subprocess: enroll a device, then serve."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from portal_testkit import TIMEOUT

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def first_line(process: subprocess.Popen[str]) -> str:
    """The first stdout line, without hanging the suite if the server never prints it."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(STARTUP_TIMEOUT_S)
    return lines[0] if lines else ""


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "cli-portal.db"


def test_help_documents_the_add_device_command():
    result = run_cli("--help")

    assert result.returncode == 0
    assert "add-device" in result.stdout and "--seed-demo" in result.stdout
    assert "--faults [RATE]" in result.stdout and "/_faults/random" in result.stdout


def test_db_is_required():
    result = run_cli("add-device", "kiosk-1")

    assert result.returncode == 2
    assert "--db" in result.stderr


@contextlib.contextmanager
def serving(db_path, *options: str):
    """The URL of ``kiosk-portal --port 0 --seed-demo`` run as a subprocess, stopped with
    SIGTERM afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "portal", "--db", str(db_path), "--port", "0", "--seed-demo"]
        + list(options),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = first_line(process)
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"no URL in {line!r}"
        yield match.group(0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()
    # uvicorn shuts down gracefully, then re-raises SIGTERM for the default handler.
    assert process.returncode in (0, -signal.SIGTERM)


def test_add_device_then_serve(db_path):
    enrolled = run_cli("--db", str(db_path), "add-device", "kiosk-cli-1")
    assert enrolled.returncode == 0, enrolled.stderr
    token = enrolled.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", token)

    with serving(db_path) as url:
        health = requests.get(f"{url}/api/v1/health", timeout=TIMEOUT)
        bills = requests.get(
            f"{url}/api/v1/bills",
            params={"number": "W-1001"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        anonymous = requests.get(f"{url}/api/v1/catalogue", timeout=TIMEOUT)
        faults = requests.get(f"{url}/_faults", timeout=TIMEOUT)

    assert health.json() == {"status": "ok", "city": "Lindenfield"}
    assert bills.status_code == 200
    assert [bill["number"] for bill in bills.json()["bills"]] == ["W-1001"]
    assert anonymous.status_code == 401
    assert faults.status_code == 404  # no --faults


def test_faults_with_a_rate_serves_random_faults(db_path):
    with serving(db_path, "--faults", "0.3", "--fault-seed", "11", "--fault-slow-s", "2") as url:
        random_faults = requests.get(f"{url}/_faults/random", timeout=TIMEOUT).json()

    assert random_faults["rate"] == 0.3
    assert (random_faults["seed"], random_faults["slow_s"]) == (11, 2.0)


def test_bare_faults_flag_enables_control_without_random_faults(db_path):
    with serving(db_path, "--faults") as url:
        queued = requests.get(f"{url}/_faults", timeout=TIMEOUT)
        random_faults = requests.get(f"{url}/_faults/random", timeout=TIMEOUT).json()

    assert queued.status_code == 200
    assert random_faults["rate"] == 0.0


@pytest.mark.parametrize("rate", ["1.5", "-0.1", "often"])
def test_faults_rate_must_be_between_0_and_1(db_path, rate):
    result = run_cli("--db", str(db_path), "--faults", rate)

    assert result.returncode == 2
    assert "--faults" in result.stderr


def test_add_device_rotates_the_token(db_path):
    first = run_cli("--db", str(db_path), "add-device", "kiosk-cli-2").stdout.strip()
    second = run_cli("add-device", "kiosk-cli-2", "--db", str(db_path)).stdout.strip()

    assert first and second and first != second

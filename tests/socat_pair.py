"""A real serial line for the payment tests: two ptys joined by socat.

The kiosk opens ``kiosk_end``, the terminal simulator ``terminal_end``. socat is
started in its own session and stopped by PID. ``kill`` is how a test unplugs the
line with a bang (reads then fail with EIO); ``start`` again plugs it back in under
the same two names. Missing socat is an error, never a skip (``make deps`` installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


class SocatPair:
    def __init__(self, directory: Path, timeout_s: float = 5.0) -> None:
        self.kiosk_end = str(directory / "kiosk-tty")
        self.terminal_end = str(directory / "terminal-tty")
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        binary = shutil.which("socat")
        if binary is None:
            raise RuntimeError("socat is not installed: install the Debian package socat")
        for end in (self.kiosk_end, self.terminal_end):
            if os.path.lexists(end):
                os.unlink(end)
        self._process = subprocess.Popen(
            [
                binary,
                f"pty,raw,echo=0,link={self.kiosk_end}",
                f"pty,raw,echo=0,link={self.terminal_end}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout_s
        while not (os.path.exists(self.kiosk_end) and os.path.exists(self.terminal_end)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)

    def kill(self) -> None:
        """Unplug: SIGKILL socat, so both ends read EIO."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(self.timeout_s)
        self._process = None

    stop = kill

"""pcscd with the vpcd virtual reader, for tests that read cards through real PC/SC.

Missing pcscd or vpcd is an error, never a skip: the card stack is only tested if they
are there (``make deps`` installs both).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from smartcard import scard
from smartcard.Exceptions import SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.System import readers

# vpcd's two readers and the TCP ports their cards connect to.
VPCD_READERS = (("Virtual PCD 00 00", 35963), ("Virtual PCD 00 01", 35964))
VPCD_READER = VPCD_READERS[0][0]
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
INSTALL_HINT = "install the Debian packages pcscd and vsmartcard-vpcd (make deps does)"


class PcscDaemon:
    """Starts ``pcscd --foreground`` in its own session and stops it by PID.

    If another pcscd already runs, it is stopped through systemd when systemd owns it
    (socket activation would restart it anyway), otherwise reused as it is: then
    ``restart()`` is refused, since that daemon is not ours to kill.
    """

    def __init__(self, log_path: Path, timeout_s: float = 10.0) -> None:
        self.log_path = log_path
        self.timeout_s = timeout_s
        self.reused = False
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        if self._process is not None or self.reused:
            return
        binary = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
        if binary is None:
            raise RuntimeError(f"pcscd is not installed: {INSTALL_HINT}")
        if not VPCD_DRIVER.exists():
            raise RuntimeError(f"the vpcd reader driver is missing: {INSTALL_HINT}")
        if _running_pcscd() and not _stop_systemd_pcscd():
            self.reused = True
            self.wait_for_reader()
            return
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [binary, "--foreground", "--info"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # setsid: our Ctrl+C is not its Ctrl+C
            )
        self.wait_for_reader()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        if self.reused:
            raise RuntimeError("this pcscd was running before the tests; not restarting it")
        self.stop()
        self.start()

    def wait_for_reader(self) -> None:
        """Until pyscard lists the vpcd readers (it takes well under a second)."""
        deadline = time.monotonic() + self.timeout_s
        wanted = {reader for reader, _ in VPCD_READERS}
        while not wanted <= set(self._reader_names()):
            if self._process is not None and self._process.poll() is not None:
                status = self._process.returncode
                raise RuntimeError(f"pcscd exited with status {status}{self._log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"pcscd lacks the readers {sorted(wanted)}{self._log_tail()}")
            time.sleep(0.01)

    def wait_for_card(
        self, present: bool, since_event: int | None = None, reader: str = VPCD_READER
    ) -> int:
        """Until pcscd sees a card in ``reader`` (or sees it gone); returns pcscd's event
        count for the reader. SCardGetStatusChange returns as soon as pcscd's own
        presence poll notices; each wait is short, and after one that saw no change the
        state is read afresh, because under load pcscd once left a waiter unwoken for
        10 s after logging the insertion (the driver under test had seen the card).

        Waiting for an insertion, pass ``event_count()`` from before it as
        ``since_event``, so a card already gone again still counts as seen. Waiting for
        the removal, pass the count returned at insertion: after a card vanished
        mid-command, pcscd shows the reader empty at once but registers the removal
        only at its next poll, and a card inserted before that poll is never noticed.
        """
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _check(hresult, "SCardEstablishContext")
        try:
            known_state = scard.SCARD_STATE_UNAWARE
            deadline = time.monotonic() + self.timeout_s
            while True:
                left_ms = int((deadline - time.monotonic()) * 1000)
                if left_ms <= 0:
                    state = "inserted" if present else "removed"
                    raise RuntimeError(f"pcscd never saw the card {state}{self._log_tail()}")
                hresult, states = scard.SCardGetStatusChange(
                    context, min(left_ms, 250), [(reader, known_state)]
                )
                if hresult == scard.SCARD_E_TIMEOUT:
                    known_state = scard.SCARD_STATE_UNAWARE  # answered at once, as it is now
                    continue
                _check(hresult, "SCardGetStatusChange")
                _, known_state, _ = states[0]
                event = known_state >> 16
                is_present = bool(known_state & scard.SCARD_STATE_PRESENT)
                if is_present == present and event != since_event:
                    return event
                if present and since_event is not None and event - since_event >= 2:
                    # In and out again before we looked (a card that vanishes after a few
                    # commands, read at once by the driver): pcscd did see it arrive.
                    return since_event + 1
        finally:
            scard.SCardReleaseContext(context)

    def event_count(self, reader: str = VPCD_READER) -> int:
        """pcscd's count of card arrivals and departures in ``reader`` so far."""
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _check(hresult, "SCardEstablishContext")
        try:
            hresult, states = scard.SCardGetStatusChange(
                context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
            )
            _check(hresult, "SCardGetStatusChange")
            return states[0][1] >> 16
        finally:
            scard.SCardReleaseContext(context)

    @staticmethod
    def _reader_names() -> list[str]:
        try:
            return [str(reader) for reader in readers()]
        except (SmartcardException, BaseSCardException):
            return []  # "service not available" until pcscd listens

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-15:]
        except OSError:
            return ""
        return "; pcscd log:\n" + "\n".join(lines)


def _check(hresult: int, call: str) -> None:
    if hresult != scard.SCARD_S_SUCCESS:
        raise RuntimeError(f"{call} failed: {scard.SCardGetErrorMessage(hresult)}")


def _running_pcscd() -> list[int]:
    """PIDs of live pcscd processes (zombies excluded), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        state = stat[stat.rfind(")") + 2 :].split(" ", 1)[0]
        if name == "pcscd" and state != "Z":
            pids.append(int(entry.name))
    return pids


def _stop_systemd_pcscd() -> bool:
    """Whether a systemd-managed pcscd could be stopped (needs root or polkit)."""
    if not (Path("/run/systemd/system").exists() and shutil.which("systemctl")):
        return False
    subprocess.run(
        ["systemctl", "stop", "pcscd.socket", "pcscd.service"],
        capture_output=True,
        check=False,
        env={**os.environ, "SYSTEMD_PAGER": ""},
    )
    deadline = time.monotonic() + 5
    while _running_pcscd():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True

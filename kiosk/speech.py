"""Speech output, off the UI thread, always interruptible.

The model calls ``say`` for every screen and prompt. A new ``say`` or ``stop``
cuts off whatever is playing: a resident who has moved on must not wait for the
old screen to finish talking (kiosk-requirements item 2).
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Latin American Spanish suits US cities; espeak-ng's "es" is Castilian.
ESPEAK_VOICES = {"en": "en-us", "es": "es-419"}


@dataclass(frozen=True)
class Utterance:
    text: str
    language: str
    volume: int


class Speaker(ABC):
    @abstractmethod
    def say(self, text: str, language: str) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def set_volume(self, volume: int) -> None: ...

    def close(self) -> None:
        self.stop()


class SilentSpeaker(Speaker):
    """For kiosks configured without speech: remembers, never plays."""

    def __init__(self):
        self.spoken: list[Utterance] = []
        self.volume = 100

    def say(self, text: str, language: str) -> None:
        self.spoken.append(Utterance(text, language, self.volume))

    def stop(self) -> None:
        pass

    def set_volume(self, volume: int) -> None:
        self.volume = volume


class EspeakSpeaker(Speaker):
    """espeak-ng in a worker thread. With ``wav_dir`` each utterance is written
    to a numbered WAV instead of played (tests, and kiosks without a sound card
    that still want to check what would be said)."""

    def __init__(
        self,
        *,
        executable: str = "espeak-ng",
        rate_wpm: int = 150,
        volume: int = 100,
        wav_dir: Path | None = None,
        on_finished: Callable[[Utterance, int], None] | None = None,
    ):
        resolved = shutil.which(executable)
        if resolved is None:
            raise FileNotFoundError(f"{executable} is not installed (Debian package espeak-ng)")
        self._executable = resolved
        self._rate = rate_wpm
        self._volume = volume
        self._wav_dir = wav_dir
        self._on_finished = on_finished
        self._requests: queue.Queue[tuple[Utterance, int] | None] = queue.Queue()
        self._process_lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._generation = 0
        self._count = 0
        self._warned = False
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    def say(self, text: str, language: str) -> None:
        text = text.strip()
        if not text:
            return
        self.stop()
        with self._process_lock:
            self._requests.put((Utterance(text, language, self._volume), self._generation))

    def stop(self) -> None:
        with self._process_lock:
            self._generation += 1
            while True:
                try:
                    self._requests.get_nowait()
                except queue.Empty:
                    break
            if self._process and self._process.poll() is None:
                self._process.terminate()

    def set_volume(self, volume: int) -> None:
        self._volume = max(0, min(200, volume))

    def close(self) -> None:
        self.stop()
        self._requests.put(None)
        self._thread.join(timeout=2)

    def _command(self, utterance: Utterance) -> list[str]:
        voice = ESPEAK_VOICES.get(utterance.language, utterance.language)
        command = [
            self._executable,
            "-v",
            voice,
            "-s",
            str(self._rate),
            "-a",
            str(utterance.volume),
        ]
        if self._wav_dir is not None:
            self._count += 1
            command += ["-w", str(self._wav_dir / f"utterance-{self._count:04d}.wav")]
        # "--" keeps text that starts with a dash from being read as an option.
        return command + ["--", utterance.text]

    def _run(self) -> None:
        while (request := self._requests.get()) is not None:
            utterance, generation = request
            with self._process_lock:
                # A stop() since this was queued makes it stale: never speak it.
                if generation != self._generation:
                    continue
                self._process = subprocess.Popen(
                    self._command(utterance),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                process = self._process
            _, errors = process.communicate()
            interrupted = generation != self._generation
            if process.returncode and not interrupted and not self._warned:
                self._warned = True
                log.warning("speech output failed (%s): %s", process.returncode, errors[-200:])
            if self._on_finished and not interrupted:
                self._on_finished(utterance, process.returncode)


def create_speaker(engine: str, *, rate_wpm: int, volume: int) -> Speaker:
    if engine == "none":
        return SilentSpeaker()
    try:
        return EspeakSpeaker(rate_wpm=rate_wpm, volume=volume)
    except FileNotFoundError as error:
        log.error("speech disabled: %s", error)
        return SilentSpeaker()

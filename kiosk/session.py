"""The resident's session: who they are, what they typed, how long they have.

Everything personal lives here and only here, so wiping the session is one
call that cannot forget a field. Time comes from an injected monotonic clock so
timeouts are tested without sleeping.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.identity import ResidentIdentity
from kiosk.theme import Theme


class TimeoutEvent(enum.Enum):
    WARN = "warn"
    EXPIRE = "expire"


@dataclass
class Preferences:
    """Per-resident choices that must not leak to the next resident."""

    language: str
    theme: Theme = field(default_factory=Theme)
    speech: bool = False
    volume: int = 100


class ResidentSession:
    def __init__(
        self,
        *,
        default_language: str,
        inactivity_timeout_s: float,
        warning_s: float,
        default_volume: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ):
        if warning_s >= inactivity_timeout_s:
            raise ValueError("the warning must start before the session times out")
        self._default_language = default_language
        self._default_volume = default_volume
        self._timeout_s = inactivity_timeout_s
        self._warning_s = warning_s
        self._clock = clock
        self.active = False
        self.warning = False
        self.extensions = 0
        self._last_activity = clock()
        self.preferences = self._default_preferences()
        self.identity: ResidentIdentity | None = None
        self.entered: dict[str, object] = {}

    def _default_preferences(self) -> Preferences:
        return Preferences(language=self._default_language, volume=self._default_volume)

    def start(self) -> None:
        self.active = True
        self.warning = False
        self.extensions = 0
        self._last_activity = self._clock()

    def record_activity(self) -> None:
        """Any touch or key counts; during the warning only "More time" extends,
        so a stray touch cannot hide the warning without the resident noticing."""
        if self.active and not self.warning:
            self._last_activity = self._clock()

    def extend(self) -> None:
        if self.active:
            self.warning = False
            self.extensions += 1
            self._last_activity = self._clock()

    def idle_seconds(self) -> float:
        return self._clock() - self._last_activity

    def seconds_left(self) -> float:
        return max(0.0, self._timeout_s - self.idle_seconds())

    def tick(self) -> TimeoutEvent | None:
        """Called about once a second; reports the transition, once."""
        if not self.active:
            return None
        idle = self.idle_seconds()
        if idle >= self._timeout_s:
            return TimeoutEvent.EXPIRE
        if idle >= self._timeout_s - self._warning_s and not self.warning:
            self.warning = True
            return TimeoutEvent.WARN
        return None

    def remember(self, key: str, value: object) -> None:
        """Entered data, kept so nothing is asked twice (WCAG 3.3.7)."""
        self.entered[key] = value

    def recall(self, key: str, default: object = None) -> object:
        return self.entered.get(key, default)

    def wipe(self) -> None:
        self.active = False
        self.warning = False
        self.extensions = 0
        self.identity = None
        self.entered.clear()
        self.preferences = self._default_preferences()

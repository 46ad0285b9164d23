"""Random faults for soak tests: each request fails with probability ``rate``.

A seed makes the sequence of faults repeatable, as long as requests arrive in the
same order.
"""

from __future__ import annotations

import random
import threading
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from portal.fault_actions import Injection

KINDS = ("error_500", "unavailable_503", "slow", "drop_before", "drop_after")
DEFAULT_SLOW_S = 5.0
DEFAULT_RETRY_AFTER_S = 1


class RandomFaultSettings(BaseModel):
    """Body of PUT /_faults/random; fields left out keep their current value."""

    model_config = ConfigDict(extra="forbid")

    rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    slow_s: Annotated[float, Field(ge=0, le=600)] = DEFAULT_SLOW_S
    retry_after_s: Annotated[int, Field(ge=0, le=86_400)] = DEFAULT_RETRY_AFTER_S
    seed: int | None = None


class RandomFaults:
    def __init__(
        self,
        rate: float = 0.0,
        slow_s: float = DEFAULT_SLOW_S,
        retry_after_s: int = DEFAULT_RETRY_AFTER_S,
        seed: int | None = None,
    ) -> None:
        # Validated like the PUT body, so a bad --faults value fails the same way.
        settings = RandomFaultSettings(
            rate=rate, slow_s=slow_s, retry_after_s=retry_after_s, seed=seed
        )
        self._lock = threading.Lock()
        self._settings = settings
        self._rng = random.Random(seed)
        self._served = dict.fromkeys(KINDS, 0)

    def configure(self, changes: RandomFaultSettings) -> None:
        with self._lock:
            updates = {name: getattr(changes, name) for name in changes.model_fields_set}
            self._settings = self._settings.model_copy(update=updates)
            if "seed" in updates:
                self._rng = random.Random(updates["seed"])

    def draw(self) -> Injection | None:
        with self._lock:
            settings = self._settings
            if settings.rate == 0 or self._rng.random() >= settings.rate:
                return None
            kind = self._rng.choice(KINDS)
            self._served[kind] += 1
        message = f"Random fault injected ({kind})."
        if kind == "error_500":
            return Injection(message, status=500)
        if kind == "unavailable_503":
            return Injection(message, status=503, retry_after_s=settings.retry_after_s)
        if kind == "slow":
            return Injection(message, delay_s=settings.slow_s)
        return Injection(message, drop="before" if kind == "drop_before" else "after")

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return self._settings.model_dump() | {"served": dict(self._served)}

"""The shape every device driver has, whatever the device.

Modelled on the Odoo IoT box: a driver class knows how to tell whether its device
is present (``detect``) and, once instantiated, how to ``start`` and ``stop`` talking
to it. :class:`drivers.manager.DeviceManager` owns the lifecycle; the kiosk core only
ever sees live driver objects and the events they report through callbacks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

KINDS = ("card", "payment", "printer")


class Driver(ABC):
    """Base class of all device drivers.

    Subclasses set ``kind`` (one of :data:`KINDS`) and ``name`` (the value a kiosk's
    configuration uses to pick the driver, e.g. ``"simulator"``).
    """

    kind: ClassVar[str]
    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def detect(cls, options: Mapping[str, str]) -> bool:
        """Whether this driver's device is present now. Must not raise for "absent"."""

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> Driver:
        """Build a driver for a detected device; override to read per-kind options."""
        return cls()

    @abstractmethod
    def start(self) -> None:
        """Open the device and begin reporting events."""

    @abstractmethod
    def stop(self) -> None:
        """Release the device. Safe to call more than once."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} kind={self.kind!r} name={self.name!r}>"

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("confirmation.kv")))


class ConfirmationScreen(KioskScreen):
    """After a submission: it is saved, where it is now, and its reference."""

    heading = StringProperty("")
    status = StringProperty("")
    reference = StringProperty("")

    def refresh(self) -> None:
        self.heading, self.status, self.reference = self.model.confirmation_lines()

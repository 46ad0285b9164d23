from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("account_start.kv")))


class AccountStartScreen(KioskScreen):
    """Before the form: insert your card, one moment, or why it cannot go on."""

    message = StringProperty("")

    def refresh(self) -> None:
        self.message = self.model.flows["account"].start_text()

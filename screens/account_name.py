from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("account_name.kv")))


class AccountNameScreen(KioskScreen):
    """The name the card gives, for the resident to confirm."""

    card_name = StringProperty("")

    def refresh(self) -> None:
        self.card_name = self.model.flows["account"].card_name()

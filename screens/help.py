from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.model import HELP_LINES
from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("help.kv")))


class HelpScreen(KioskScreen):
    body = StringProperty("")
    contact = StringProperty("")

    def refresh(self) -> None:
        self.body = "\n\n".join(self.model._(line) for line in HELP_LINES)
        self.contact = self.model.help_contact()

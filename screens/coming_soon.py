from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("coming_soon.kv")))


class ComingSoonScreen(KioskScreen):
    """Honest about services this kiosk cannot do, yet or right now: no fake forms."""

    heading = StringProperty("")
    title = StringProperty("")
    message = StringProperty("")

    def refresh(self) -> None:
        service = self.model.selected_service
        self.heading = self.model.service_title(service) if service else ""
        self.title = self.model.unavailable_title()
        self.message = self.model.unavailable_text()

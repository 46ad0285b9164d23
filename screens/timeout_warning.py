from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

Builder.load_file(str(Path(__file__).with_name("timeout_warning.kv")))


class TimeoutWarning(ModalView):
    """Shown before a session ends; one tap on "More time" keeps everything."""

    countdown = StringProperty("")

    @property
    def showing(self) -> bool:
        return self._is_open

    def refresh(self) -> None:
        self.countdown = App.get_running_app().model.timeout_countdown_text()

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
        model = App.get_running_app().model
        seconds = round(model.session.seconds_left())
        self.countdown = model.translator.ngettext(
            "This session will end in {n} second.", "This session will end in {n} seconds.", seconds
        ).format(n=seconds)

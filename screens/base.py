"""Base class of every kiosk screen."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen


class KioskScreen(Screen):
    @property
    def model(self):
        return App.get_running_app().model

    def refresh(self) -> None:
        """Re-read what this screen shows from the model (language, data)."""
